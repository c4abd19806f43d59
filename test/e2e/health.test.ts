// `tsinit health` as a container health check: `podman run --health-cmd
// "tsinit health"` reports the container healthy while every service that is
// wanted up runs, and unhealthy once a service is down that should be up.
// The checks are driven on demand (`podman healthcheck run`, no timer).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { e2eImage, podman, podmanOk } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { removeFixtures, serviceMount } from '../helpers/e2e-fixtures.ts';

let c: Container;

before(async () => {
  c = await Container.start(await e2eImage(), [
    '--health-cmd',
    'tsinit health',
    '--health-interval',
    'disable',
    '--health-retries',
    '1',
    // fails at once (runsv retries every second) while /run/broken exists
    ...serviceMount('fragile', { run: 'exec 2>&1\n[ -e /run/broken ] && exit 1\nexec sleep 1000' }),
  ]);
  await c.waitSh('sv status /etc/service/*', /^run: \/etc\/service\/fragile: /m);
  await c.waitSh('sv status /etc/service/*', /^run: \/etc\/service\/hello: .*; run: log: /m);
});

after(async () => {
  await cleanup();
  removeFixtures();
});

async function healthStatus(): Promise<string> {
  return (await podmanOk(['inspect', '--format', '{{.State.Health.Status}}', c.name])).trim();
}

/** Runs the container's health check until it reports `want` (0 healthy, 1 unhealthy). */
async function checkUntil(want: 0 | 1, timeoutMs = 30000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await podman(['healthcheck', 'run', c.name]);
    if (r.code === want) return r.stdout + r.stderr;
    if (Date.now() > until) throw new Error(`health check never exited ${want}: ${r.code} ${r.stdout}${r.stderr}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

test('podman --health-cmd "tsinit health": healthy, not after a service went down, healthy again', async () => {
  await checkUntil(0);
  assert.equal(await healthStatus(), 'healthy');

  // sv down: nobody wants it up, so the container stays healthy.
  await c.shOk('sv -w 5 down /etc/service/hello');
  await checkUntil(0);
  assert.equal(await healthStatus(), 'healthy');
  await c.shOk('sv -w 5 up /etc/service/hello');

  // A service that should run and cannot: unhealthy, with its line.
  await c.shOk('touch /run/broken && sv term /etc/service/fragile');
  const out = await checkUntil(1);
  assert.equal(await healthStatus(), 'unhealthy');
  const direct = await c.sh('tsinit health');
  if (direct.code === 1) assert.match(direct.stdout, /^fragile: (down|finishing), want up$/m);

  await c.shOk('rm /run/broken');
  await checkUntil(0);
  assert.equal(await healthStatus(), 'healthy');
  void out;
});
