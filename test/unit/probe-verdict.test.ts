// The probe verdict (readyz, healthz, `tsinit health`) over fake snapshots.
import test from 'node:test';
import assert from 'node:assert/strict';
import { initialExtStatus, type ExtStatus } from '../../src/supervise/ext-status.ts';
import type { ServiceSnapshot } from '../../src/observe/snapshot.ts';
import { failureLine, failures, unhealthy } from '../../src/observe/verdict.ts';
import { rawStatus } from '../helpers/status-record.ts';

const now = Math.floor(Date.now() / 1000);
const running = (want = 'u') => ({ st: rawStatus({ sec: now, pid: 42, state: 1, want }), normallyUp: true });
const down = (want = 'u') => ({ st: rawStatus({ sec: now, pid: 0, state: 0, want }), normallyUp: true });
const finishing = () => ({ st: rawStatus({ sec: now, pid: 43, state: 2, want: 'u' }), normallyUp: true });
const ext = (over: Partial<ExtStatus>): ExtStatus => ({ ...initialExtStatus(0), ...over });

function svc(name: string, over: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  return { name, main: running(), log: null, ext: null, ...over };
}

test('up and wanted up passes; no extension record means up is ready', () => {
  assert.deepEqual(failures([svc('web')], { ready: true }), []);
  assert.deepEqual(failures([svc('web')], { ready: false }), []);
});

test('down but wanted up fails; sv down (want down) is not counted', () => {
  const f = failures([svc('a', { main: down() }), svc('b', { main: down('d') }), svc('c', { main: finishing() })], { ready: false });
  assert.deepEqual(f.map(failureLine), ['a: down, want up', 'c: finishing, want up']);
});

test('a running service being taken down (want down) is not counted', () => {
  assert.deepEqual(failures([svc('a', { main: running('d') })], { ready: true }), []);
});

test('readiness from the extension record only with --ready / readyz', () => {
  const s = svc('web', { ext: ext({ ready: false, waitingFor: ['db'] }) });
  assert.deepEqual(failures([s], { ready: false }), []);
  assert.deepEqual(failures([s], { ready: true }).map(failureLine), ['web: not ready (waiting for db)']);
  const e = svc('api', { ext: ext({ ready: false, dependencyError: 'missing dependency: nope' }) });
  assert.deepEqual(failures([e], { ready: true }).map(failureLine), ['api: not ready (missing dependency: nope)']);
  assert.deepEqual(failures([svc('ok', { ext: ext({ ready: true }) })], { ready: true }), []);
});

test('unhealthy fails health and readiness, and is what healthz reports', () => {
  const s = svc('web', { ext: ext({ ready: true, healthy: false, healthFailures: 3 }) });
  assert.deepEqual(failures([s], { ready: false }).map(failureLine), ['web: unhealthy (3 failed health checks)']);
  assert.deepEqual(unhealthy([s, svc('ok', { ext: ext({ healthy: true }) }), svc('plain')]).map((f) => f.name), ['web']);
  // a service taken down on purpose is nobody's health problem
  assert.deepEqual(unhealthy([svc('web', { main: running('d'), ext: ext({ healthy: false }) })]), []);
});

test('log services count as NAME/log; unreadable services fail with sv\'s text', () => {
  const f = failures(
    [svc('web', { log: down() }), svc('gone', { main: { error: 'runsv not running' } }), svc('quiet', { log: down('d') })],
    { ready: false },
  );
  assert.deepEqual(f.map(failureLine), ['web/log: down, want up', 'gone: runsv not running']);
});

test('a service held by its dependencies says why, in tsinit health and readyz alike (not "down, want up")', () => {
  const waiting = svc('api', { main: down(), ext: ext({ ready: false, waitingFor: ['db', 'cache'] }) });
  const blocked = svc('job', { main: down(), ext: ext({ ready: false, dependencyError: 'dependency cycle: job -> x -> job' }) });
  const crashed = svc('web', { main: down(), ext: ext({ ready: false }) });
  for (const ready of [false, true]) {
    assert.deepEqual(failures([waiting, blocked, crashed], { ready }).map(failureLine), [
      'api: not ready (waiting for db, cache)',
      'job: not ready (dependency cycle: job -> x -> job)',
      'web: down, want up',
    ]);
  }
  // sv down on a waiting service: nobody wants it up
  assert.deepEqual(failures([svc('api', { main: down('d'), ext: ext({ waitingFor: ['db'] }) })], { ready: true }), []);
});

test('one failed health check is said in the singular', () => {
  const s = svc('web', { ext: ext({ ready: true, healthy: false, healthFailures: 1 }) });
  assert.deepEqual(failures([s], { ready: false }).map(failureLine), ['web: unhealthy (1 failed health check)']);
  assert.deepEqual(unhealthy([s]).map((f) => f.reason), ['unhealthy (1 failed health check)']);
});
