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
import { startTimeOf } from '../../src/process/proc.ts';

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
