// TurnSlicer with a fake clock and a fake "later": slices end at maxItems or
// maxMs, the next slice waits for a later turn, clear() drops the rest.
import test from 'node:test';
import assert from 'node:assert/strict';
import { TurnSlicer } from '../../src/util/turn-slicer.ts';

function harness(maxItems: number, maxMs: number, costMs = 0) {
  let t = 0;
  const turns: Array<() => void> = [];
  const done: number[] = [];
  const s = new TurnSlicer<number>(
    (n) => {
      t += costMs;
      done.push(n);
    },
    { maxItems, maxMs, now: () => t, later: (fn) => turns.push(fn) },
  );
  const turn = (): boolean => {
    const fn = turns.shift();
    fn?.();
    return fn !== undefined;
  };
  return { s, done, turn, turns };
}

test('nothing runs inside push(); each turn runs at most maxItems', () => {
  const h = harness(3, 1000);
  for (let i = 0; i < 8; i++) h.s.push(i);
  assert.deepEqual(h.done, []);
  assert.equal(h.turns.length, 1, 'one turn scheduled, not one per item');
  h.turn();
  assert.deepEqual(h.done, [0, 1, 2]);
  h.turn();
  assert.deepEqual(h.done, [0, 1, 2, 3, 4, 5]);
  h.turn();
  assert.deepEqual(h.done, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(h.turn(), false, 'no turn scheduled once empty');
});

test('a slice also ends when its time is used up (at least one item per slice)', () => {
  const h = harness(100, 10, 4);
  for (let i = 0; i < 7; i++) h.s.push(i);
  h.turn();
  assert.deepEqual(h.done, [0, 1, 2], '4 + 4 + 4 ms >= 10 ms');
  const slow = harness(100, 1, 50);
  slow.s.push(1);
  slow.s.push(2);
  slow.turn();
  assert.deepEqual(slow.done, [1]);
  slow.turn();
  assert.deepEqual(slow.done, [1, 2]);
});

test('clear() drops what is pending; a throwing item does not stop the others', () => {
  let t = 0;
  const turns: Array<() => void> = [];
  const errors: unknown[] = [];
  const done: number[] = [];
  const s = new TurnSlicer<number>(
    (n) => {
      if (n === 1) throw new Error('bad');
      done.push(n);
    },
    { maxItems: 2, maxMs: 100, now: () => t++, later: (fn) => turns.push(fn), onError: (e) => errors.push(e) },
  );
  for (let i = 0; i < 6; i++) s.push(i);
  turns.shift()?.();
  assert.deepEqual(done, [0]);
  assert.equal(errors.length, 1);
  assert.equal(s.pending, 4);
  assert.deepEqual(s.clear(), [2, 3, 4, 5]);
  turns.shift()?.();
  assert.deepEqual(done, [0]);
  s.push(9);
  turns.shift()?.();
  assert.deepEqual(done, [0, 9]);
});
