// State that must not lie, with the real in-process supervisor and runsv:
// supervise/tsinit-status.json describes the running supervisor only (a
// record of an earlier boot is rewritten or removed), events of one service
// come in causal order, health counts start again at every start, and a
// service held by its dependencies says why in every reader.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Supervisor } from '../../src/supervise/supervisor.ts';
import { EXT_STATUS_FILE, readExtStatus, readExtStatusFile, writeExtStatus, type ExtStatus } from '../../src/supervise/ext-status.ts';
import { onEvent, type TsinitEvent } from '../../src/events/bus.ts';
import { fileSource } from '../../src/observe/file-source.ts';
import { inprocessSource } from '../../src/observe/inprocess-source.ts';
import { answer, type ProbeState } from '../../src/observe/http-server.ts';
import type { Metrics } from '../../src/observe/metrics.ts';
import { serviceJson } from '../../src/observe/status-json.ts';
import { tool } from '../helpers/tsinit.ts';
import { makeService, pidOf, readOr, statOf, waitFor } from '../helpers/runsvdir.ts';
import { file, root, supervise } from '../helpers/supervisors.ts';

const ext = (svc: string): ExtStatus | null => readExtStatus(path.join(svc, 'supervise'));

function svJson(svdir: string, name: string): Record<string, unknown> {
  const r = spawnSync(tool('sv'), ['status', '--json', name], { env: { ...process.env, SVDIR: svdir }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** tsinit health's runtime directory: none of the test's supervisors owns one. */
const healthRunDir = path.join(root('status-record-run-'), '.run');

function health(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(tool('tsinit'), ['health', ...args], { env: { PATH: process.env.PATH, TSINIT_RUN_DIR: healthRunDir }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout };
}

function probes(sup: Supervisor, dir: string): ProbeState {
  const src = inprocessSource(sup);
  return {
    snapshots: () => src.snapshots(),
    fileSnapshots: () => fileSource(dir).snapshots(),
    phase: () => 'running',
    orphansReaped: () => 0,
    shuttingDown: () => false,
  };
}

const noMetrics = (): Promise<Metrics> => Promise.reject(new Error('not asked'));

const extKeys = ['readiness', 'ready', 'essential', 'lastExit', 'healthy', 'note'];

test('a record of an earlier boot is not trusted: removed when the service no longer uses an extension, rewritten when it does; every reader agrees', async () => {
  const d = root('stale-record-');
  const job = makeService(d, 'job', 'exec sleep 1000');
  const kept = makeService(d, 'kept', 'exec sleep 1000');
  for (const s of [job, kept]) file(path.join(s, 'essential'), 'on-failure\n');
  file(path.join(kept, 'timeout-kill'), '5000\n');
  let sup = supervise(d);
  await waitFor('first boot: records', () => ext(job)?.essential === 'on-failure' && ext(kept)?.essential === 'on-failure' && statOf(job) === 'run');
  await sup.stopAll();
  // What a crash-looping essential service leaves behind (ready false, exit 7).
  for (const s of [job, kept]) {
    const old = readExtStatusFile(path.join(s, 'supervise')) as ExtStatus;
    assert.equal(writeExtStatus(path.join(s, 'supervise'), { ...old, ready: false, lastExit: { code: 7 }, restarts: 2 }), null);
  }
  fs.rmSync(path.join(job, 'essential'));
  fs.rmSync(path.join(kept, 'essential'));

  sup = supervise(d);
  await waitFor('second boot: running', () => statOf(job) === 'run' && statOf(kept) === 'run');
  // job uses no extension any more: supervise/ is runit's again.
  assert.deepEqual(fs.readdirSync(path.join(job, 'supervise')).filter((f) => f.startsWith(EXT_STATUS_FILE)), []);
  const jobJson = svJson(d, 'job');
  for (const k of extKeys) assert.equal(k in jobJson, false, `sv status --json job has ${k}: ${JSON.stringify(jobJson)}`);
  // kept still does: its record is this boot's.
  await waitFor('kept ready', () => ext(kept)?.ready === true);
  const k = ext(kept) as ExtStatus;
  assert.equal(k.essential, null);
  assert.equal(k.lastExit, null);
  assert.equal(k.restarts, 0);
  assert.equal(svJson(d, 'kept').essential, null);

  // tsinit health, /status (the files), /readyz (in-process): one story.
  assert.deepEqual(health(['--ready', d]), { code: 0, out: '' });
  const st = probes(sup, d);
  const status = JSON.parse((await answer(st, '/status', noMetrics)).body) as Array<Record<string, unknown>>;
  const jobStatus = status.find((s) => s.name === 'job') as Record<string, unknown>;
  for (const key of extKeys) assert.equal(key in jobStatus, false, `/status job has ${key}`);
  assert.equal((status.find((s) => s.name === 'kept') as Record<string, unknown>).essential, null);
  assert.equal((await answer(st, '/readyz', noMetrics)).status, 200);
  assert.deepEqual(
    fileSource(d).snapshots().map((s) => serviceJson(s)),
    status,
  );
  await sup.stopAll();
});

test('events of one service come in causal order: spawned before ready, exited before restarting before the next spawned', async () => {
  const d = root('event-order-');
  const plain = makeService(d, 'plain', 'exec sleep 1000');
  const ext1 = makeService(d, 'ext', 'exec sleep 1000');
  file(path.join(ext1, 'timeout-kill'), '5000\n'); // an extension, readiness still "up"
  const events: TsinitEvent[] = [];
  const off = onEvent((e) => events.push(e));
  const sup = supervise(d);
  try {
    for (const svc of [plain, ext1]) {
      const name = path.basename(svc);
      await waitFor(`${name} ready`, () => events.some((e) => e.type === 'ready' && e.service === name));
      const pid = pidOf(svc);
      process.kill(pid, 'SIGTERM');
      await waitFor(`${name} ready again`, () => events.filter((e) => e.type === 'ready' && e.service === name).length === 2);
      const seq = events
        .filter((e) => 'service' in e && e.service === name && (!('side' in e) || e.side === 'main') && e.type !== 'control')
        .map((e) => e.type);
      assert.deepEqual(seq, ['spawned', 'ready', 'exited', 'restarting', 'spawned', 'ready'], `${name}: ${seq.join(' ')}`);
    }
  } finally {
    off();
    await sup.stopAll();
  }
});

test('health: after a health restart the new ./run starts with neither verdict nor count, in every reader', async () => {
  const d = root('health-reset-');
  // The first ./run gets sick; the second one's checks wait on ./hold, so the
  // state right after the restart can be looked at before any new verdict.
  const svc = makeService(d, 'web', `[ -e starts ] && touch hold\necho x >> starts\nexec sleep 1000`);
  // ./failonce: the next check fails once, then checks wait on ./hold again.
  file(path.join(svc, 'health'), `#!/bin/sh\nwhile [ -e hold ]; do sleep 0.05; done\nif [ -e failonce ]; then rm -f failonce; touch hold; exit 1; fi\n[ ! -e sick ]\n`, 0o755);
  file(path.join(svc, 'health-interval'), '0.1');
  file(path.join(svc, 'health-timeout'), '60');
  file(path.join(svc, 'health-retries'), '2');
  const lines: string[] = [];
  const sup = supervise(d, lines);
  try {
    await waitFor('healthy', () => ext(svc)?.healthy === true);
    const pid = pidOf(svc);
    file(path.join(svc, 'sick'), '');
    await waitFor('restarted', () => readOr(path.join(svc, 'starts')).split('\n').filter(Boolean).length === 2 && statOf(svc) === 'run' && pidOf(svc) !== pid);
    fs.rmSync(path.join(svc, 'sick'));
    assert.ok(lines.includes('runsv web: warning: unhealthy after 2 failed health checks: restarting'), lines.join('\n'));
    await waitFor('record of the new start', () => ext(svc)?.ready === true);
    const j = svJson(d, 'web');
    assert.equal(j.healthy, null, JSON.stringify(j));
    assert.equal(j.healthFailures, 0);
    assert.deepEqual(health([d]), { code: 0, out: '' });
    const st = probes(sup, d);
    assert.equal((await answer(st, '/healthz', noMetrics)).status, 200);
    assert.equal(sup.services().get('web')?.extStatus().healthy, null);
    // One failure of the new process (health-retries is 2): counted, nothing unhealthy anywhere.
    file(path.join(svc, 'failonce'), '');
    fs.rmSync(path.join(svc, 'hold'));
    await waitFor('one failed check', () => ext(svc)?.healthFailures === 1);
    const one = svJson(d, 'web');
    assert.equal(one.healthy, null, JSON.stringify(one));
    assert.deepEqual(health([d]), { code: 0, out: '' });
    assert.equal((await answer(st, '/healthz', noMetrics)).status, 200);
    assert.equal((await answer(st, '/readyz', noMetrics)).status, 200);
    fs.rmSync(path.join(svc, 'hold'));
    await waitFor('healthy again', () => ext(svc)?.healthy === true && ext(svc)?.healthFailures === 0);
  } finally {
    fs.rmSync(path.join(svc, 'hold'), { force: true });
    await sup.stopAll();
  }
});

test('a service waiting for its dependencies says so in tsinit health, /readyz and sv status --json alike', async () => {
  const d = root('waiting-');
  const db = makeService(d, 'db', 'exec sleep 1000');
  file(path.join(db, 'check'), `#!/bin/sh\n[ -e go ]\n`, 0o755);
  const api = makeService(d, 'api', 'exec sleep 1000');
  file(path.join(api, 'dependencies.d', 'db'), '');
  const sup = supervise(d);
  try {
    await waitFor('api waits', () => ext(api)?.waitingFor.join() === 'db' && statOf(db) === 'run');
    const h = health(['--ready', d]);
    assert.equal(h.code, 1);
    assert.equal(h.out, 'api: not ready (waiting for db)\ndb: not ready\n');
    assert.equal(health([d]).out, 'api: not ready (waiting for db)\n');
    const r = await answer(probes(sup, d), '/readyz', noMetrics);
    assert.equal(r.status, 503);
    assert.deepEqual((JSON.parse(r.body) as { reasons: unknown }).reasons, { api: 'not ready (waiting for db)', db: 'not ready' });
    assert.equal(svJson(d, 'api').note, 'waiting for: db');
    file(path.join(db, 'go'), '');
    await waitFor('api runs', () => statOf(api) === 'run');
    await waitFor('all ready', () => health(['--ready', d]).code === 0);
  } finally {
    await sup.stopAll();
  }
});
