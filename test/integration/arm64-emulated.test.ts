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
