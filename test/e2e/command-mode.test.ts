// Dockerfile.example's command-mode variant (ENTRYPOINT ["/sbin/tsinit", "--"]
// + CMD) in a real container: the container's exit code is the command's.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { e2eImage } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';

after(cleanup);

const ENTRYPOINT = ['--entrypoint', '["/sbin/tsinit", "--"]'];

test('command mode: exit code 0 of the command, after stage 1', async () => {
  const c = await Container.start(await e2eImage(), ENTRYPOINT, ['sh', '-c', 'echo "command ran as pid $$"']);
  assert.equal(await c.wait(), 0);
  const logs = await c.logs();
  assert.match(logs, /stage 1: preparing the container/);
  assert.match(logs, /command ran as pid \d+/);
  assert.doesNotMatch(logs, /enter stage: \/etc\/runit\/2/);
});

test('command mode: exit code 3 of the command', async () => {
  const c = await Container.start(await e2eImage(), ENTRYPOINT, ['sh', '-c', 'exit 3']);
  assert.equal(await c.wait(), 3);
});

test('command mode: podman stop (SIGTERM) is forwarded; a TERM death is exit code 143', async (t) => {
  const c = await Container.start(await e2eImage(), ENTRYPOINT, ['sleep', '1000']);
  await c.waitSh('ps -o pid,args', /^\s*\d+\s+sleep 1000$/m);
  const r = await c.stop(10);
  t.diagnostic(`podman stop in command mode took ${r.elapsedMs} ms, exit code ${r.exitCode}`);
  assert.equal(r.exitCode, 143, r.logs);
  assert.ok(r.elapsedMs < 9000, `stop took ${r.elapsedMs} ms`);
});
