// One instance, one runtime directory (TSINIT_RUN_DIR): a second tsinit
// pointed at the same directory says so as a warning and leaves the first
// one's pid file, socket and halt channel alone; `tsinit halt` signals only a
// tsinit it verified (same PID namespace, same process, same executable).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit, type Run } from '../helpers/pidns.ts';
import { toolBin } from '../helpers/tsinit.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';

const running: Run[] = [];
test.afterEach(() => {
  for (const r of running.splice(0)) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
});

function boot(runDir: string, tag: string): { r: Run; svc: string } {
  const svc = serviceDir({ [tag]: { run: 'exec sleep 1000' } });
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: runitDir({}),
    TSINIT_SERVICE_DIR: svc,
    TSINIT_RUN_DIR: runDir,
    PATH: `${toolBin()}:${process.env.PATH}`,
  });
  running.push(r);
  return { r, svc };
}

/** A runtime directory that does not exist yet (tsinit creates it, mode 0700). */
function freshRunDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-rundir-')), 'run');
}

test('tsinit halt from outside the PID namespace fails clearly and signals nothing', async () => {
  const runDir = freshRunDir();
  const { r, svc } = boot(runDir, 'web');
  await waitFile(path.join(svc, 'web', 'supervise', 'stat'), 'run\n');
  // The pid file names PID 1 of the container's namespace: from here that number is the host's init.
  assert.match(fs.readFileSync(path.join(runDir, 'pid'), 'utf8'), /^1\n/);
  const h = spawnSync(tsinit(), ['halt', '3'], { env: { PATH: process.env.PATH, TSINIT_RUN_DIR: runDir }, encoding: 'utf8' });
  assert.equal(h.status, 111, h.stderr);
  assert.match(h.stderr, /^tsinit halt: fatal: the tsinit named by \S+\/pid \(pid 1\) runs in another PID namespace \(pid:\[\d+\]; this process is in pid:\[\d+\]\): run tsinit halt inside its container\n$/);
  assert.equal(fs.existsSync(path.join(runDir, 'halt')), false, 'no request left behind');
  // Still running, and stopped by the ordinary way (tsinit halt inside the namespace: policy.test.ts).
  assert.doesNotMatch(r.output(), /shutdown requested/);
  await r.signal('SIGTERM');
  const st = await r.exit;
  assert.equal(st.code, 0, r.output());
  assert.doesNotMatch(r.output(), /halt by/);
  assert.equal(fs.existsSync(path.join(runDir, 'pid')), false, 'the pid file goes at exit');
});

test('a second tsinit on the same runtime directory warns, naming TSINIT_RUN_DIR, and takes nothing from the first', async () => {
  const runDir = freshRunDir();
  const a = boot(runDir, 'first');
  await waitFile(path.join(a.svc, 'first', 'supervise', 'stat'), 'run\n');
  const pidBefore = fs.readFileSync(path.join(runDir, 'pid'), 'utf8');
  const sockBefore = fs.statSync(path.join(runDir, 'events.sock')).ino;

  const b = boot(runDir, 'second');
  await waitFile(path.join(b.svc, 'second', 'supervise', 'stat'), 'run\n');
  await b.r.waitFor(/warning: runtime directory \S+ not used: it belongs to the running tsinit with pid 1 \(pid:\[\d+\]\); tsinit halt, tsinit events and tsinit health --ready will not reach this instance \(set TSINIT_RUN_DIR to a directory of its own\)/);
  assert.equal(fs.readFileSync(path.join(runDir, 'pid'), 'utf8'), pidBefore, 'pid file untouched');
  assert.equal(fs.statSync(path.join(runDir, 'events.sock')).ino, sockBefore, 'socket untouched');

  await b.r.signal('SIGTERM');
  assert.equal((await b.r.exit).code, 0, b.r.output());
  assert.equal(fs.readFileSync(path.join(runDir, 'pid'), 'utf8'), pidBefore, 'the second one, at exit, leaves the first one pid file alone');
  assert.ok(fs.existsSync(path.join(runDir, 'events.sock')), 'and its socket');
  await a.r.signal('SIGTERM');
  assert.equal((await a.r.exit).code, 0, a.r.output());
  assert.doesNotMatch(a.r.output(), /runtime directory .* not used/);
});

test('command mode run by a user who cannot own the runtime directory prints nothing of its own (as tini)', () => {
  // A root-owned directory: nobody can neither own nor use it.
  const runDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-rundir-')), 'run');
  fs.mkdirSync(runDir, { mode: 0o700 });
  fs.chmodSync(path.dirname(runDir), 0o755);
  const r = spawnSync('su', ['nobody', '-s', '/bin/sh', '-c', `exec "$0" -- echo hi`, tsinit()], {
    env: { PATH: process.env.PATH, TSINIT_RUN_DIR: runDir },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.stderr, '', 'no warning about the runtime directory in command mode');
});
