// The container image the end-to-end tests run: Dockerfile.example's runtime
// stage, built with podman + runc from a local base image (no registry: a
// rootfs of busybox-static plus the shared libraries dist/tsinit needs,
// imported with `podman import`). Built once per dist/tsinit and reused by
// every test file (the tag is keyed by the binary's and the inputs' content).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from './debian.ts';

export const dockerfileExample = path.join(repoRoot, 'Dockerfile.example');
const binary = path.join(repoRoot, 'dist', 'tsinit');
const cacheDir = path.join(repoRoot, '.cache', 'e2e');
const IMAGE_REPO = 'localhost/tsinit-e2e';
const BASE_REPO = 'localhost/tsinit-e2e-base';
/** Flags every `podman run` needs here (crun and the default ulimits fail on this cgroup layout). */
export const RUN_FLAGS = ['--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `podman --runtime runc ARGS`, asynchronously (tests run containers side by side with timers). */
export function podman(args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn('podman', ['--runtime', 'runc', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`podman ${args.join(' ')}: timed out after ${opts.timeoutMs} ms\n${stdout}${stderr}`));
    }, opts.timeoutMs ?? 120000);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(opts.input ?? '');
  });
}

/** Like podman(), but a non-zero exit is an error carrying the output. */
export async function podmanOk(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Fails loudly when no container can be run here: the end-to-end tests are
 * never skipped (.ci/run installs podman, runc and busybox-static).
 */
function requirePodman(): void {
  const v = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    throw new Error(
      'END-TO-END TESTS CANNOT RUN: podman is not installed or does not start ' +
        `(${v.error ? String(v.error) : v.stderr.trim()}). Install it: apt-get install -y podman runc busybox-static`,
    );
  }
  if (spawnSync('runc', ['--version']).status !== 0) {
    throw new Error('END-TO-END TESTS CANNOT RUN: runc is not installed (apt-get install -y runc)');
  }
}

/** A statically linked busybox: Debian's busybox-static installs it as /bin/busybox. */
function findStaticBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    if (!fs.existsSync(p)) continue;
    const r = spawnSync('ldd', [p], { encoding: 'utf8' });
    if (`${r.stdout}${r.stderr}`.includes('not a dynamic executable')) return p;
  }
  throw new Error('END-TO-END TESTS CANNOT RUN: no statically linked busybox (apt-get install -y busybox-static)');
}

/** The files `ldd` lists for the binary (libraries and the dynamic loader), as absolute paths. */
export function sharedLibraries(file: string): string[] {
  const libs: string[] = [];
  for (const line of sh('ldd', [file]).split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1] as string);
  }
  if (libs.length === 0) throw new Error(`ldd lists no library for ${file}`);
  return libs;
}

/** The rootfs of the base image: busybox, its applets as symlinks, the libraries (of `forBinary`), users. */
export function buildRootfs(dir: string, forBinary: string = binary): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'etc', 'root', 'tmp', 'run', 'proc', 'sys', 'dev', 'var/log']) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
  }
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  const busybox = findStaticBusybox();
  fs.copyFileSync(busybox, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const applet of sh(busybox, ['--list']).split('\n').filter((a) => a && a !== 'busybox')) {
    const link = path.join(dir, 'bin', applet);
    if (!fs.existsSync(link)) fs.symlinkSync('busybox', link);
  }
  fs.symlinkSync('/bin/busybox', path.join(dir, 'usr', 'bin', 'env'));
  for (const lib of sharedLibraries(forBinary)) {
    const dest = path.join(dir, lib);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), dest); // dereferenced, at the path the binary asks for
    fs.chmodSync(dest, 0o755);
  }
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/**
 * Dockerfile.example's runtime stage, FROM the local base and COPYing the
 * dist/tsinit already built on the host instead of the build stage's.
 */
export function e2eContainerfile(dockerfile: string, base: string): string {
  const lines = dockerfile.split('\n');
  const from = lines.findIndex((l) => /^FROM debian:bookworm-slim\s*$/.test(l));
  if (from < 0) throw new Error('Dockerfile.example has no "FROM debian:bookworm-slim" runtime stage');
  const stage = lines.slice(from);
  const copy = stage.findIndex((l) => l === 'COPY --from=build /src/dist/tsinit /sbin/tsinit');
  if (copy < 0) throw new Error('Dockerfile.example does not copy /src/dist/tsinit from the build stage');
  stage[0] = `FROM ${base}`;
  stage[copy] = 'COPY dist/tsinit /sbin/tsinit';
  return `${stage.join('\n')}\n`;
}

function contentKey(): string {
  const h = crypto.createHash('sha256');
  const st = fs.statSync(binary);
  h.update(`${st.size}:${st.mtimeMs}\n`);
  h.update(fs.readFileSync(dockerfileExample));
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      h.update(`${path.relative(repoRoot, p)}:${fs.lstatSync(p).mode}\n`);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(fs.readFileSync(p));
    }
  };
  walk(path.join(repoRoot, 'examples'));
  h.update(fs.readFileSync(new URL(import.meta.url)));
  return h.digest('hex').slice(0, 16);
}

async function imageExists(ref: string): Promise<boolean> {
  return (await podman(['image', 'exists', ref])).code === 0;
}

/** Removes this repository's e2e images other than the current ones. */
async function pruneOld(keep: string[]): Promise<void> {
  const r = await podman(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  for (const ref of r.stdout.split('\n')) {
    if ((ref.startsWith(`${IMAGE_REPO}:`) || ref.startsWith(`${BASE_REPO}:`)) && !keep.includes(ref)) {
      // without -f: an image still used by a container (another checkout's
      // test run on this machine, with its own dist/tsinit) stays; -f removed
      // its running containers under it
      await podman(['rmi', ref]);
    }
  }
}

/** One build at a time across test processes: a lock directory. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const lock = path.join(cacheDir, 'build.lock');
  const until = Date.now() + 300000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // being created or removed
      }
      let alive = true;
      if (holder > 0) {
        try {
          process.kill(holder, 0);
        } catch {
          alive = false;
        }
      }
      if (!alive) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`e2e image build lock ${lock} held too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export const BUILD_FLAGS = ['--network', 'none', '--pull=never', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

async function build(key: string, image: string, base: string): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-e2e-build-'));
  try {
    if (!(await imageExists(base))) {
      const rootfs = path.join(work, 'rootfs');
      buildRootfs(rootfs);
      const tar = path.join(work, 'rootfs.tar');
      sh('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
      await podmanOk(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', tar, base]);
    }
    const ctx = path.join(work, 'context');
    fs.mkdirSync(path.join(ctx, 'dist'), { recursive: true });
    fs.copyFileSync(binary, path.join(ctx, 'dist', 'tsinit'));
    fs.chmodSync(path.join(ctx, 'dist', 'tsinit'), 0o755);
    fs.cpSync(path.join(repoRoot, 'examples'), path.join(ctx, 'examples'), { recursive: true });
    const containerfile = path.join(work, 'Containerfile');
    fs.writeFileSync(containerfile, e2eContainerfile(fs.readFileSync(dockerfileExample, 'utf8'), base));
    await podmanOk(['build', ...BUILD_FLAGS, '-f', containerfile, '-t', image, ctx], { timeoutMs: 300000 });
    await pruneOld([image, base]);
    fs.writeFileSync(path.join(cacheDir, 'image'), `${image} ${key}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Containers left by test processes that died before their after() hooks. */
async function removeStaleContainers(): Promise<void> {
  const r = await podman(['ps', '-a', '--format', '{{.Names}}']);
  for (const name of r.stdout.split('\n')) {
    const m = /^tsinit-e2e-(\d+)-\d+$/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      await podman(['rm', '-f', '-t', '0', name]);
    }
  }
}

let cached: Promise<string> | undefined;

/** The image's reference; builds it (once per dist/tsinit and inputs) on first use. */
export function e2eImage(): Promise<string> {
  cached ??= (async () => {
    requirePodman();
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npx node build.mjs\` first`);
    await removeStaleContainers();
    const key = contentKey();
    const image = `${IMAGE_REPO}:${key}`;
    const base = `${BASE_REPO}:${crypto.createHash('sha256').update(sharedLibraries(binary).join('\n')).update(findStaticBusybox()).digest('hex').slice(0, 12)}`;
    if (await imageExists(image)) return image;
    await withLock(async () => {
      if (!(await imageExists(image))) await build(key, image, base);
    });
    return image;
  })();
  return cached;
}
