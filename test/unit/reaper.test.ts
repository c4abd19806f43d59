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
