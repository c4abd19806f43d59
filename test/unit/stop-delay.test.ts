// TSINIT_STOP_DELAY: parsed and checked against the shutdown budget; the
// delay runs until its deadline or until cut short, announcing its phase.
import test, { beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_REST_MS, parseStopDelay, restOfBudget, runStopDelay } from '../../src/init/stop-delay.ts';
import { eventHistory, resetEvents, type EventOf } from '../../src/events/bus.ts';

/** The shutdown-phase events in the history, oldest first. */
const phaseEvents = (): EventOf<'shutdown-phase'>[] =>
  eventHistory().filter((e): e is EventOf<'shutdown-phase'> => e.type === 'shutdown-phase');

beforeEach(() => resetEvents());

test('unset or empty is no delay; seconds may be fractional', () => {
  assert.deepEqual(parseStopDelay(undefined, 9000), { ms: 0 });
  assert.deepEqual(parseStopDelay(' ', 9000), { ms: 0 });
  assert.deepEqual(parseStopDelay('0', 9000), { ms: 0 });
  assert.deepEqual(parseStopDelay('2.5', 9000), { ms: 2500 });
});

test('garbage and negative values are refused with the variable named', () => {
  for (const v of ['abc', '-1', 'Infinity', '1s']) {
    const r = parseStopDelay(v, 9000);
    assert.ok('error' in r, v);
    assert.match(r.error, /^TSINIT_STOP_DELAY: not a number of seconds/);
  }
});

test('a delay that leaves no time for the rest of the shutdown is refused', () => {
  const r = parseStopDelay('9', 9000);
  assert.ok('error' in r);
  assert.match(r.error, /TSINIT_STOP_DELAY=9 leaves 0 ms of the 9000 ms shutdown budget/);
  assert.ok('error' in parseStopDelay('30', 9000));
  assert.ok('error' in parseStopDelay(String((9000 - MIN_REST_MS + 1) / 1000), 9000));
  assert.deepEqual(parseStopDelay(String((9000 - MIN_REST_MS) / 1000), 9000), { ms: 9000 - MIN_REST_MS });
  // absurdly large values are clamped before the comparison (and still refused)
  assert.ok('error' in parseStopDelay('1e12', 2 ** 31));
});

test('the rest of the budget never goes negative', () => {
  assert.equal(restOfBudget(9000, 3000), 6000);
  assert.equal(restOfBudget(9000, 12000), 0);
});

test('runStopDelay waits until the deadline and reports both ends of the phase', async () => {
  let clock = 1000;
  const deadlines: number[] = [];
  await runStopDelay(
    3000,
    new Promise(() => {}),
    () => clock,
    async (_p, deadline) => {
      deadlines.push(deadline);
      clock = deadline;
      return false;
    },
  );
  assert.deepEqual(deadlines, [4000]);
  const ev = eventHistory().map((e) => (e.type === 'shutdown-phase' ? [e.type, e.phase, e.state, e.cutShort ?? e.ms] : [e.type]));
  assert.deepEqual(ev, [
    ['shutdown-phase', 'stop-delay', 'started', 3000],
    ['shutdown-phase', 'stop-delay', 'ended', false],
  ]);
});

test('runStopDelay ends early when cut short, and does nothing without a delay', async () => {
  await runStopDelay(0, Promise.resolve(), () => 0, async () => assert.fail('no wait without a delay'));
  assert.equal(eventHistory().length, 0);
  await runStopDelay(5000, Promise.resolve(), () => 0, async (p) => {
    await p;
    return true;
  });
  assert.equal(phaseEvents().at(-1)?.cutShort, true);
});
