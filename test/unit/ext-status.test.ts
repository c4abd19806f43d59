// supervise/tsinit-status.json belongs to the supervisor that wrote it: a
// reader trusts it only while that process (same pid, same start time) runs.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EXT_STATUS_FILE,
  initialExtStatus,
  readExtStatus,
  readExtStatusFile,
  removeExtStatus,
  selfSupervisor,
  supervisorAlive,
  writeExtStatus,
} from '../../src/supervise/ext-status.ts';
import { spawn } from 'node:child_process';
import { lockHolders, startTimeOf } from '../../src/process/proc.ts';

test('the writer is named by pid and start time; a record is live only while that process runs', () => {
  const me = selfSupervisor();
  assert.ok(me);
  assert.equal(me.pid, process.pid);
  assert.equal(me.start, startTimeOf(process.pid));
  assert.deepEqual(initialExtStatus(0).supervisor, me);
  assert.equal(supervisorAlive(me), true);
  assert.equal(supervisorAlive({ pid: me.pid, start: me.start + 1 }), false, 'a reused pid is another process');
  assert.equal(supervisorAlive({ pid: 0x3fffffff, start: 1 }), false, 'no such process');
  assert.equal(supervisorAlive(null), false);
});

test('readers ignore a record whose supervisor is gone, and one that names none', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-ext-'));
  try {
    const live = { ...initialExtStatus(Date.now()), ready: true };
    assert.equal(writeExtStatus(dir, live), null);
    assert.deepEqual(readExtStatus(dir), live);
    const me = selfSupervisor() as { pid: number; start: number };
    const gone = { ...live, ready: false, essential: 'on-failure' as const, supervisor: { pid: me.pid, start: me.start - 1 } };
    assert.equal(writeExtStatus(dir, gone), null);
    assert.equal(readExtStatus(dir), null);
    assert.deepEqual(readExtStatusFile(dir), gone, 'the file itself is still there to look at');
    // A record without a supervisor (an older tsinit's) proves nothing either.
    const { supervisor: _, ...anonymous } = live;
    fs.writeFileSync(path.join(dir, EXT_STATUS_FILE), JSON.stringify(anonymous));
    assert.equal(readExtStatusFile(dir), null);
    assert.equal(removeExtStatus(dir), null);
    assert.equal(fs.existsSync(path.join(dir, EXT_STATUS_FILE)), false);
    assert.equal(removeExtStatus(dir), null, 'absent is fine');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('/proc/locks: the holders of a lock on an inode, not its waiters', () => {
  const text = [
    '1: FLOCK  ADVISORY  WRITE 42 fe:00:1234 0 EOF',
    '1: -> FLOCK  ADVISORY  WRITE 43 fe:00:1234 0 EOF',
    '2: POSIX  ADVISORY  WRITE 44 00:1f:1234 0 EOF',
    '3: FLOCK  ADVISORY  WRITE 45 fe:00:99 0 EOF',
    '',
  ].join('\n');
  assert.deepEqual(lockHolders(text, 1234), [42, 44]);
  assert.deepEqual(lockHolders(text, 7), []);
  assert.deepEqual(lockHolders('garbage\n', 1234), []);
});

test('seen from another PID namespace (the pid names nobody here), the holder of supervise/lock with the same start time makes the record live', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-ext-'));
  const lock = path.join(dir, 'lock');
  fs.writeFileSync(lock, '');
  // flock(1) takes the lock itself and keeps it while its command runs.
  const holder = spawn('flock', ['-x', lock, 'sleep', '1000'], { stdio: 'ignore' });
  try {
    const pid = holder.pid as number;
    const ino = fs.statSync(lock).ino;
    for (let i = 0; !lockHolders(fs.readFileSync('/proc/locks', 'latin1'), ino).includes(pid); i++) {
      if (i > 6000) throw new Error('flock never took the lock');
      await new Promise((r) => setTimeout(r, 10));
    }
    const start = startTimeOf(pid) as number;
    const elsewhere = { pid: 0x3ffffffe, start };
    assert.equal(supervisorAlive(elsewhere), false, 'without the directory only the pid can tell');
    assert.equal(supervisorAlive(elsewhere, dir), true);
    assert.equal(supervisorAlive({ pid: 0x3ffffffe, start: start + 1 }, dir), false, 'another holder is not the writer');
    assert.equal(writeExtStatus(dir, { ...initialExtStatus(0), supervisor: elsewhere }), null);
    assert.equal(readExtStatus(dir)?.supervisor?.start, start);
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
  }
  assert.equal(readExtStatus(dir), null, 'the lock is free: nobody supervises');
  fs.rmSync(dir, { recursive: true, force: true });
});
