// Readiness (notification-fd, ./check), dependencies.d/ at boot and at
// shutdown, and health checks, with the real in-process supervisor and runsv.
// Every wait is for a condition; start times are compared from the files the
// services and supervise/tsinit-status.json record.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readExtStatus, type ExtStatus } from '../../src/supervise/ext-status.ts';
import { onEvent, type TsinitEvent } from '../../src/events/bus.ts';
import { spawnSync } from 'node:child_process';
import { tool } from '../helpers/tsinit.ts';
import { makeService, pidOf, readOr, statOf, waitFor } from '../helpers/runsvdir.ts';
import { file, root, supervise } from '../helpers/supervisors.ts';

function dependsOn(service: string, ...deps: string[]): void {
  for (const d of deps) file(path.join(service, 'dependencies.d', d), '');
}

function ext(service: string): ExtStatus | null {
  return readExtStatus(path.join(service, 'supervise'));
}

/** Nanoseconds since the epoch written by the service itself when its ./run started. */
function startedAt(service: string): number {
  return Number(readOr(path.join(service, 'started')).trim()) / 1e6;
}

/** `sv status --json NAME` (tsinit's sv) as parsed objects, and the text `sv status` line. */
function svJson(svdir: string, name: string): Record<string, unknown> {
  const r = spawnSync(tool('sv'), ['status', '--json', name], { env: { ...process.env, SVDIR: svdir }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const recordStart = `date +%s%N > started`;

test('notification-fd: ready only after the newline; the dependant starts after that, and not before', async () => {
  const d = root('ready-nfd-');
  const db = makeService(d, 'db', `while [ ! -e go ]; do sleep 0.05; done\necho ready >&5\nexec sleep 1000`);
  file(path.join(db, 'notification-fd'), '5\n');
  const web = makeService(d, 'web', `${recordStart}\nexec sleep 1000`);
  dependsOn(web, 'db');
  const lines: string[] = [];
  const events: TsinitEvent[] = [];
  const off = onEvent((e) => events.push(e));
  const sup = supervise(d, lines);
  try {
    await waitFor('db running', () => statOf(db) === 'run' && ext(db)?.readiness === 'notification-fd');
    await waitFor('web says it waits', () => ext(web)?.waitingFor.join() === 'db');
    assert.equal(ext(db)?.ready, false, 'running is not ready');
    assert.equal(ext(db)?.readySince, null);
    assert.equal(statOf(web), 'down', 'web is held');
    assert.equal(pidOf(web), 0);
    assert.ok(lines.includes('runsv web: waiting for: db'), lines.join('\n'));
    assert.ok(events.some((e) => e.type === 'waiting' && e.service === 'web'));
    assert.equal(sup.services().get('web')?.extStatus().waitingFor.join(), 'db');
    const waiting = svJson(d, 'web');
    assert.equal(waiting.note, 'waiting for: db');
    assert.deepEqual(waiting.waitingFor, ['db']);
    assert.equal(waiting.ready, false);
    assert.equal(waiting.state, 'down');
    const notYet = svJson(d, 'db');
    assert.equal(notYet.readiness, 'notification-fd');
    assert.equal(notYet.ready, false);
    assert.equal(notYet.readySince, null);

    file(path.join(db, 'go'), '');
    await waitFor('db ready', () => ext(db)?.ready === true);
    await waitFor('web started', () => statOf(web) === 'run' && readOr(path.join(web, 'started')).trim() !== '');
    const dbReady = ext(db)?.readySince as number;
    assert.ok(startedAt(web) >= dbReady, `web started ${startedAt(web)} before db was ready ${dbReady}`);
    assert.deepEqual(ext(web)?.waitingFor, []);
    assert.equal(ext(web)?.readiness, 'up');
    assert.equal(ext(web)?.ready, true);
    assert.ok(events.some((e) => e.type === 'ready' && e.service === 'db'));
    assert.equal(sup.services().get('db')?.extStatus().ready, true);
    assert.equal(sup.services().get('db')?.name, 'db');
    const readyJson = svJson(d, 'db');
    assert.equal(readyJson.ready, true);
    assert.equal(readyJson.readySince, dbReady);
    assert.equal(svJson(d, 'web').note, null);
  } finally {
    off();
    await sup.stopAll();
  }
  assert.equal(ext(db)?.ready, false, 'stopped is not ready');
});

test('./check: polled after the start until it passes; the dependant waits for it', async () => {
  const d = root('ready-check-');
  const db = makeService(d, 'db', `exec sleep 1000`);
  file(path.join(db, 'check'), `#!/bin/sh\necho x >> checks\n[ -e go ]\n`, 0o755);
  const web = makeService(d, 'web', `${recordStart}\nexec sleep 1000`);
  dependsOn(web, 'db');
  const sup = supervise(d, []);
  try {
    await waitFor('db checked several times', () => readOr(path.join(db, 'checks')).split('\n').length > 3);
    assert.equal(ext(db)?.readiness, 'check');
    assert.equal(ext(db)?.ready, false);
    assert.equal(statOf(web), 'down');
    file(path.join(db, 'go'), '');
    await waitFor('web started', () => statOf(web) === 'run' && readOr(path.join(web, 'started')).trim() !== '');
    const dbReady = ext(db)?.readySince as number;
    assert.ok(dbReady > 0);
    assert.ok(startedAt(web) >= dbReady, `web started ${startedAt(web)} before db was ready ${dbReady}`);
    // Polling stops once ready: the count does not grow any more.
    const n = readOr(path.join(db, 'checks'));
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(readOr(path.join(db, 'checks')), n, './check is not run once the service is ready');
  } finally {
    await sup.stopAll();
  }
});

test('a service that exits before it is ready is not ready (and its dependant keeps waiting)', async () => {
  const d = root('ready-exit-');
  const db = makeService(d, 'db', `echo x >> starts\nsleep 0.2\nexit 1`);
  file(path.join(db, 'notification-fd'), '3');
  const web = makeService(d, 'web', `exec sleep 1000`);
  dependsOn(web, 'db');
  const sup = supervise(d, []);
  try {
    await waitFor('db restarted twice', () => readOr(path.join(db, 'starts')).split('\n').length > 3);
    assert.equal(ext(db)?.ready, false);
    assert.equal(ext(db)?.readySince, null);
    assert.equal(statOf(web), 'down');
    assert.deepEqual(ext(web)?.waitingFor, ['db']);
  } finally {
    await sup.stopAll();
  }
});

test('sv up (a control byte u) starts a waiting service anyway, as runit would', async () => {
  const d = root('ready-up-');
  const db = makeService(d, 'db', `exec sleep 1000`);
  file(path.join(db, 'check'), `#!/bin/sh\nexit 1\n`, 0o755);
  const web = makeService(d, 'web', `exec sleep 1000`);
  dependsOn(web, 'db');
  const sup = supervise(d, []);
  try {
    await waitFor('web waiting', () => ext(web)?.waitingFor.join() === 'db' && fs.existsSync(path.join(web, 'supervise/control')));
    const fd = fs.openSync(path.join(web, 'supervise/control'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fd, 'u');
    fs.closeSync(fd);
    await waitFor('web running', () => statOf(web) === 'run' && pidOf(web) > 0);
    assert.equal(ext(db)?.ready, false);
  } finally {
    await sup.stopAll();
  }
});

test('shutdown: a service stops before what it depends on; independent services stop in parallel', async () => {
  const d = root('deps-stop-');
  const order = path.join(d, '.order');
  // On TERM a service records it, waits until the test lets it go (the file
  // release-NAME in the scan directory), then records that it is down.
  const svc = (name: string): string =>
    makeService(
      d,
      name,
      `trap 'echo ${name}-term >> "${order}"; while [ ! -e "${d}/release-${name}" ]; do sleep 0.02; done; echo ${name}-down >> "${order}"; exit 0' TERM\nwhile :; do sleep 0.05; done`,
    );
  const release = (name: string): void => file(path.join(d, `release-${name}`), '');
  const lines = (): string[] => readOr(order).trim().split('\n').filter(Boolean);
  // The chain a -> b -> c: b needs a, c needs b.
  const a = svc('a');
  const b = svc('b');
  const c = svc('c');
  dependsOn(b, 'a');
  dependsOn(c, 'b');
  // Two independent services.
  svc('x');
  svc('y');
  const sup = supervise(d, []);
  // b and c wait for dependencies (they have tsinit's record); a, x and y are
  // plain runit services (no record: ready means up).
  await waitFor('all running', () =>
    ['b', 'c'].every((n) => ext(path.join(d, n))?.ready === true) && ['a', 'x', 'y'].every((n) => statOf(path.join(d, n)) === 'run'),
  );
  const aPid = pidOf(a);
  const stopping = sup.stopAll();
  // a waits for b and c, yet PID 1 can still KILL it at the deadline: pids() lists it.
  assert.ok(sup.pids().includes(aPid), 'a waiting for its dependants is still in pids()');
  // c, x and y are stopped together: x and y are both stopping before either is down.
  await waitFor('c, x, y told to stop', () => ['c-term', 'x-term', 'y-term'].every((w) => lines().includes(w)));
  release('x');
  release('y');
  await waitFor('x and y down', () => lines().includes('x-down') && lines().includes('y-down'));
  assert.ok(!lines().includes('b-term'), `b waits while c stops: ${lines().join(' ')}`);
  release('c');
  await waitFor('b told to stop', () => lines().includes('b-term'));
  assert.ok(!lines().includes('a-term'), `a waits while b stops: ${lines().join(' ')}`);
  release('b');
  await waitFor('a told to stop', () => lines().includes('a-term'));
  release('a');
  await stopping;
  const got = lines();
  const at = (w: string): number => got.indexOf(w);
  assert.ok(at('c-down') < at('b-term') && at('b-down') < at('a-term'), `order c, b, a: ${got.join(' ')}`);
  assert.ok(at('x-term') < at('y-down') && at('y-term') < at('x-down'), `x and y stop in parallel: ${got.join(' ')}`);
  assert.equal(statOf(a), 'down');
  assert.equal(statOf(b), 'down');
  assert.equal(statOf(c), 'down');
});

test('a cycle and a missing dependency: clear errors naming the services; those are not started, the rest runs', async () => {
  const d = root('deps-bad-');
  const p = makeService(d, 'p', `exec sleep 1000`);
  const q = makeService(d, 'q', `exec sleep 1000`);
  dependsOn(p, 'q');
  dependsOn(q, 'p');
  const r = makeService(d, 'r', `exec sleep 1000`);
  dependsOn(r, 'nope');
  const s = makeService(d, 's', `exec sleep 1000`);
  dependsOn(s, 'r');
  const ok = makeService(d, 'ok', `exec sleep 1000`);
  const lines: string[] = [];
  const events: TsinitEvent[] = [];
  const off = onEvent((e) => events.push(e));
  const sup = supervise(d, lines);
  try {
    await waitFor('ok running', () => statOf(ok) === 'run');
    await waitFor('errors recorded', () => [p, q, r, s].every((x) => ext(x)?.dependencyError));
    assert.ok(lines.includes('runsv p: fatal: not started: dependency cycle: p -> q -> p'), lines.join('\n'));
    assert.ok(lines.includes('runsv q: fatal: not started: dependency cycle: p -> q -> p'), lines.join('\n'));
    assert.ok(lines.includes('runsv r: fatal: not started: dependency nope does not exist'), lines.join('\n'));
    assert.ok(lines.includes('runsv s: fatal: not started: depends on r, which cannot start'), lines.join('\n'));
    assert.equal(ext(r)?.dependencyError, 'dependency nope does not exist');
    for (const x of [p, q, r, s]) {
      assert.equal(statOf(x), 'down');
      assert.equal(pidOf(x), 0);
    }
    assert.ok(events.some((e) => e.type === 'dependency-error' && e.service === 'p'));
    assert.ok(pidOf(ok) > 0);
  } finally {
    off();
    await sup.stopAll();
  }
});

test('health: a check that starts failing gives exactly one restart after the retries; a healthy service is never restarted', async () => {
  const d = root('health-');
  const health = (svc: string): void => {
    file(path.join(svc, 'health'), `#!/bin/sh\necho x >> checks\n[ ! -e sick ]\n`, 0o755);
    file(path.join(svc, 'health-interval'), '0.1');
    file(path.join(svc, 'health-timeout'), '2');
    file(path.join(svc, 'health-retries'), '3');
  };
  // sick: fails its checks until restarted (./run clears the flag).
  const sick = makeService(d, 'sick', `echo x >> starts\nrm -f sick\nexec sleep 1000`);
  health(sick);
  const fine = makeService(d, 'fine', `echo x >> starts\nexec sleep 1000`);
  health(fine);
  const events: TsinitEvent[] = [];
  const off = onEvent((e) => events.push(e));
  const count = (svc: string, f: string): number => readOr(path.join(svc, f)).split('\n').filter(Boolean).length;
  const sup = supervise(d, []);
  try {
    await waitFor('both healthy', () => ext(sick)?.healthy === true && ext(fine)?.healthy === true);
    file(path.join(sick, 'sick'), '');
    await waitFor('sick restarted', () => count(sick, 'starts') === 2, 20_000);
    await waitFor('healthy again', () => ext(sick)?.healthy === true && ext(sick)?.healthFailures === 0);
    const after = count(sick, 'checks');
    await waitFor('ten more checks', () => count(sick, 'checks') >= after + 10 && count(fine, 'checks') >= 20, 20_000);
    assert.equal(count(sick, 'starts'), 2, 'exactly one restart');
    assert.equal(count(fine, 'starts'), 1, 'a healthy service is never restarted');
    assert.equal(events.filter((e) => e.type === 'unhealthy' && e.service === 'sick').length, 1);
    assert.equal(events.filter((e) => e.type === 'unhealthy' && e.service === 'fine').length, 0);
    assert.ok(events.some((e) => e.type === 'healthy' && e.service === 'fine'));
  } finally {
    off();
    await sup.stopAll();
  }
});

test('health: a service that ignores TERM is KILLed after timeout-kill; no health checks while not ready', async () => {
  const d = root('health-kill-');
  // Ignores TERM while ./ignore-term exists (removed before the final stop).
  const stubborn = makeService(d, 'stubborn', `trap '[ -e ignore-term ] || exit 0' TERM\necho x >> starts\nrm -f sick\nwhile :; do sleep 0.05; done`);
  file(path.join(stubborn, 'ignore-term'), '');
  file(path.join(stubborn, 'health'), `#!/bin/sh\n[ ! -e sick ]\n`, 0o755);
  file(path.join(stubborn, 'health-interval'), '0.1');
  file(path.join(stubborn, 'health-retries'), '2');
  file(path.join(stubborn, 'timeout-kill'), '300');
  const never = makeService(d, 'never', `exec sleep 1000`);
  file(path.join(never, 'check'), `#!/bin/sh\necho x >> checks\nexit 1\n`, 0o755);
  file(path.join(never, 'health'), `#!/bin/sh\necho x >> health-runs\n`, 0o755);
  file(path.join(never, 'health-interval'), '0.1');
  const count = (svc: string, f: string): number => readOr(path.join(svc, f)).split('\n').filter(Boolean).length;
  const sup = supervise(d, []);
  try {
    await waitFor('stubborn healthy', () => ext(stubborn)?.healthy === true);
    const pid = pidOf(stubborn);
    file(path.join(stubborn, 'sick'), '');
    await waitFor('stubborn restarted by KILL', () => count(stubborn, 'starts') === 2 && pidOf(stubborn) !== pid, 20_000);
    await waitFor('never checked a few times', () => count(never, 'checks') >= 5);
    assert.equal(fs.existsSync(path.join(never, 'health-runs')), false, 'no health check before ready');
  } finally {
    fs.rmSync(path.join(stubborn, 'ignore-term'), { force: true });
    await sup.stopAll();
  }
});
