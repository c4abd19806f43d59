import test from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { fullGc } from '../../src/util/full-gc.ts';

test('fullGc collects garbage no longer referenced, and exposes no global gc', async () => {
  // a weakly held object that nothing else references: gone after a full collection
  let target: object | undefined = { big: new Array(1000).fill(0) };
  const ref = new WeakRef(target);
  target = undefined;
  // a WeakRef keeps its target for the rest of the job that made it
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fullGc(), true);
  assert.equal(ref.deref(), undefined);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  // the flag is off again: a context made later has no gc either
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined');
  assert.equal(fullGc(), true);
});
