// The image of Dockerfile.example in a real container (podman + runc): it
// boots through stage 1 into the built-in supervisor, and `podman stop`
// (SIGTERM, or SIGCONT with runit's stopit file) runs stage 3 and the
// services' finish scripts and exits 0 long before the runtime's SIGKILL.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { e2eImage, podmanOk } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { removeFixtures, serviceMount } from '../helpers/e2e-fixtures.ts';

after(async () => {
  await cleanup();
  removeFixtures();
});

const STOP_TIMEOUT_S = 10;
/** TSINIT_SHUTDOWN_TIMEOUT of Dockerfile.example */
const BUDGET_MS = 9000;

/** hello's log (svlogd's current) from a stopped container. */
async function helloLog(c: Container): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-e2e-cp-'));
  try {
    await podmanOk(['cp', `${c.name}:/etc/service/hello/log/main/current`, path.join(dir, 'current')]);
    return fs.readFileSync(path.join(dir, 'current'), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether tsinit had to SIGKILL a service (the example hello's orphaned `sleep 5` can hold its log pipe). */
function sigkillNote(logs: string): string {
  return /services not terminated, sending sigkill/.test(logs) ? '; tsinit had to SIGKILL a service at half the budget' : '; no SIGKILL needed';
}

async function bootAndCheck(c: Container, services: string[] = ['clock', 'hello']): Promise<void> {
  // (stdout and stderr are separate streams for the runtime: no order between them is assumed)
  const logs = await c.waitLogs(/^clock: \d\d:\d\d:\d\d$/m);
  assert.match(logs, /enter stage: \/etc\/runit\/2 \(built-in supervisor on \/etc\/service\)/);
  assert.match(logs, /tsinit 0\.1\.0: booting\./);
  assert.match(logs, /enter stage: \/etc\/runit\/1/);
  assert.match(logs, /stage 1: preparing the container/);
  assert.match(logs, /leave stage: \/etc\/runit\/1/);
  const all = new RegExp('^' + services.map((s) => `run: /etc/service/${s}: \\(pid \\d+\\) \\d+s(; run: log: \\(pid \\d+\\) \\d+s)?\\n`).join(''));
  const status = await c.waitSh('sv status /etc/service/*', all);
  assert.match(status, /^run: \/etc\/service\/hello: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s$/m);
  assert.equal(status.trim().split('\n').length, services.length, status);
  const log = await c.waitSh('cat /etc/service/hello/log/main/current', /hello: tick 1/);
  assert.match(log, /^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} hello: started$/m);
}

/** How long tsinit's shutdown took by its own clock (its "exit after N ms." line). */
function tsinitExitMs(logs: string): number {
  return Number(/exit after (\d+) ms\./.exec(logs)?.[1] ?? NaN);
}

test('boot: stages 1 and 2 run, every service is `run`, logs show tsinit and the services', async () => {
  const c = await Container.start(await e2eImage());
  await bootAndCheck(c);
  await c.stop(STOP_TIMEOUT_S);
});

test('podman stop (STOPSIGNAL SIGTERM): stage 3, finish scripts, exit 0 well before the timeout', async (t) => {
  const image = await e2eImage();
  assert.equal((await podmanOk(['image', 'inspect', '--format', '{{.Config.StopSignal}}', image])).trim(), 'SIGTERM');
  assert.match(await podmanOk(['image', 'inspect', '--format', '{{.Config.Env}}', image]), new RegExp(`TSINIT_SHUTDOWN_TIMEOUT=${BUDGET_MS / 1000}\\b`));
  const c = await Container.start(image);
  await bootAndCheck(c);
  const r = await c.stop(STOP_TIMEOUT_S);
  t.diagnostic(`podman stop (SIGTERM) took ${r.elapsedMs} ms (timeout ${STOP_TIMEOUT_S} s), exit code ${r.exitCode}${sigkillNote(r.logs)}`);
  assert.equal(r.exitCode, 0, r.logs);
  assert.match(r.logs, /shutdown requested: SIGTERM/);
  assert.match(r.logs, /leave stage: \/etc\/runit\/2/);
  assert.match(r.logs, /enter stage: \/etc\/runit\/3[\s\S]*leave stage: \/etc\/runit\/3/);
  assert.match(r.logs, /stage 3: all services stopped, goodbye/);
  assert.match(r.logs, /exit after \d+ ms\./);
  assert.match(await helloLog(c), /hello: finished \(exit -1, signal 15\)$/m);
  // Within tsinit's 9 s budget, so before the runtime's SIGKILL at 10 s. (The
  // example hello service can hold its log pipe through an orphaned `sleep 5`
  // for up to half the budget, exactly as under runit: svlogd waits for EOF.)
  // measured by tsinit's clock: podman's own start-up and a loaded machine are not tsinit's
  assert.ok(tsinitExitMs(r.logs) < BUDGET_MS, `stop took ${tsinitExitMs(r.logs)} ms by tsinit's clock, ${r.elapsedMs} ms by ours`);
});

test('podman stop with SIGCONT (runit stopit file from stage 1): same orderly shutdown, exit 0', async (t) => {
  const c = await Container.start(await e2eImage(), ['--stop-signal', 'SIGCONT']);
  await bootAndCheck(c);
  assert.equal((await c.shOk('stat -c %a /run/runit.stopit')).trim(), '100');
  const r = await c.stop(STOP_TIMEOUT_S);
  t.diagnostic(`podman stop (SIGCONT) took ${r.elapsedMs} ms (timeout ${STOP_TIMEOUT_S} s), exit code ${r.exitCode}${sigkillNote(r.logs)}`);
  assert.equal(r.exitCode, 0, r.logs);
  assert.match(r.logs, /shutdown requested: SIGCONT \(\/run\/runit\.stopit\)/);
  assert.match(r.logs, /stage 3: all services stopped, goodbye/);
  assert.match(await helloLog(c), /hello: finished \(exit -1, signal 15\)$/m);
  // Within tsinit's 9 s budget, so before the runtime's SIGKILL at 10 s. (The
  // example hello service can hold its log pipe through an orphaned `sleep 5`
  // for up to half the budget, exactly as under runit: svlogd waits for EOF.)
  // measured by tsinit's clock: podman's own start-up and a loaded machine are not tsinit's
  assert.ok(tsinitExitMs(r.logs) < BUDGET_MS, `stop took ${tsinitExitMs(r.logs)} ms by tsinit's clock, ${r.elapsedMs} ms by ours`);
});

test('a service that ignores SIGTERM is killed within the budget; the container exits 0 before the runtime SIGKILL', async (t) => {
  const budgetS = 4;
  const stopTimeoutS = 8;
  const c = await Container.start(await e2eImage(), [
    '-e', `TSINIT_SHUTDOWN_TIMEOUT=${budgetS}`,
    ...serviceMount('stubborn', {
      run: "exec 2>&1\ntrap '' TERM\necho 'stubborn: up, ignoring TERM'\nwhile :; do sleep 0.2; done",
      finish: 'echo "stubborn: finished (exit $1, signal $2)"',
    }),
  ]);
  await bootAndCheck(c, ['clock', 'hello', 'stubborn']);
  await c.waitLogs(/stubborn: up, ignoring TERM/);
  const r = await c.stop(stopTimeoutS);
  t.diagnostic(`podman stop with a TERM-ignoring service took ${r.elapsedMs} ms (budget ${budgetS} s, stop timeout ${stopTimeoutS} s), exit code ${r.exitCode}`);
  assert.equal(r.exitCode, 0, r.logs); // 137 would be the runtime's SIGKILL
  assert.match(r.logs, /services not terminated, sending sigkill/);
  assert.match(r.logs, /stubborn: finished \(exit -1, signal 9\)/);
  assert.match(r.logs, /stage 3: all services stopped, goodbye/);
  // exit code 0 (not 137) already shows the runtime's SIGKILL never came; the
  // budget is measured by tsinit's clock
  assert.ok(tsinitExitMs(r.logs) < budgetS * 1000 + 500, `stop took ${tsinitExitMs(r.logs)} ms by tsinit's clock, ${r.elapsedMs} ms by ours`);
});

test('`runit-init 0` inside the container (runit style) stops it through stage 3, exit 0', async (t) => {
  const c = await Container.start(await e2eImage());
  await bootAndCheck(c);
  const t0 = Date.now();
  const r = await c.exec(['runit-init', '0']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // podman's own wait gets slack for a loaded machine; the budget is checked below by tsinit's clock
  const code = await c.wait(BUDGET_MS + 60_000);
  t.diagnostic(`container exited ${Date.now() - t0} ms after runit-init 0, exit code ${code}`);
  assert.equal(code, 0);
  const logs = await c.logs();
  assert.match(logs, /shutdown requested: SIGCONT \(\/run\/runit\.stopit\)/);
  assert.match(logs, /stage 3: all services stopped, goodbye/);
  assert.ok(tsinitExitMs(logs) < BUDGET_MS, `stop took ${tsinitExitMs(logs)} ms by tsinit's clock`);
});
