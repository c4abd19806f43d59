// The probe HTTP server with a real client against a fake state: status
// codes through boot, readiness, an unhealthy service and shutdown; /metrics
// through a strict exposition-format parser; the bounds on requests.
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { initialExtStatus, type ExtStatus } from '../../src/supervise/ext-status.ts';
import { emitEvent, resetEvents } from '../../src/events/bus.ts';
import { startProbeServer, type Phase, type ProbeServer } from '../../src/observe/http-server.ts';
import type { ServiceSnapshot } from '../../src/observe/snapshot.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.ts';
import { rawStatus } from '../helpers/status-record.ts';

const now = Math.floor(Date.now() / 1000);
let phase: Phase = 'booting';
let snaps: ServiceSnapshot[] = [];
let orphans = 0;
let server: ProbeServer;
let port = 0;
const errors: unknown[] = [];

const up = (pid: number, since = now) => ({ st: rawStatus({ sec: since, pid, state: 1, want: 'u' }), normallyUp: true });
const down = (want = 'u') => ({ st: rawStatus({ sec: now, pid: 0, state: 0, want }), normallyUp: true });
const ext = (over: Partial<ExtStatus>): ExtStatus => ({ ...initialExtStatus(0), ...over });

before(async () => {
  server = await startProbeServer(
    { host: '127.0.0.1', port: 0 },
    {
      snapshots: () => snaps,
      fileSnapshots: () => snaps,
      phase: () => phase,
      orphansReaped: () => orphans,
      shuttingDown: () => phase === 'stopping',
    },
    (e) => errors.push(e),
  );
  port = server.address().port;
});
after(() => server.close());
beforeEach(() => resetEvents());

function request(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

test('readyz: 503 while booting, 200 when every wanted-up service is ready, 503 naming those that are not', async () => {
  snaps = [{ name: 'web', main: up(10), log: null, ext: null }];
  let r = await request('/readyz');
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.body).reason, 'booting');
  phase = 'running';
  r = await request('/readyz');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.deepEqual(JSON.parse(r.body), { ready: true });

  snaps = [
    { name: 'db', main: up(11), log: null, ext: ext({ ready: false }) },
    { name: 'web', main: down(), log: null, ext: null },
    { name: 'off', main: down('d'), log: null, ext: null },
  ];
  r = await request('/readyz');
  assert.equal(r.status, 503);
  const body = JSON.parse(r.body);
  assert.deepEqual(body.notReady, ['db', 'web']);
  assert.equal(body.reasons.web, 'down, want up');
  // HEAD: same status, no body
  const h = await request('/readyz', { method: 'HEAD' });
  assert.equal(h.status, 503);
  assert.equal(h.body, '');
});

test('healthz: 200 unless a service is unhealthy; readyz fails then too', async () => {
  phase = 'running';
  snaps = [{ name: 'web', main: up(10), log: null, ext: ext({ ready: true, healthy: true }) }];
  assert.equal((await request('/healthz')).status, 200);
  snaps = [{ name: 'web', main: up(10), log: null, ext: ext({ ready: true, healthy: false, healthFailures: 3 }) }];
  const r = await request('/healthz');
  assert.equal(r.status, 503);
  assert.deepEqual(JSON.parse(r.body).unhealthy, ['web']);
  assert.equal((await request('/readyz')).status, 503);
});

test('shutdown: readyz 503 from the first moment, healthz stays 200', async () => {
  snaps = [{ name: 'web', main: up(10), log: null, ext: null }];
  phase = 'stopping';
  const r = await request('/readyz');
  assert.equal(r.status, 503);
  assert.equal(JSON.parse(r.body).reason, 'shutting down');
  assert.equal((await request('/healthz')).status, 200);
  phase = 'running';
});

test('status: the sv status --json objects of every service', async () => {
  snaps = [
    { name: 'web', main: up(10, now - 5), log: up(11), ext: null },
    { name: 'gone', main: { error: 'runsv not running' }, log: null, ext: null },
  ];
  const r = await request('/status');
  assert.equal(r.status, 200);
  const v = JSON.parse(r.body) as Array<Record<string, unknown>>;
  assert.equal(v.length, 2);
  assert.deepEqual(Object.keys(v[0] as object), ['name', 'state', 'pid', 'seconds', 'want', 'paused', 'normallyUp', 'termSent', 'log']);
  assert.equal(v[0]?.pid, 10);
  assert.ok((v[0]?.seconds as number) >= 5);
  assert.equal((v[0]?.log as { pid: number }).pid, 11);
  assert.deepEqual(v[1], { name: 'gone', error: 'runsv not running' });
});

test('metrics: valid exposition with the per-service and global series', async () => {
  phase = 'running';
  orphans = 7;
  snaps = [
    { name: 'web', main: up(10, now - 30), log: null, ext: ext({ ready: true, healthy: false, restarts: 4, lastExit: { code: 3 } }) },
    { name: 'job', main: down(), log: null, ext: ext({ restarts: 1, lastExit: { signal: 'SIGKILL' } }) },
    { name: 'we"ird\\', main: up(12), log: null, ext: null },
  ];
  const r = await request('/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheusText(r.body);
  assert.equal(m.get('tsinit_service_up')?.type, 'gauge');
  assert.equal(m.get('tsinit_service_restarts_total')?.type, 'counter');
  assert.equal(sampleValue(m, 'tsinit_service_up', { service: 'web' }), 1);
  assert.equal(sampleValue(m, 'tsinit_service_up', { service: 'job' }), 0);
  assert.equal(sampleValue(m, 'tsinit_service_ready', { service: 'web' }), 1);
  assert.equal(sampleValue(m, 'tsinit_service_ready', { service: 'job' }), 0);
  assert.equal(sampleValue(m, 'tsinit_service_healthy', { service: 'web' }), 0);
  assert.equal(sampleValue(m, 'tsinit_service_healthy', { service: 'we"ird\\' }), 1);
  assert.equal(sampleValue(m, 'tsinit_service_restarts_total', { service: 'web' }), 4);
  assert.equal(sampleValue(m, 'tsinit_service_last_exit_code', { service: 'web' }), 3);
  assert.equal(sampleValue(m, 'tsinit_service_last_exit_code', { service: 'job' }), 137);
  assert.equal(sampleValue(m, 'tsinit_service_last_exit_code', { service: 'we"ird\\' }), undefined);
  assert.ok((sampleValue(m, 'tsinit_service_state_seconds', { service: 'web' }) ?? 0) >= 30);
  assert.equal(sampleValue(m, 'tsinit_orphans_reaped_total'), 7);
  assert.equal(sampleValue(m, 'tsinit_shutdown_in_progress'), 0);
  phase = 'stopping';
  const m2 = parsePrometheusText((await request('/metrics')).body);
  assert.equal(sampleValue(m2, 'tsinit_shutdown_in_progress'), 1);
  phase = 'running';
});

test('no control over HTTP: other methods 405, other paths 404, bodies refused', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const r = await request('/readyz', { method });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.allow, 'GET, HEAD');
  }
  assert.equal((await request('/')).status, 404);
  assert.equal((await request('/sv/up')).status, 404);
  assert.equal((await request('/readyz', { method: 'GET', headers: { 'Content-Length': '3' }, body: 'abc' })).status, 413);
  assert.equal((await request('/readyz', { method: 'GET', headers: { 'Transfer-Encoding': 'chunked' }, body: 'abc' })).status, 413);
  // a query string does not change the route
  snaps = [];
  assert.equal((await request('/healthz?verbose=1')).status, 200);
});

test('oversized headers are refused, and a broken request gets 400', async () => {
  const r = await request('/readyz', { headers: { 'X-Big': 'x'.repeat(20000) } }).catch(() => ({ status: 431 }));
  assert.equal(r.status, 431);
  const raw = await new Promise<string>((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('garbage\r\n\r\n'));
    let d = '';
    c.on('data', (b) => (d += b.toString()));
    c.on('close', () => resolve(d));
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
});

test('events: history first, then live, one JSON object per line', async () => {
  emitEvent({ type: 'spawned', service: 'web', side: 'main', pid: 1 });
  const lines: Array<Record<string, unknown>> = [];
  await new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] ?? '', /^application\/x-ndjson/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          if (lines.length === 1) emitEvent({ type: 'exited', service: 'web', side: 'main', pid: 1, code: 0 });
          if (lines.length === 2) {
            req.destroy();
            resolve();
          }
        }
      });
    });
    req.on('error', (e) => (lines.length >= 2 ? resolve() : reject(e)));
  });
  assert.deepEqual(lines.map((l) => l.type), ['spawned', 'exited']);
  assert.equal(typeof lines[0]?.time, 'number');
  assert.deepEqual(errors, []);
});
