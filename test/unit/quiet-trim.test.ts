import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_QUIET_WAIT_MS, QUIET_WINDOW_MS, runQuietTrims, type QuietTrimHost } from '../../src/process/quiet-trim.ts';

/**
 * A fake clock and host: the process is busy during `busy` ([from, to) ms);
 * a window counts as busy when any of it overlaps one of them.
 */
function harness(busy: ReadonlyArray<readonly [number, number]>): { events: string[]; run: () => void; pending: () => number } {
  let now = 0;
  let windowStart = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const events: string[] = [];
  let finished = false;
  const host: QuietTrimHost = {
    after: (ms, fn) => void timers.push({ at: now + ms, fn }),
    busySinceLastAsk: () => {
      const overlaps = busy.some(([from, to]) => windowStart < to && now > from);
      windowStart = now;
      return overlaps;
    },
    collect: () => void events.push(`collect@${now}`),
    trim: () => void events.push(`trim@${now}`),
  };
  const run = (): void => {
    runQuietTrims(host, () => {
      finished = true;
      events.push(`done@${now}`);
    });
    // the timers in order, as the event loop would run them (bounded: a schedule that never ends fails)
    for (let i = 0; i < 1000 && timers.length; i++) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers.shift() as { at: number; fn: () => void };
      now = t.at;
      t.fn();
    }
    assert.equal(finished, true, 'the schedule ended');
  };
  return { events, run, pending: () => timers.length };
}

test('a quiet process: collected at 2 s, trimmed at 3 s, trimmed once more 10 s later, and nothing after', () => {
  const h = harness([[0, 400]]);
  h.run();
  assert.deepEqual(h.events, ['collect@2000', 'trim@3000', 'trim@13000', 'done@13000']);
  assert.equal(h.pending(), 0);
});

test('never during a boot burst: the collection and the trim wait for a quiet second', () => {
  const h = harness([[0, 4500]]); // a slow boot: busy until 4.5 s
  h.run();
  const first = h.events[0] as string;
  assert.match(first, /^collect@/);
  const at = Number(first.split('@')[1]);
  // the whole window before the collection was quiet
  assert.ok(at - QUIET_WINDOW_MS >= 4500, `collected at ${at}`);
  assert.deepEqual(h.events, [`collect@${at}`, `trim@${at + 1000}`, `trim@${at + 11000}`, `done@${at + 11000}`]);
});

test('the second trim too waits while busy', () => {
  const h = harness([
    [0, 400],
    [12_000, 15_500], // a service crash-looping for a while
  ]);
  h.run();
  assert.deepEqual(h.events.slice(0, 2), ['collect@2000', 'trim@3000']);
  const second = Number((h.events[2] as string).split('@')[1]);
  assert.ok(second - QUIET_WINDOW_MS >= 15_500, h.events.join(' '));
  assert.deepEqual(h.events.slice(2), [`trim@${second}`, `done@${second}`]);
});

test('busy for good: both trims all the same, after at most the bounded wait, and the schedule ends', () => {
  const h = harness([[0, Infinity]]);
  h.run();
  assert.equal(h.events.filter((e) => e.startsWith('trim@')).length, 2);
  const [collect, trim1, trim2] = h.events.map((e) => Number(e.split('@')[1])) as [number, number, number];
  assert.ok(collect <= 2000 + MAX_QUIET_WAIT_MS, `${collect}`);
  assert.equal(trim1, collect + 1000);
  assert.ok(trim2 <= trim1 + 10_000 + MAX_QUIET_WAIT_MS, `${trim2}`);
  assert.equal(h.pending(), 0);
});
