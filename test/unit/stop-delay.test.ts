// TSINIT_STOP_DELAY: parsed and checked against the shutdown budget; the
// delay runs until its deadline or until cut short, announcing its phase.
import test, { beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { restOfBudget, runStopDelay } from '../../src/init/stop-delay.ts';
import { MIN_REST_MS, readSettings, stopDelayConflict } from '../../src/settings.ts';
import { eventHistory, resetEvents, type EventOf } from '../../src/events/bus.ts';

/** The shutdown-phase events in the history, oldest first. */
const phaseEvents = (): EventOf<'shutdown-phase'>[] =>
  eventHistory().filter((e): e is EventOf<'shutdown-phase'> => e.type === 'shutdown-phase');

beforeEach(() => resetEvents());

const delay = (v: string | undefined, budget = '9'): { ms: number; warnings: string[]; errors: string[]; conflict: string | null } => {
  const r = readSettings({ TSINIT_STOP_DELAY: v, TSINIT_SHUTDOWN_TIMEOUT: budget });
  return { ms: r.values.stopDelayMs, warnings: r.warnings, errors: r.errors, conflict: stopDelayConflict(r.values) };
};

test('unset or empty is no delay; seconds may be fractional or carry a unit, as every duration', () => {
  assert.equal(delay(undefined).ms, 0);
  assert.equal(delay('').ms, 0);
  assert.equal(delay('0').ms, 0);
  assert.equal(delay('2.5').ms, 2500);
  assert.equal(delay('5s').ms, 5000);
  assert.equal(delay('500ms').ms, 500);
  assert.deepEqual(delay('5s').warnings, []);
});

test('garbage and negative values are refused (PID 1 does not start), naming the variable', () => {
  for (const v of ['abc', '-1', 'Infinity', '0x10']) {
    const r = delay(v);
    assert.deepEqual(r.warnings, [], v);
    assert.deepEqual(r.errors, [`TSINIT_STOP_DELAY=${v}: invalid (expected a number of seconds such as 9 or 2.5 (or with a unit: 500ms, 5s, 2m, 1h))`]);
  }
  assert.deepEqual(delay('30').errors, [delay('30').conflict], 'the conflict with the budget is an error too');
});

test('a delay that leaves no time for the rest of the shutdown is refused', () => {
  assert.match(delay('9').conflict ?? '', /TSINIT_STOP_DELAY=9 leaves 0 ms of the 9000 ms shutdown budget/);
  assert.notEqual(delay('30').conflict, null);
  assert.notEqual(delay(String((9000 - MIN_REST_MS + 1) / 1000)).conflict, null);
  assert.equal(delay(String((9000 - MIN_REST_MS) / 1000)).conflict, null);
  assert.equal(delay('8s').conflict, null);
  // absurdly large values are clamped (with a warning) and still refused
  assert.notEqual(delay('1e12', String(2 ** 31 / 1000)).conflict, null);
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
