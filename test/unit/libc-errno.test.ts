// LibcError names an errno the way Node (libuv) does, so callers can compare
// codes: Linux has two names for 11 and 95, and the wrong pick made a failed
// fork (EAGAIN from posix_spawn) look like a failed exec.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { LibcError, errnoName } from '../../native/libc.ts';

test('errno 11 is EAGAIN and 95 ENOTSUP, as in Node errors', () => {
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(new LibcError('posix_spawn', 11).code, 'EAGAIN');
  assert.equal(errnoName(95), 'ENOTSUP');
  // the names Node itself gives (libuv)
  try {
    fs.readSync(-1, Buffer.alloc(1));
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'EBADF');
  }
  assert.equal(errnoName(9), 'EBADF');
});
