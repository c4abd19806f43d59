import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECK_FIRST_MS, CHECK_MAX_MS, checkDelay, notificationSaysReady, readinessMode } from '../../src/supervise/readiness.ts';
import { HEALTH_KILL_DEFAULT_MS, failedChecks, healthKillAfterMs, healthRestarted, healthResult, initialHealth, type HealthState } from '../../src/supervise/health.ts';
import { holdFor, notReady, planFor, stopInDependencyOrder, type StopEntry } from '../../src/supervise/dependency-gate.ts';

test('readiness mode: notification-fd wins over ./check; neither is runit\'s "up"', () => {
  assert.equal(readinessMode({ notificationFd: 3, hasCheck: true }), 'notification-fd');
  assert.equal(readinessMode({ notificationFd: null, hasCheck: true }), 'check');
  assert.equal(readinessMode({ notificationFd: null, hasCheck: false }), 'up');
});

test('./check is polled at a short interval that grows to a few seconds and stays there', () => {
  assert.equal(checkDelay(0), CHECK_FIRST_MS);
  const ds = Array.from({ length: 12 }, (_, i) => checkDelay(i));
  for (let i = 1; i < ds.length; i++) assert.ok((ds[i] as number) >= (ds[i - 1] as number));
  assert.equal(ds[ds.length - 1], CHECK_MAX_MS);
  assert.ok(CHECK_MAX_MS >= 1000 && CHECK_MAX_MS <= 5000);
  assert.equal(checkDelay(1e9), CHECK_MAX_MS, 'huge attempt counts do not overflow');
  assert.equal(checkDelay(-5), CHECK_FIRST_MS);
});

test('notification: a newline anywhere in what was written means ready', () => {
  assert.equal(notificationSaysReady(Buffer.from('ready')), false);
  assert.equal(notificationSaysReady(Buffer.from('\n')), true);
  assert.equal(notificationSaysReady(Buffer.from('x\ny')), true);
});

test('health: unhealthy (and one restart) after exactly `retries` consecutive failures', () => {
  const spec = { retries: 3 };
  let st: HealthState = initialHealth();
  const restarts: number[] = [];
  const events: string[] = [];
  const results = [true, false, false, true, false, false, false, false, false, false];
  results.forEach((ok, i) => {
    const d = healthResult(st, ok, spec);
    st = d.state;
    if (d.restart) restarts.push(i);
    if (d.event) events.push(d.event);
    // After a restart, the new ./run starts with a clean count.
    if (d.restart) st = healthRestarted();
  });
  // failures at 1,2 reset by the success at 3; then 4,5,6 -> restart at 6; 7,8,9 -> restart at 9
  assert.deepEqual(restarts, [6, 9]);
  assert.deepEqual(events, ['healthy', 'unhealthy', 'unhealthy']);
  assert.deepEqual(st, initialHealth(), 'the new ./run starts with neither verdict nor count');
});

test('health-retries means one thing: unhealthy only after `retries` consecutive failures, also right after a health restart', () => {
  const spec = { retries: 3 };
  let st: HealthState = initialHealth();
  const verdicts: Array<boolean | null> = [];
  // fail x3 (unhealthy, restart), then the new ./run: fail, fail, pass
  for (const ok of [false, false, false, false, false, true]) {
    const d = healthResult(st, ok, spec);
    st = d.restart ? healthRestarted() : d.state;
    verdicts.push(d.state.healthy);
  }
  assert.deepEqual(verdicts, [null, null, false, null, null, true]);
  // Fewer than `retries` failures after a pass: still healthy, the count shows them.
  const d = healthResult({ healthy: true, failures: 0 }, false, spec);
  assert.deepEqual(d.state, { healthy: true, failures: 1 });
  assert.equal(d.event, null);
});

test('health messages count in the right number', () => {
  assert.equal(failedChecks(1), '1 failed health check');
  assert.equal(failedChecks(3), '3 failed health checks');
});

test('health: a healthy service is never restarted; retries 1 restarts at the first failure', () => {
  let st = initialHealth();
  for (let i = 0; i < 100; i++) {
    const d = healthResult(st, true, { retries: 3 });
    assert.equal(d.restart, false);
    assert.equal(d.event, i === 0 ? 'healthy' : null);
    st = d.state;
  }
  const d = healthResult(st, false, { retries: 1 });
  assert.equal(d.restart, true);
  assert.equal(d.event, 'unhealthy');
});

test('health: KILL after timeout-kill when set, else the documented default', () => {
  assert.equal(healthKillAfterMs(300), 300);
  assert.equal(healthKillAfterMs(null), HEALTH_KILL_DEFAULT_MS);
});

test('dependency gate: waits for the dependencies that are not ready; errors for missing ones and cycles', () => {
  const services = [
    { name: 'db', dependencies: [] },
    { name: 'cache', dependencies: [] },
    { name: 'web', dependencies: ['db', 'cache'] },
    { name: 'p', dependencies: ['q'] },
    { name: 'q', dependencies: ['p'] },
    { name: 'r', dependencies: ['nope'] },
  ];
  const plan = planFor(services);
  const ready = new Set(['cache']);
  const isReady = (n: string): boolean => ready.has(n);
  const by = (n: string) => services.find((s) => s.name === n) as (typeof services)[number];
  assert.equal(holdFor(by('db'), plan, isReady), undefined);
  assert.deepEqual(holdFor(by('web'), plan, isReady), { waitingFor: ['db'] });
  ready.add('db');
  assert.equal(holdFor(by('web'), plan, isReady), undefined);
  assert.deepEqual(notReady({ name: 'x', dependencies: ['db', 'db', 'zz'] }, isReady), ['zz']);
  assert.deepEqual(holdFor(by('p'), plan, isReady), { dependencyError: 'dependency cycle: p -> q -> p' });
  assert.deepEqual(holdFor(by('r'), plan, isReady), { dependencyError: 'dependency nope does not exist' });
});

/** A fake service for stop ordering: stop() records, done resolves when the test says so. */
function fake(name: string, dependencies: string[], log: string[]): StopEntry & { finish(): void } {
  let finish = (): void => {};
  const done = new Promise<void>((r) => (finish = r));
  return { name, dependencies, done, stop: () => log.push(name), finish: () => finish() };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('stop order: dependants first, the next only when they are down; independent ones at once', async () => {
  const log: string[] = [];
  // b needs a, c needs b; x is on its own.
  const a = fake('a', [], log);
  const b = fake('b', ['a'], log);
  const c = fake('c', ['b'], log);
  const x = fake('x', [], log);
  let all = false;
  void stopInDependencyOrder([a, b, c, x]).then(() => (all = true));
  await tick();
  assert.deepEqual(log.sort(), ['c', 'x']);
  x.finish();
  await tick();
  assert.deepEqual(log.sort(), ['c', 'x'], 'b waits for c, not for x');
  c.finish();
  await tick();
  assert.deepEqual(log, ['c', 'x', 'b']);
  b.finish();
  await tick();
  assert.deepEqual(log, ['c', 'x', 'b', 'a']);
  assert.equal(all, false);
  a.finish();
  await tick();
  await tick();
  assert.equal(all, true);
});

test('stop order: a service with two dependants waits for both; a cycle is stopped at once', async () => {
  const log: string[] = [];
  const db = fake('db', [], log);
  const w1 = fake('w1', ['db'], log);
  const w2 = fake('w2', ['db'], log);
  const p = fake('p', ['q'], log);
  const q = fake('q', ['p'], log);
  void stopInDependencyOrder([db, w1, w2, p, q]);
  await tick();
  assert.deepEqual(log.sort(), ['p', 'q', 'w1', 'w2']);
  w1.finish();
  await tick();
  assert.equal(log.includes('db'), false);
  w2.finish();
  await tick();
  await tick();
  assert.equal(log.includes('db'), true);
});
