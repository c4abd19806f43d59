// LibcError names an errno the way Node (libuv) does, so callers can compare
// codes: Linux has two names for 11 and 95, and the wrong pick made a failed
// fork (EAGAIN from posix_spawn) look like a failed exec.
import test from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import util from 'node:util';
import { LibcError, errnoName } from '../../native/libc.ts';

test('errno 11 is EAGAIN and 95 ENOTSUP, as in Node errors', () => {
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(new LibcError('posix_spawn', 11).code, 'EAGAIN');
  assert.equal(errnoName(95), 'ENOTSUP');
  // the names Node itself gives (libuv), for every errno
  for (const num of new Set(Object.values(os.constants.errno))) {
    const uv = util.getSystemErrorName(-num);
    if (!uv.startsWith('Unknown')) assert.equal(errnoName(num), util.getSystemErrorName(-num), `errno ${num}`);
  }
});
