import test from 'node:test';
import assert from 'node:assert/strict';
import { Reaper, type WaitSource } from '../../src/process/reaper.ts';

/** A fake process table: queued exits, then "children left" or ECHILD. */
function fakeSource(exits: Array<{ pid: number; status: number }>, childrenLeft: () => boolean): WaitSource {
  return {
    waitAny: () => {
      const next = exits.shift();
      if (next) return next;
      return childrenLeft() ? { pid: 0, status: 0 } : undefined;
    },
  };
}

test('dispatches exits to owners by pid and counts orphans', () => {
  const exits = [
    { pid: 10, status: 3 << 8 },
    { pid: 11, status: 9 },
    { pid: 99, status: 0 },
  ];
  const r = new Reaper(fakeSource(exits, () => true));
  const seen: string[] = [];
  r.watch(10, (s) => seen.push(`10:${s.code}`));
  r.watch(11, (s) => seen.push(`11:sig${s.signal}`));
  const orphans: number[] = [];
  r.onOrphan = (s) => orphans.push(s.pid);
  assert.equal(r.reapNow(), 3);
  assert.deepEqual(seen, ['10:3', '11:sig9']);
  assert.deepEqual(orphans, [99]);
  assert.equal(r.orphansReaped, 1);
  assert.equal(r.running, 0);
});

test('a throwing owner does not stop the reaping of others', () => {
  const exits = [{ pid: 1, status: 0 }, { pid: 2, status: 0 }];
  const r = new Reaper(fakeSource(exits, () => true));
  const errors: unknown[] = [];
  r.onError = (e) => errors.push(e);
  let second = false;
  r.watch(1, () => { throw new Error('bug in one service'); });
  r.watch(2, () => { second = true; });
  r.reapNow();
  assert.equal(second, true);
  assert.equal(errors.length, 1);
});

test('hasChildren reflects ECHILD and listeners run after a reaping round', () => {
  let left = true;
  const exits: Array<{ pid: number; status: number }> = [];
  const r = new Reaper(fakeSource(exits, () => left));
  let rounds = 0;
  r.onReaped(() => rounds++);
  assert.equal(r.hasChildren(), true);
  exits.push({ pid: 5, status: 0 });
  left = false;
  assert.equal(r.hasChildren(), false);
  assert.equal(rounds, 1);
});

test('a turn reaps a bounded number of children; the rest follows in later turns', () => {
  const exits = Array.from({ length: 10 }, (_, i) => ({ pid: 100 + i, status: 0 }));
  const turns: Array<() => void> = [];
  let t = 0;
  const r = new Reaper(fakeSource(exits, () => true), { maxPerTurn: 4, maxMs: 1000, now: () => t, later: (fn) => turns.push(fn) });
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) r.watch(100 + i, (s) => seen.push(s.pid));
  assert.equal(r.reapNow(), 4);
  assert.equal(turns.length, 1, 'the rest is scheduled once');
  assert.equal(r.reapNow(), 4, 'a SIGCHLD meanwhile reaps its own bounded share');
  assert.equal(turns.length, 1);
  turns.shift()?.();
  assert.equal(seen.length, 10);
  assert.equal(turns.length, 0);
  // and by time: a slow owner ends the turn after maxMs
  const slow = Array.from({ length: 3 }, (_, i) => ({ pid: 200 + i, status: 0 }));
  const r2 = new Reaper(fakeSource(slow, () => true), { maxPerTurn: 100, maxMs: 5, now: () => t, later: (fn) => turns.push(fn) });
  for (let i = 0; i < 3; i++) r2.watch(200 + i, () => (t += 6));
  assert.equal(r2.reapNow(), 1);
  turns.shift()?.();
  turns.shift()?.();
  assert.equal(r2.running, 0);
});
