// src/util/timers.ts: delays beyond Node's 2^31-1 ms neither fire at once nor warn.
import test from 'node:test';
import assert from 'node:assert/strict';
import { clampDelay, MAX_TIMER_MS, setLongTimeout } from '../../src/util/timers.ts';

test('clampDelay: any number becomes one Node can hold', () => {
  assert.equal(clampDelay(NaN), 0);
  assert.equal(clampDelay(-5), 0);
  assert.equal(clampDelay(0.2), 1);
  assert.equal(clampDelay(1500), 1500);
  assert.equal(clampDelay(2 ** 31), MAX_TIMER_MS);
  assert.equal(clampDelay(1e20), MAX_TIMER_MS);
  assert.equal(clampDelay(Infinity), MAX_TIMER_MS);
});

test('a long timeout is chained: it fires once, after the whole delay', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  const clock = (): number => now;
  let fired = 0;
  const warnings: string[] = [];
  const onWarn = (w: Error): void => {
    warnings.push(w.name);
  };
  process.on('warning', onWarn);
  const month = 30 * 24 * 3600 * 1000; // t720h
  setLongTimeout(() => fired++, month, clock);
  // first piece: MAX_TIMER_MS
  now += MAX_TIMER_MS;
  t.mock.timers.tick(MAX_TIMER_MS);
  assert.equal(fired, 0, 'fired before the delay');
  now += month - MAX_TIMER_MS;
  t.mock.timers.tick(month - MAX_TIMER_MS);
  assert.equal(fired, 1);
  process.off('warning', onWarn);
  assert.deepEqual(warnings, []);
});

test('clear stops a chained timeout; Infinity never fires', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fired = 0;
  const lt = setLongTimeout(() => fired++, 10);
  assert.equal(lt.pending, true);
  lt.clear();
  t.mock.timers.tick(100);
  assert.equal(fired, 0);
  assert.equal(lt.pending, false);
  const never = setLongTimeout(() => fired++, Infinity);
  t.mock.timers.tick(MAX_TIMER_MS);
  assert.equal(fired, 0);
  never.clear();
});
