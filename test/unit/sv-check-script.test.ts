// ./check's verdict from the raw wait status, as runit's wait_exitcode().
import test from 'node:test';
import assert from 'node:assert/strict';
import { checkPassed } from '../../src/sv/check-script.ts';

test('exit 0 passes, any other exit code fails', () => {
  assert.equal(checkPassed(0), true);
  assert.equal(checkPassed(1 << 8), false);
  assert.equal(checkPassed(111 << 8), false);
});

test('a check killed by a signal passes (status >> 8 is 0), with or without core', () => {
  assert.equal(checkPassed(9), true);
  assert.equal(checkPassed(0x80 | 11), true);
});
