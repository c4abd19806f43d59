// dist/tsinit-linux-arm64 under qemu-aarch64-static (Debian's qemu-user-static
// with the arm64 C libraries): version, command mode exit codes, stage mode
// with one supervised service and sv status. Emulated runs are slow: a few
// short ones only. Never skipped: without the emulator the test fails.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arm64Runner, artifact, VERSION } from '../../testkit/dist.ts';
import { run } from '../helpers/pidns.ts';
import { buildFakeServer, fakeServer, message, runClient } from '../helpers/tool-client-fixture.ts';
import { clientWithSlot, SLOT_MARKER } from '../../native/tool-client.ts';
import { repoRoot } from '../../testkit/debian.ts';

const exe = artifact('tsinit-linux-arm64');
const runner = arm64Runner();
const env = { PATH: '/usr/bin:/bin', ...runner.env };

function arm64(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(runner.prefix[0] as string, [...runner.prefix.slice(1), exe, ...args], { encoding: 'utf8', env, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the executable really is arm64 ELF and runs only under the emulator here', () => {
  const head = Buffer.alloc(20);
  const fd = fs.openSync(exe, 'r');
  fs.readSync(fd, head, 0, 20, 0);
  fs.closeSync(fd);
  assert.equal(head.readUInt16LE(18), 183, 'e_machine EM_AARCH64');
});

test('arm64: --version names the version, commit and arm64', () => {
  const v = arm64(['--version']);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`^tsinit ${VERSION.replace(/\./g, '\\.')} \\([0-9a-z]+\\) arm64\\n$`));
});

test('arm64: command mode passes on exit codes and signal deaths', () => {
  const seven = arm64(['--', 'sh', '-c', 'exit 7']);
  assert.equal(seven.status, 7, seven.stderr);
  const term = arm64(['--', 'sh', '-c', 'kill -TERM $$']);
  assert.equal(term.status, 143, term.stderr);
  const missing = arm64(['--', '/nonexistent/cmd']);
  // 127 as natively; the message differs: qemu-user runs glibc's vfork-style
  // posix_spawn as a plain fork, so the failure arrives as the child's exit 127.
  assert.equal(missing.status, 127, missing.stderr);
});

test('arm64: stage mode as PID 1 supervises a service; sv status (also arm64) reports it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-arm64-'));
  fs.mkdirSync(path.join(dir, 'runit'));
  const svc = path.join(dir, 'service', 'a');
  fs.mkdirSync(svc, { recursive: true });
  fs.writeFileSync(path.join(svc, 'run'), '#!/bin/sh\necho "a: started"\nexec sleep 1000\n', { mode: 0o755 });
  const r = run([...runner.prefix, exe], { ...env, TSINIT_RUNIT_DIR: path.join(dir, 'runit'), TSINIT_SERVICE_DIR: path.join(dir, 'service') });
  try {
    await r.waitFor('a: started', 120000);
    let status = arm64(['sv', 'status', svc]);
    for (let i = 0; i < 100 && !/^run: /.test(status.stdout); i++) status = arm64(['sv', 'status', svc]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^run: ${svc}: \\(pid \\d+\\) \\d+s\\n$`));
    await r.signal('SIGTERM');
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    assert.match(r.output(), /tsinit 0\.\d+\.\d+: booting/);
  } finally {
    r.proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The arm64 tool client: `tsinit install` under the emulator installs it (arm64 ELF, the slot naming
// the arm64 executable); run under qemu it speaks the protocol to a fake PID 1 and falls back.
// (qemu-user passes the client's execve to this x64 kernel: the fallback target here is the x64
// executable, the EXEC program x64's sh.)
test('arm64: tsinit install puts the arm64 tool client under every name; it talks to PID 1 and falls back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-arm64-client-'));
  try {
    // a copy: install writes the addon and the helper beside the executable, not into dist/
    const copy = path.join(dir, 'tsinit');
    fs.copyFileSync(exe, copy);
    fs.chmodSync(copy, 0o755);
    const i = spawnSync(runner.prefix[0] as string, [...runner.prefix.slice(1), copy, 'install', path.join(dir, 'bin')], { encoding: 'utf8', env, timeout: 120000 });
    assert.equal(i.status, 0, i.stderr);
    assert.ok(fs.existsSync(path.join(dir, '.tsinit-exec')), 'the helper beside the copy');
    assert.match(i.stdout, /installed the tool client as 19 tools/);
    const installed = fs.readFileSync(path.join(dir, 'bin', 'sv'));
    assert.equal(installed.readUInt16LE(18), 183, 'the installed client is arm64');
    assert.ok(installed.includes(Buffer.from(`${SLOT_MARKER.toString('latin1')}${copy}\0`, 'latin1')), 'its slot names the arm64 executable');
    const client = path.join(dir, 'sv');
    fs.writeFileSync(client, clientWithSlot(fs.readFileSync(path.join(repoRoot, 'build', 'tsinit-client-arm64')), artifact('tsinit-linux-x64')), { mode: 0o755 });
    const runDir = path.join(dir, 'run');
    fs.mkdirSync(runDir);
    const server = buildFakeServer(dir);
    const qemu = (steps: string[], args: string[]) => async () => {
      const s = await fakeServer(server, runDir, steps);
      const c = runClient(runner.prefix[0] as string, 'sv', [...runner.prefix.slice(1), client, ...args], { ...env, TSINIT_RUN_DIR: runDir });
      const ex = await c.exit;
      assert.equal(await s.done, 0, s.stderr());
      return { ...ex, stdout: Buffer.concat(c.stdout).toString('latin1'), stderr: Buffer.concat(c.stderr).toString(), log: s.log() };
    };
    const out = await qemu([`send:${message(1, 1, 'a\0\xff').toString('hex')}`, `send:${message(2, 7).toString('hex')}`], ['status', 'x'])();
    assert.equal(out.code, 7, out.stderr);
    assert.equal(out.stdout, 'a\0\xff');
    assert.ok(out.log.includes('magic 31435354') && out.log.includes('fds 5'), out.log.join('\n'));
    const words = Buffer.from('e\0X=1\0X\0/bin/sh\0--\0sh\0-c\0echo $X\0', 'latin1');
    const ex = await qemu([`send:${message(3, words).toString('hex')}`], ['x'])();
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout, '1\n');
    const fb = await qemu([`send:${message(4).toString('hex')}`], [])();
    assert.equal(fb.code, 100, fb.stderr);
    assert.match(fb.stderr, /^usage: sv /);
    const lost = await qemu(['close'], ['x'])();
    assert.equal(lost.code, 111);
    assert.equal(lost.stderr, 'tsinit: fatal: lost the connection to tsinit\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
