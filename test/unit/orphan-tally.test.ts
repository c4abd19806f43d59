// Orphans reaped are reported once per window with their count, not one
// event per orphan.
import test from 'node:test';
import assert from 'node:assert/strict';
import { OrphanTally, Reaper, type WaitSource } from '../../src/process/reaper.ts';
import type { EventInput } from '../../src/events/bus.ts';

function fakeTimers(): { schedule: (fn: () => void, ms: number) => void; fire(): void; pending(): number[] } {
  const queue: Array<{ fn: () => void; ms: number }> = [];
  return {
    schedule: (fn, ms) => queue.push({ fn, ms }),
    fire: () => queue.shift()?.fn(),
    pending: () => queue.map((q) => q.ms),
  };
}

test('many orphans in one window are one event with the count and the running total', () => {
  const seen: EventInput[] = [];
  const t = fakeTimers();
  const tally = new OrphanTally((e) => seen.push(e), t.schedule, 1000);
  for (let i = 0; i < 250; i++) tally.add();
  assert.deepEqual(t.pending(), [1000], 'one window, opened by the first orphan');
  assert.equal(seen.length, 0, 'nothing reported before the window ends');
  t.fire();
  assert.deepEqual(seen, [{ type: 'orphans-reaped', count: 250, total: 250 }]);
  tally.add(3);
  t.fire();
  assert.deepEqual(seen.at(-1), { type: 'orphans-reaped', count: 3, total: 253 });
  t.fire();
  assert.equal(seen.length, 2, 'a quiet window reports nothing');
});

test('flush reports what is pending at once (shutdown)', () => {
  const seen: EventInput[] = [];
  const t = fakeTimers();
  const tally = new OrphanTally((e) => seen.push(e), t.schedule);
  tally.add(2);
  tally.flush();
  assert.deepEqual(seen, [{ type: 'orphans-reaped', count: 2, total: 2 }]);
  t.fire();
  assert.equal(seen.length, 1);
});

test('the reaper feeds its tally with orphans only', () => {
  const exits = [{ pid: 5, status: 0 }, { pid: 6, status: 0 }, { pid: 7, status: 0 }];
  const source: WaitSource = { waitAny: () => exits.shift() ?? { pid: 0, status: 0 } };
  const seen: EventInput[] = [];
  const t = fakeTimers();
  // a clock that stands still: a loaded machine must not end the reaping turn after one child
  const r = new Reaper(source, { now: () => 0 }, new OrphanTally((e) => seen.push(e), t.schedule));
  r.watch(6, () => {});
  r.reapNow();
  t.fire();
  assert.deepEqual(seen, [{ type: 'orphans-reaped', count: 2, total: 2 }]);
});
