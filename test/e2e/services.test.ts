// Services inside a real container: orphans reaped by tsinit as PID 1, sv
// from `podman exec`, a SIGKILLed service restarted, and the Kubernetes
// probes of docs/kubernetes.md doing what the document says.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';
import { e2eImage } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { LIVENESS_PROBE, parsePs, PS_COMMAND, READINESS_PROBE, removeFixtures, serviceMount } from '../helpers/e2e-fixtures.ts';

const ORPHANS = 500;
// an argument no other process in the image has: `sleep 86399` is an orphan
const ORPHAN_LIFE = 86399;
let c: Container;

before(async () => {
  c = await Container.start(await e2eImage(), [
    ...serviceMount('orphans', {
      // the subshell exits at once: its 500 sleeps are re-parented to PID 1.
      // They live until the test kills them (a fixed lifetime, once 8 s, ran
      // out on a loaded machine before all 500 were counted).
      run: `exec 2>&1\n(i=0; while [ $i -lt ${ORPHANS} ]; do sleep ${ORPHAN_LIFE} & i=$((i + 1)); done)\necho "orphans: ${ORPHANS} left behind"\nexec sleep 1000`,
    }),
    // available only once /run/checked-ok exists
    ...serviceMount('checked', { run: 'exec sleep 1000', check: 'test -e /run/checked-ok' }),
  ]);
  await c.waitSh(
    'sv status /etc/service/*',
    /^run: \/etc\/service\/checked: .*\nrun: \/etc\/service\/clock: .*\nrun: \/etc\/service\/hello: .*; run: log: .*\nrun: \/etc\/service\/orphans: /,
  );
});

after(async () => {
  await cleanup();
  removeFixtures();
});

async function pidOf(service: string): Promise<number> {
  const out = await c.shOk(`sv status /etc/service/${service}`);
  const m = /^run: \S+: \(pid (\d+)\)/.exec(out);
  if (!m) throw new Error(`${service} not running: ${out}`);
  return Number(m[1]);
}

async function probe(line: string): Promise<number> {
  return (await c.sh(line)).code;
}

test(`a service leaving ${ORPHANS} orphans behind: PID 1 adopts and reaps them all, no zombie in ps`, async (t) => {
  await c.waitLogs(/orphans: 500 left behind/);
  // The subshell has forked all 500 when the line is logged, but a child may
  // not have exec'd sleep yet: wait until all 500 are visible as sleeps.
  const count = `${PS_COMMAND} | grep -c 'sleep ${ORPHAN_LIFE}$' || true`;
  await c.waitSh(count, new RegExp(`^${ORPHANS}$`, 'm'), 180_000);
  const adopted = parsePs(await c.shOk(PS_COMMAND)).filter((r) => r.args === `sleep ${ORPHAN_LIFE}`);
  assert.equal(adopted.length, ORPHANS, 'every orphan is alive and visible');
  assert.ok(adopted.every((r) => r.ppid === 1), 're-parented to tsinit (PID 1)');
  // they die now, all at once: PID 1 must reap every one of them
  const t0 = Date.now();
  await c.shOk(`kill ${adopted.map((r) => r.pid).join(' ')}`);
  await c.waitSh(count, /^0$/m, 180_000);
  // a killed sleep is a zombie ([sleep], not counted above) until PID 1 reaps it
  await c.waitSh("ps -o stat | grep -c '^Z' || true", /^0$/m, 180_000);
  t.diagnostic(`all ${ORPHANS} orphans reaped ${Date.now() - t0} ms after they were killed`);
  const rows = parsePs(await c.shOk(PS_COMMAND));
  const zombies = rows.filter((r) => r.stat.startsWith('Z'));
  assert.deepEqual(zombies, [], 'no zombie');
  assert.ok(rows.some((r) => r.pid === 1 && r.args.includes('/sbin/tsinit')), 'tsinit is PID 1');
});

test('podman exec sv down / up / restart; readiness and liveness probes follow', async () => {
  // every service runs, but checked's ./check fails: neither ready nor live
  assert.notEqual(await probe(READINESS_PROBE), 0, 'not ready while a ./check fails');
  assert.notEqual(await probe(LIVENESS_PROBE), 0, 'not live while a ./check keeps failing');
  await c.shOk('touch /run/checked-ok');
  assert.equal(await probe(READINESS_PROBE), 0, 'ready: every service runs and passes its ./check');
  assert.equal(await probe(LIVENESS_PROBE), 0, 'live');

  const down = await c.exec(['sv', 'down', '/etc/service/hello']);
  assert.equal(down.code, 0, down.stdout + down.stderr);
  assert.equal(down.stdout, '', 'without -v, sv down does not wait (runit)');
  await c.waitSh('sv status /etc/service/hello', /^down: \/etc\/service\/hello: \d+s, normally up; run: log: \(pid \d+\) \d+s\n$/);
  await c.waitSh('cat /etc/service/hello/log/main/current', /hello: finished \(exit -1, signal 15\)$/m);
  assert.notEqual(await probe(READINESS_PROBE), 0, 'not ready while hello is down');
  // sv check passes for a down service (runit 2.1.2): fine for liveness, useless for readiness
  assert.equal(await probe(LIVENESS_PROBE), 0, 'still live');

  const up = await c.exec(['sv', '-v', 'up', '/etc/service/hello']);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.match(up.stdout, /^ok: run: \/etc\/service\/hello: \(pid \d+\) \d+s\n$/);
  assert.equal(await probe(READINESS_PROBE), 0, 'ready again');

  const before1 = await pidOf('hello');
  const restart = await c.exec(['sv', 'restart', '/etc/service/hello']);
  assert.equal(restart.code, 0, restart.stdout + restart.stderr);
  assert.match(restart.stdout, /^ok: run: \/etc\/service\/hello: \(pid \d+\) \d+s\n$/);
  const after1 = await pidOf('hello');
  assert.notEqual(after1, before1, 'a new process');
});

test('kill -9 of a service inside the container: it is restarted', async () => {
  const pid = await pidOf('clock');
  await c.shOk(`kill -9 ${pid}`);
  const until = Date.now() + 120_000;
  let now = pid;
  while (now === pid) {
    if (Date.now() > until) throw new Error(`clock (pid ${pid}) was not restarted after kill -9`);
    await new Promise((r) => setTimeout(r, 200));
    now = await pidOf('clock').catch(() => pid);
  }
  assert.notEqual(now, pid);
  const rows = parsePs(await c.shOk(PS_COMMAND));
  assert.equal(rows.find((r) => r.pid === pid), undefined, 'the killed process is gone (reaped)');
  assert.ok(rows.some((r) => r.pid === now && r.ppid === 1), 'the new clock is a child of tsinit');
});

test('the probes in docs/kubernetes.md are the ones tested here', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'kubernetes.md'), 'utf8');
  assert.ok(doc.includes(JSON.stringify(READINESS_PROBE)), 'readiness probe');
  assert.ok(doc.includes(JSON.stringify(LIVENESS_PROBE)), 'liveness probe');
});
