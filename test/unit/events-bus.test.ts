// src/events/bus.ts: a subscriber that throws is dropped and reported once;
// the others and the emitter carry on.
import test from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { emitEvent, eventHistory, onEvent, resetEvents, HISTORY } from '../../src/events/bus.ts';
import { reportSubscriberFailures } from '../../src/events/log-sink.ts';

test('a failing subscriber is dropped and reported once through the log', () => {
  resetEvents();
  const lines: string[] = [];
  const log = { error: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`) } as unknown as Logger;
  reportSubscriberFailures(log);
  let bad = 0;
  const good: string[] = [];
  onEvent(() => {
    bad++;
    throw new Error('subscriber bug');
  });
  onEvent((ev) => good.push(ev.type));
  emitEvent({ type: 'healthy', service: 'a' });
  emitEvent({ type: 'unhealthy', service: 'a', failures: 3 });
  assert.equal(bad, 1, 'dropped after its first failure');
  assert.deepEqual(good, ['healthy', 'unhealthy']);
  assert.equal(lines.length, 1);
  assert.match(lines[0] as string, /event subscriber failed and was dropped.*subscriber bug/);
  assert.match(lines[0] as string, /"event":"healthy"/);
  resetEvents();
});

test('without a reporter a failing subscriber is still dropped, and emitting never throws', () => {
  resetEvents();
  onEvent(() => {
    throw new Error('x');
  });
  assert.doesNotThrow(() => emitEvent({ type: 'orphans-reaped', count: 1, total: 1 }));
  assert.equal(eventHistory().length, 1);
  resetEvents();
});

test('the history is bounded', () => {
  resetEvents();
  for (let i = 0; i < HISTORY + 10; i++) emitEvent({ type: 'orphans-reaped', count: 1, total: i + 1 });
  const h = eventHistory();
  assert.equal(h.length, HISTORY);
  const first = h[0];
  assert.ok(first?.type === 'orphans-reaped' && first.total === 11);
  resetEvents();
});
