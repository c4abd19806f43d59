import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const policy = JSON.stringify(path.join(import.meta.dirname, '../../src/util/heap-policy.ts'));

/** V8's optimization status of a function asked to be Maglev-compiled, in a process of its own (with the policy applied or not). */
function statusAfterMaglevRequest(apply: boolean): number {
  const script = `
    import { applyHeapPolicy } from ${policy};
    if (${apply}) applyHeapPolicy();
    function f(x) { return x * 2 + 1; }
    %PrepareFunctionForOptimization(f);
    f(1); f(2);
    %OptimizeMaglevOnNextCall(f);
    f(3);
    console.log(%GetOptimizationStatus(f));
  `;
  return Number(execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
}

// V8's OptimizationStatus bits (src/runtime/runtime.h)
const MAGLEVVED = 1 << 5;
const INTERPRETED = 1 << 7;

test('the heap policy turns Maglev off: code stays interpreted where it would be Maglev-compiled', () => {
  // without the policy this V8 does compile it (else the test proves nothing)
  assert.notEqual(statusAfterMaglevRequest(false) & MAGLEVVED, 0);
  const s = statusAfterMaglevRequest(true);
  assert.equal(s & MAGLEVVED, 0);
  assert.notEqual(s & INTERPRETED, 0);
});
