// Container policy in a real container (podman + runc): an essential service
// decides the container's exit code (its own code, 128+n for a signal death,
// after N failed starts when it crash-loops), and `tsinit halt CODE` from a
// finish script sets it.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { e2eImage } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { removeFixtures, serviceMount, type ServiceFiles } from '../helpers/e2e-fixtures.ts';

after(async () => {
  await cleanup();
  removeFixtures();
});

async function exitCodeWith(name: string, files: ServiceFiles, env: string[] = []): Promise<{ code: number; logs: string }> {
  const c = await Container.start(await e2eImage(), [...env.flatMap((e) => ['-e', e]), ...serviceMount(name, files)]);
  const code = await c.wait(60000);
  return { code, logs: await c.logs() };
}

test('an essential service that exits 7 ends the container with 7; the log says who set it', async () => {
  const r = await exitCodeWith('job', { run: 'sleep 2; exit 7', extra: { essential: '' } });
  assert.equal(r.code, 7, r.logs);
  assert.match(r.logs, /exit code 7 set by essential service job/);
  // the other services were stopped in order: stage 3 ran
  assert.match(r.logs, /leave stage: \/etc\/runit\/2/);
});

test('an essential service killed by a signal ends the container with 128+n', async () => {
  const r = await exitCodeWith('job', { run: 'sleep 2; kill -TERM $$; sleep 5', extra: { essential: 'always\n' } });
  assert.equal(r.code, 143, r.logs);
});

test('on-failure ignores exit 0; a crash-looping essential service ends the container after N attempts', async () => {
  const r = await exitCodeWith(
    'job',
    { run: 'n=$(cat /run/job-n 2>/dev/null || echo 0); echo $((n + 1)) > /run/job-n; [ "$n" -eq 0 ] && { sleep 1.5; exit 0; }; exit 3', extra: { essential: 'on-failure\n' } },
    ['TSINIT_ESSENTIAL_ATTEMPTS=2'],
  );
  assert.equal(r.code, 3, r.logs);
  assert.match(r.logs, /died within 1 s 2 times in a row \(exit 3\)/);
});

test('tsinit halt 3 from a finish script gives 3', async () => {
  const r = await exitCodeWith('job', { run: 'sleep 2; exit 0', finish: 'exec /sbin/tsinit halt 3' });
  assert.equal(r.code, 3, r.logs);
  assert.match(r.logs, /exit code 3 set by tsinit halt/);
});
