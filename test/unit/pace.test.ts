// util/pace.ts with a fake clock and a fake next turn: pace() ends the turn
// after maxItems items or maxMs, and not before.
import test from 'node:test';
import assert from 'node:assert/strict';
import { pacer } from '../../src/util/pace.ts';

test('pace() yields after every maxItems items, not in between', async () => {
  let turns = 0;
  const pace = pacer(async () => void turns++, { maxItems: 3, maxMs: 1000, now: () => 0 });
  const at: number[] = [];
  for (let i = 1; i <= 8; i++) {
    await pace();
    at.push(turns);
  }
  assert.deepEqual(at, [0, 0, 1, 1, 1, 2, 2, 2]);
});

test('pace() also yields once maxMs went by in the turn, and the count starts over', async () => {
  let t = 0;
  let turns = 0;
  const pace = pacer(async () => void turns++, { maxItems: 100, maxMs: 5, now: () => t });
  t = 2;
  await pace();
  assert.equal(turns, 0);
  t = 5;
  await pace();
  assert.equal(turns, 1, 'time used up');
  t = 9;
  await pace();
  assert.equal(turns, 1, 'a new turn began at 5');
});

test('pace() by default yields to the real event loop (an immediate queued before runs before it resolves)', async () => {
  const pace = pacer(undefined, { maxItems: 1 });
  let ran = false;
  setImmediate(() => (ran = true));
  await pace();
  assert.equal(ran, true);
});
