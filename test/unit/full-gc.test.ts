import test from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
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

test('fullGc keeps no context of its own alive between calls', () => {
  // in a process of its own: no earlier call of fullGc there
  const script = `
    import v8 from 'node:v8';
    import vm from 'node:vm';
    import { fullGc } from ${JSON.stringify(path.join(import.meta.dirname, '../../src/util/full-gc.ts'))};
    // a collector of the script's own, made the way fullGc makes one
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    v8.setFlagsFromString('--no-expose-gc');
    const full = { type: 'major', execution: 'sync', flavor: 'last-resort' };
    gc(full);
    const before = v8.getHeapStatistics().number_of_native_contexts;
    if (!fullGc() || !fullGc()) throw new Error('no full collection');
    // the contexts fullGc made are garbage now: the next collection frees them
    gc(full);
    console.log(JSON.stringify({ before, after: v8.getHeapStatistics().number_of_native_contexts }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const { before, after } = JSON.parse(out) as { before: number; after: number };
  assert.equal(after, before);
});
