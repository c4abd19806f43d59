// The image with a read-only root filesystem (tmpfs on /run, where the
// services' supervise/ symlinks point, and on hello's log folder), plus a
// service that runs as the non-root user nobody through chpst.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { e2eImage } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { parsePs, PS_COMMAND, removeFixtures, serviceMount } from '../helpers/e2e-fixtures.ts';

after(async () => {
  await cleanup();
  removeFixtures();
});

test('read-only root: boots, services run (one as nobody via chpst), sv works, podman stop exits 0', async (t) => {
  const c = await Container.start(await e2eImage(), [
    '--read-only',
    '--read-only-tmpfs=false', // no implicit tmpfs on /tmp and /var/tmp: only what is documented
    '--tmpfs', '/run',
    '--tmpfs', '/etc/service/hello/log/main',
    ...serviceMount(
      'unprivileged',
      {
        run: 'exec 2>&1\nexec chpst -u nobody sh -c \'echo "unprivileged: uid $(id -u) gid $(id -g)"; exec sleep 1000\'',
        finish: 'echo "unprivileged: finished (exit $1, signal $2)"',
        superviseInRun: true,
      },
      { readOnly: true },
    ),
  ]);
  const status = await c.waitSh(
    'sv status /etc/service/*',
    /^run: \/etc\/service\/clock: .*\nrun: \/etc\/service\/hello: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\nrun: \/etc\/service\/unprivileged: \(pid \d+\)/,
  );
  t.diagnostic(status.trim());
  const logs = await c.waitLogs(/unprivileged: uid 65534 gid 65534/);
  assert.doesNotMatch(logs, /warning|fatal|unable/, logs);

  // `tsinit install` in the image: the tool client under each name (its slot
  // naming /sbin/tsinit), and the FFI module beside the binary (nothing could
  // be extracted at run time: /tmp is not writable here).
  const slots = await c.shOk("for f in sv chpst; do tr '\\0' '\\n' < /usr/local/bin/$f | grep -A1 'tsinit-client fallback path slot' | tail -1; done");
  assert.equal(slots.trim(), '/sbin/tsinit\n/sbin/tsinit');
  assert.match(await c.shOk('ls -l /sbin/.tsinit-koffi.node'), /^-r-xr-xr-x .* \/sbin\/\.tsinit-koffi\.node$/m);
  assert.notEqual((await c.sh('touch /tmp/x')).code, 0, '/tmp is read-only too');

  // The root really is read-only; the state went to tmpfs.
  const touch = await c.sh('touch /etc/service/hello/x');
  assert.notEqual(touch.code, 0);
  assert.match(touch.stderr, /Read-only file system/);
  assert.match(await c.shOk('ls /run/supervise'), /^clock\nhello\nhello\.log\nunprivileged\n$/);
  assert.match(await c.waitSh('cat /etc/service/hello/log/main/current', /hello: tick 1/), /hello: started/);

  // The unprivileged service's process runs as nobody; tsinit and the others as root.
  const rows = parsePs(await c.shOk(PS_COMMAND));
  assert.ok(rows.some((r) => r.args === 'sleep 1000' && r.user === 'nobody'), JSON.stringify(rows));
  assert.ok(rows.some((r) => r.pid === 1 && r.user === 'root'));

  // sv still controls everything (the control FIFOs are on tmpfs).
  const restart = await c.exec(['sv', 'restart', '/etc/service/unprivileged']);
  assert.equal(restart.code, 0, restart.stdout + restart.stderr);
  assert.match(restart.stdout, /^ok: run: \/etc\/service\/unprivileged: /);
  await c.waitLogs(/unprivileged: finished \(exit -1, signal 15\)/);

  const r = await c.stop(10);
  t.diagnostic(`podman stop (read-only root) took ${r.elapsedMs} ms, exit code ${r.exitCode}`);
  assert.equal(r.exitCode, 0, r.logs);
  assert.match(r.logs, /stage 3: all services stopped, goodbye/);
  // by tsinit's clock (its "exit after N ms." line): podman and a loaded machine are not tsinit's
  const took = Number(/exit after (\d+) ms\./.exec(r.logs)?.[1] ?? NaN);
  assert.ok(took < 9000, `stop took ${took} ms by tsinit's clock, ${r.elapsedMs} ms by ours`);
});
