// src/runtime/instance.ts: the pid file names a process by pid, PID namespace
// and start time; only a verified, running tsinit of our namespace running our
// executable is signalled, and the lock decides who owns the directory.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimRuntimeDir, formatRecord, parseRecord, verifyInstance, type InstanceRecord, type ProcProbe } from '../../src/runtime/instance.ts';
import { runtimePaths } from '../../src/runtime/paths.ts';
import { sendHalt } from '../../src/runtime/halt-request.ts';

type Proc = { ns: string; start: string; exe: string };
function probe(procs: Record<string, Proc>): ProcProbe {
  const p = (pid: number | 'self'): Proc | undefined => procs[String(pid)];
  return {
    ns: (pid) => p(pid)?.ns ?? null,
    start: (pid) => p(pid)?.start ?? null,
    exe: (pid) => p(pid)?.exe ?? null,
    exePath: (pid) => (p(pid) ? `/exe/${p(pid)?.exe}` : '?'),
  };
}

const rec: InstanceRecord = { pid: 1, ns: 'pid:[100]', start: '42', mode: 'stages' };
const self = { ns: 'pid:[100]', start: '77', exe: '8:1' };

test('the record round-trips; anything else is not a record', () => {
  assert.deepEqual(parseRecord(formatRecord(rec)), rec);
  assert.equal(parseRecord('1\n'), null, 'an old bare pid file is not trusted');
  assert.equal(parseRecord('x\nns a\nstart 1\nmode stages\n'), null);
});

test('verified: same namespace as the caller and as the process, same start, same executable', () => {
  assert.equal(verifyInstance(rec, 'F', probe({ self, 1: { ns: 'pid:[100]', start: '42', exe: '8:1' } })), null);
});

test('refused: another namespace, a gone or reused pid, another executable', () => {
  const other = { ns: 'pid:[200]', start: '42', exe: '8:1' };
  assert.match(verifyInstance(rec, 'F', probe({ self: other, 1: other })) ?? '', /runs in another PID namespace \(pid:\[100\]; this process is in pid:\[200\]\)/);
  assert.match(verifyInstance(rec, 'F', probe({ self })) ?? '', /F is stale: process 1 is gone/);
  assert.match(verifyInstance(rec, 'F', probe({ self, 1: { ...self, start: '43' } })) ?? '', /not the tsinit that wrote it/);
  assert.match(verifyInstance(rec, 'F', probe({ self, 1: { ns: 'pid:[100]', start: '42', exe: '8:2' } })) ?? '', /process 1 named by F runs \/exe\/8:2, not this tsinit \(\/exe\/8:1\)/);
});

test('sendHalt signals nothing and leaves no request unless verified; command mode is refused', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-inst-')), 'run');
  const paths = runtimePaths({ runDir: dir, eventsSocket: 'default' });
  const signalled: number[] = [];
  const sig = (pid: number): void => {
    signalled.push(pid);
  };
  assert.match(String((sendHalt(paths, { code: 3, by: 't' }, probe({ self }), sig) as { error: string }).error), /no tsinit announced/);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(paths.pidFile, formatRecord({ ...rec, ns: 'pid:[999]' }));
  assert.match(String((sendHalt(paths, { code: 3, by: 't' }, probe({ self }), sig) as { error: string }).error), /another PID namespace/);
  fs.writeFileSync(paths.pidFile, formatRecord({ ...rec, mode: 'command' }));
  const live = probe({ self, 1: { ns: 'pid:[100]', start: '42', exe: '8:1' } });
  assert.match(String((sendHalt(paths, { code: 3, by: 't' }, live, sig) as { error: string }).error), /command mode/);
  assert.deepEqual(signalled, []);
  assert.equal(fs.existsSync(paths.haltFile), false);
  fs.writeFileSync(paths.pidFile, formatRecord(rec));
  assert.deepEqual(sendHalt(paths, { code: 3, by: 't' }, live, sig), { written: 'written', pid: 1 });
  assert.deepEqual(signalled, [1]);
});

test('the lock decides ownership; a stale record is replaced; release removes the file', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-inst-')), 'run');
  const paths = runtimePaths({ runDir: dir, eventsSocket: 'default' });
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(paths.pidFile, formatRecord({ ...rec, pid: 4242, ns: 'pid:[7]' }));
  const held = claimRuntimeDir(paths, 'stages', probe({ self }), () => false);
  assert.deepEqual(held, { owned: false, why: 'it belongs to the running tsinit with pid 4242 (pid:[7])' });
  const c = claimRuntimeDir(paths, 'stages', probe({ self }), () => true);
  assert.equal(c.owned, true);
  assert.deepEqual(parseRecord(fs.readFileSync(paths.pidFile, 'utf8')), { pid: process.pid, ns: 'pid:[100]', start: '77', mode: 'stages' });
  if (c.owned) c.release();
  assert.equal(fs.existsSync(paths.pidFile), false);
});
