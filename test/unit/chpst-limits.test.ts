import test from 'node:test';
import assert from 'node:assert/strict';
import { limitsToApply, softValue } from '../../src/chpst/limits.ts';
import { noLimits, parseCommandLine } from '../../src/chpst/options.ts';
import { Rlimit, RLIM_INFINITY } from '../../native/libc.ts';

test('soft value: the request, capped at the hard limit; negative means the hard limit', () => {
  assert.equal(softValue(100n, 1000n), 100n);
  assert.equal(softValue(1000n, 1000n), 1000n);
  assert.equal(softValue(1001n, 1000n), 1000n);
  assert.equal(softValue(-1n, 1000n), 1000n);
  assert.equal(softValue(0n, RLIM_INFINITY), 0n);
  assert.equal(softValue(2n ** 62n, RLIM_INFINITY), 2n ** 62n);
});

test('limits left at -2 are not touched; runit\'s order', () => {
  assert.deepEqual(limitsToApply(noLimits()), []);
  const r = parseCommandLine('chpst', ['-t', '7', '-o', '5', '-m', '9', '-c', '0', 'x']);
  assert.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  assert.deepEqual(limitsToApply(r.plan.limits), [
    [Rlimit.DATA, 9n],
    [Rlimit.STACK, 9n],
    [Rlimit.MEMLOCK, 9n],
    [Rlimit.AS, 9n],
    [Rlimit.NOFILE, 5n],
    [Rlimit.CORE, 0n],
    [Rlimit.CPU, 7n],
  ]);
});

test('a number that overflows a long: -1 sets the hard limit, -2 is ignored', () => {
  const p = (n: string) => {
    const r = parseCommandLine('chpst', ['-o', n, 'x']);
    if (r.kind !== 'run') throw new Error(r.stderr);
    return limitsToApply(r.plan.limits);
  };
  assert.deepEqual(p('18446744073709551615'), [[Rlimit.NOFILE, -1n]]);
  assert.deepEqual(p('18446744073709551614'), []);
  assert.equal(softValue(-1n, 4096n), 4096n);
});
