// The HTTP probe server in a real tsinit (PID 1 of a PID namespace) with a
// real client: status codes through boot, readiness, a failing service and a
// shutdown with TSINIT_STOP_DELAY; /status equal to `sv status --json`;
// /metrics through a strict exposition parser; the drain seen by
// `tsinit health --ready`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { tool, toolBin } from '../helpers/tsinit.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.ts';

/** One request on a fresh connection, as a kubelet probe makes it. */
function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 10000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => reject(new Error(`GET ${p}: ${e.message}`)));
  });
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await sleep(50);
  }
}

function health(args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const r = spawnSync(tsinit(), ['health', ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Equal but for seconds, which may advance by the time between the two reads. */
function sameStatus(a: Array<Record<string, unknown>>, b: Array<Record<string, unknown>>, gapMs: number): void {
  const strip = (v: Array<Record<string, unknown>>) =>
    v.map((o) => ({ ...o, seconds: 0, log: o.log && typeof o.log === 'object' ? { ...(o.log as object), seconds: 0 } : o.log }));
  assert.deepEqual(strip(a), strip(b));
  a.forEach((o, i) => {
    const d = (b[i]?.seconds as number) - (o.seconds as number);
    assert.ok(d >= 0 && d <= Math.ceil(gapMs / 1000) + 1, JSON.stringify([a, b]));
  });
}

test('HTTP probes: boot, ready, a failing service, /status, /metrics, shutdown with a stop delay', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-probes-'));
  const marks = path.join(tmp, 'marks');
  fs.mkdirSync(marks);
  const svc = serviceDir({
    web: { run: `[ -e ${marks}/broken ] && exit 1; exec sleep 1000`, log: 'exec cat >/dev/null' },
    db: { run: 'exec sleep 1000' },
  });
  const runDir = path.join(tmp, 'run');
  const stages = runitDir({ '1': `while [ ! -e ${marks}/go ]; do sleep 0.05; done` });
  const env = { TSINIT_RUN_DIR: runDir, TSINIT_SERVICE_DIR: svc };
  const r = run([tsinit()], {
    ...env,
    TSINIT_RUNIT_DIR: stages,
    TSINIT_HTTP: '127.0.0.1:0',
    // long enough for the checks below on a loaded machine; with units, as every duration
    TSINIT_STOP_DELAY: '6s',
    TSINIT_SHUTDOWN_TIMEOUT: '10s',
    PATH: `${toolBin()}:${process.env.PATH}`,
  });
  try {
    await r.waitFor(/http: listening on 127\.0\.0\.1:\d+/);
    const port = Number(/http: listening on 127\.0\.0\.1:(\d+)/.exec(r.output())?.[1]);

    // Boot: stage 1 is still running.
    const boot = await get(port, '/readyz');
    assert.equal(boot.status, 503);
    assert.equal(JSON.parse(boot.body).reason, 'booting');
    assert.equal((await get(port, '/healthz')).status, 200, 'PID 1 answers: alive');

    fs.writeFileSync(path.join(marks, 'go'), '');
    await until('ready', () => get(port, '/readyz'), (x) => x.status === 200);
    assert.equal(health(['--ready'], env).code, 0);

    // sv down: no longer wanted up, so still ready.
    assert.equal(spawnSync(tool('sv'), ['-w', '5', 'down', path.join(svc, 'db')]).status, 0);
    assert.equal((await get(port, '/readyz')).status, 200);
    assert.equal(health([], env).code, 0);

    // /status is what sv status --json prints for every service.
    const asked = Date.now();
    const viaHttp = JSON.parse((await get(port, '/status')).body) as Array<Record<string, unknown>>;
    const sv = spawnSync(tool('sv'), ['--json', 'status', 'db', 'web'], { env: { ...process.env, SVDIR: svc }, encoding: 'utf8' });
    sameStatus(viaHttp, sv.stdout.trim().split('\n').map((l) => JSON.parse(l)), Date.now() - asked);
    assert.equal(viaHttp.length, 2);
    assert.equal(spawnSync(tool('sv'), ['up', path.join(svc, 'db')]).status, 0);
    await waitFile(path.join(svc, 'db', 'supervise', 'stat'), 'run\n');

    // A service that keeps failing: down, want up between its restarts.
    fs.writeFileSync(path.join(marks, 'broken'), '');
    spawnSync(tool('sv'), ['term', path.join(svc, 'web')]);
    const failing = await until('web failing', () => get(port, '/readyz'), (x) => x.status === 503);
    assert.deepEqual(JSON.parse(failing.body).notReady, ['web']);
    const h = await until('health failing', async () => health([], env), (x) => x.code === 1);
    assert.match(h.out, /^web: (down|finishing), want up$/m);
    const metrics = parsePrometheusText((await get(port, '/metrics')).body);
    assert.equal(sampleValue(metrics, 'tsinit_service_up', { service: 'db' }), 1);
    assert.equal(sampleValue(metrics, 'tsinit_shutdown_in_progress'), 0);
    assert.equal(typeof sampleValue(metrics, 'tsinit_orphans_reaped_total'), 'number');
    assert.ok((sampleValue(metrics, 'tsinit_service_state_seconds', { service: 'db' }) ?? -1) >= 0);
    fs.rmSync(path.join(marks, 'broken'));
    await until('ready again', () => get(port, '/readyz'), (x) => x.status === 200);

    // Shutdown: not ready at once, services keep running for the delay.
    const dbPid = Number(fs.readFileSync(path.join(svc, 'db', 'supervise', 'pid'), 'utf8'));
    const sent = Date.now();
    await r.signal('SIGTERM');
    const drain = await until('not ready', () => get(port, '/readyz'), (x) => x.status === 503);
    assert.equal(JSON.parse(drain.body).reason, 'shutting down');
    assert.equal((await get(port, '/healthz')).status, 200, 'alive while draining');
    const hr = health(['--ready'], env);
    assert.equal(hr.code, 1);
    assert.match(hr.out, /shutting down/);
    assert.equal(health([], env).code, 0, 'plain health: still healthy while draining');
    assert.equal(fs.readFileSync(path.join(svc, 'db', 'supervise', 'stat'), 'utf8'), 'run\n');
    assert.equal(Number(fs.readFileSync(path.join(svc, 'db', 'supervise', 'pid'), 'utf8')), dbPid);
    const m = parsePrometheusText((await get(port, '/metrics')).body);
    assert.equal(sampleValue(m, 'tsinit_shutdown_in_progress'), 1);
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    assert.equal(fs.existsSync(path.join(runDir, 'stopping')), false, 'the drain marker is removed at exit');
    const took = Date.now() - sent;
    assert.ok(took >= 6000, `the services ran for the delay (${took} ms)`);
    assert.ok(took < 10000 + 2000, `within the budget (${took} ms)`);
  } finally {
    if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  }
});

test('a stop delay that leaves no time for the rest of the shutdown is refused at start', async () => {
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: runitDir({}),
    TSINIT_SERVICE_DIR: serviceDir({}),
    TSINIT_STOP_DELAY: '9',
    TSINIT_SHUTDOWN_TIMEOUT: '9',
    TSINIT_RUN_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-run-')),
  });
  const ex = await r.exit;
  assert.equal(ex.code, 111);
  assert.match(r.output(), /tsinit: fatal: TSINIT_STOP_DELAY=9 leaves 0 ms of the 9000 ms shutdown budget/);
  assert.doesNotMatch(r.output(), /booting/);
});

test('TSINIT_HTTP with a bad value is refused at start; off is no probe server and no warning', async () => {
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: runitDir({}), TSINIT_SERVICE_DIR: serviceDir({}), TSINIT_HTTP: 'nonsense' });
  const ex = await r.exit;
  assert.equal(ex.code, 111);
  assert.match(r.output(), /^tsinit: fatal: TSINIT_HTTP=nonsense: invalid \(expected \[ADDR:\]PORT, such as 8080, 0\.0\.0\.0:8080 or \[::\]:8080, or off\)\n/);
  assert.doesNotMatch(r.output(), /booting/);
  for (const off of ['off', 'OFF', '0', 'false']) {
    const o = run([tsinit()], { TSINIT_RUNIT_DIR: runitDir({ '1': 'exit 0' }), TSINIT_SERVICE_DIR: serviceDir({}), TSINIT_HTTP: off, TSINIT_RUN_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-run-')) });
    await o.waitFor('booting');
    await o.signal('SIGTERM');
    assert.equal((await o.exit).code, 0, o.output());
    assert.doesNotMatch(o.output(), /TSINIT_HTTP|invalid|http: listening/, `TSINIT_HTTP=${off}: ${o.output()}`);
  }
});
