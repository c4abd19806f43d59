// dist/tsinit on a read-only root (a read-only bind of the host's root,
// chrooted into, in its own mount and PID namespaces) with no
// `tsinit install`: with only /run writable it runs as PID 1 and sv works,
// and `sv status` opens no addon at all (strace); with nothing usable it
// says why, place by place.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary } from '../helpers/tsinit.ts';

interface Fixture {
  dir: string;
  root: string;
}

function fixture(): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-roroot-'));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(binary, path.join(dir, 'bin', 'tsinit'));
  fs.chmodSync(path.join(dir, 'bin', 'tsinit'), 0o755);
  fs.symlinkSync('tsinit', path.join(dir, 'bin', 'sv'));
  fs.mkdirSync(path.join(dir, 'runit'));
  // stage 1 prepares the state folder on /run; stage 2 is the built-in supervisor
  fs.writeFileSync(path.join(dir, 'runit', '1'), '#!/bin/sh\nmkdir -p /run/supervise/a\n', { mode: 0o755 });
  const svc = path.join(dir, 'service', 'a');
  fs.mkdirSync(svc, { recursive: true });
  fs.writeFileSync(path.join(svc, 'run'), '#!/bin/sh\necho "a: started"\nexec sleep 1000\n', { mode: 0o755 });
  fs.symlinkSync('/run/supervise/a', path.join(svc, 'supervise'));
  fs.mkdirSync(path.join(dir, 'root'));
  return { dir, root: path.join(dir, 'root') };
}

/** The namespace set-up: read-only root, /dev/shm read-only, /run as given, then chroot + exec. */
function script(runMount: string, cmd: string): string {
  return [
    'set -e',
    'R=$1; shift',
    'mount --rbind / "$R"',
    'mount -o remount,bind,ro "$R"',
    'mount -o remount,bind,ro "$R/dev/shm"',
    'mount -t proc proc "$R/proc"',
    runMount,
    `exec chroot "$R" ${cmd}`,
  ].join('\n');
}

function ns(f: Fixture, runMount: string, cmd: string): string[] {
  return ['unshare', '--mount', '--pid', '--fork', '--kill-child', 'sh', '-c', script(runMount, cmd), 'sh', f.root];
}

function env(f: Fixture): NodeJS.ProcessEnv {
  return { PATH: `${f.dir}/bin:/usr/bin:/bin:/usr/sbin:/sbin`, TSINIT_RUNIT_DIR: `${f.dir}/runit`, TSINIT_SERVICE_DIR: `${f.dir}/service` };
}

async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 30000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('read-only root, only /run writable: PID 1 supervises, sv works, sv status opens no addon', async () => {
  const f = fixture();
  const argv = ns(f, 'mount -t tmpfs -o mode=0755 tmpfs "$R/run"', `${f.dir}/bin/tsinit`);
  const p = spawn(argv[0] as string, argv.slice(1), {
    env: env(f),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  try {
    await waitUntil('"a: started"', () => (out.includes('a: started') ? true : undefined)).catch((e: Error) => {
      throw new Error(`${e.message}; output:\n${out}`);
    });
    const pid1 = await waitUntil('PID 1', () => {
      const kids = fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim();
      return kids ? Number(kids.split(' ')[0]) : undefined;
    });
    // PID 1 loaded the addon from a private directory in /run, and removed the file.
    const maps = fs.readFileSync(`/proc/${pid1}/maps`, 'utf8');
    assert.match(maps, /\/run\/\.tsinit-koffi\.node-[A-Za-z0-9]{6}\/koffi\.node \(deleted\)/);
    const enter = ['nsenter', '-t', String(pid1), '-m', '-p', '-r', '-w'];
    const status = spawnSync(enter[0] as string, [...enter.slice(1), 'sv', 'status', `${f.dir}/service/a`], { env: env(f), encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^run: ${f.dir}/service/a: \\(pid \\d+\\) \\d+s\\n$`));
    assert.equal(status.stderr, '');

    // strace: every file sv status opens, and nothing it creates.
    const traced = spawnSync(
      enter[0] as string,
      [...enter.slice(1), 'strace', '-f', '-qq', '-e', 'trace=open,openat,openat2,mkdir,mkdirat,memfd_create', '-o', '/run/sv.trace', 'sv', 'status', `${f.dir}/service/a`],
      { env: env(f), encoding: 'utf8' },
    );
    assert.equal(traced.status, 0, traced.stderr);
    assert.match(traced.stdout, /^run: /);
    const trace = spawnSync(enter[0] as string, [...enter.slice(1), 'cat', '/run/sv.trace'], { encoding: 'utf8' }).stdout;
    assert.match(trace, /supervise\/status/, 'the trace covers sv status');
    assert.doesNotMatch(trace, /koffi|\.node"|\.tsinit-/, `sv status opened or wrote an addon:\n${trace}`);
    assert.doesNotMatch(trace, /mkdir|memfd_create|O_CREAT/, `sv status created something:\n${trace}`);

    // sv controls the service (the FIFOs are on /run).
    const restart = spawnSync(enter[0] as string, [...enter.slice(1), 'sv', 'restart', `${f.dir}/service/a`], { env: env(f), encoding: 'utf8' });
    assert.equal(restart.status, 0, restart.stderr);
    assert.match(restart.stdout, /^ok: run: /);
    process.kill(pid1, 'SIGTERM');
    assert.equal(await exited, 0, out);
  } finally {
    p.kill('SIGKILL');
    fs.rmSync(f.dir, { recursive: true, force: true });
  }
});

test('read-only root, /run noexec or read-only too: a clear error naming every place and why', () => {
  for (const [runMount, runWhy] of [
    ['mount -t tmpfs -o mode=0755,noexec tmpfs "$R/run"', /\/run: [^;]*(failed to map segment|operation not permitted)/i],
    ['mount -t tmpfs -o mode=0755,ro tmpfs "$R/run"', /\/run: EROFS/],
  ] as const) {
    const f = fixture();
    const argv = ns(f, runMount, `${f.dir}/bin/tsinit -- sh -c "exit 3"`);
    const r = spawnSync(argv[0] as string, argv.slice(1), { env: env(f), encoding: 'utf8', timeout: 60000 });
    fs.rmSync(f.dir, { recursive: true, force: true });
    assert.notEqual(r.status, 3, 'the command cannot have run');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /unable to use the embedded koffi\.node/, r.stderr);
    assert.match(r.stderr, new RegExp(`${f.dir}/bin: EROFS`), r.stderr);
    assert.match(r.stderr, runWhy, r.stderr);
    assert.match(r.stderr, /\/dev\/shm: EROFS/, r.stderr);
    assert.match(r.stderr, /\/tmp: EROFS/, r.stderr);
    assert.match(r.stderr, /set TSINIT_TMPDIR, or run `tsinit install DIR`/, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace:\n${r.stderr}`);
  }
});
