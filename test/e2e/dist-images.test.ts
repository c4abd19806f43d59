// The release's container routes, in podman:
//  - dist/tsinit-image-x64.tar (FROM scratch: /tsinit and the tool clients in
//    /usr/local/bin) loaded and used by `COPY --from=... /tsinit /sbin/tsinit`
//    in another image's build;
//  - `COPY --from=... / /` of the same image onto a base with a C library:
//    the image's own clients answer `podman exec C sv status` through PID 1,
//    `tsinit-health` is the HEALTHCHECK, and a client that cannot reach PID 1
//    runs /tsinit;
//  - an image holding only Node 22 (from npm), busybox and the npm package:
//    tsinit as PID 1 supervises a service, sv status and podman stop work.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRootfs, BUILD_FLAGS, e2eImage, podman, podmanOk } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { artifact, node22Bin, VERSION } from '../../testkit/dist.ts';

const made: string[] = [];
const images: string[] = [];
after(async () => {
  await cleanup();
  for (const i of images) await podman(['rmi', '-f', i]);
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmpdir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

test('the FROM scratch image: COPY --from puts /tsinit into another image', async () => {
  const tar = artifact('tsinit-image-x64.tar');
  const loaded = await podmanOk(['load', '-q', '-i', tar]);
  const ref = `localhost/tsinit:${VERSION}-x64`;
  assert.match(loaded, new RegExp(ref.replace(/[.]/g, '\\.')));
  // (its layer's files: test/integration/dist-artifacts.test.ts)

  // A Dockerfile on any glibc base: COPY --from, then tsinit install.
  const base = (await podmanOk(['image', 'inspect', '--format', '{{.Id}}', await e2eImage()])).trim();
  const ctx = tmpdir('tsinit-copyfrom-');
  fs.writeFileSync(
    path.join(ctx, 'Containerfile'),
    `FROM ${base}\nCOPY --from=${ref} /tsinit /sbin/tsinit\nRUN ["/sbin/tsinit", "install", "/usr/local/bin"]\nENTRYPOINT ["/sbin/tsinit", "--"]\n`,
  );
  const image = `localhost/tsinit-copyfrom-e2e:${process.pid}`;
  images.push(image);
  await podmanOk(['build', ...BUILD_FLAGS, '-t', image, ctx], { timeoutMs: 300000 });
  const c = await Container.start(image, [], ['sh', '-c', '/sbin/tsinit --version; sv 2>&1; exit 3']);
  assert.equal(await c.wait(), 3);
  const logs = await c.logs();
  assert.match(logs, new RegExp(`tsinit ${VERSION.replace(/\./g, '\\.')} \\([0-9a-z]+\\) x64`));
  assert.match(logs, /usage: sv /);
});

test('the x64 image and its own tool clients: sv status served by PID 1, tsinit-health as HEALTHCHECK, the fallback to /tsinit', async () => {
  await podmanOk(['load', '-q', '-i', artifact('tsinit-image-x64.tar')]);
  const ref = `localhost/tsinit:${VERSION}-x64`;
  // The image cannot run alone (no C library): docs/install.md's way, a base
  // with glibc (busybox and the executable's libraries here) and
  // `COPY --from=IMAGE / /`, which brings /tsinit and /usr/local/bin's clients.
  const ctx = tmpdir('tsinit-imageclients-');
  const rootfs = path.join(ctx, 'rootfs');
  buildRootfs(rootfs, artifact('tsinit-linux-x64'));
  const svc = path.join(rootfs, 'etc', 'service', 'a');
  fs.mkdirSync(svc, { recursive: true });
  fs.writeFileSync(path.join(svc, 'run'), '#!/bin/sh\nexec 2>&1\necho "a: started"\nexec sleep 1000\n', { mode: 0o755 });
  const tar = path.join(ctx, 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
  const base = `localhost/tsinit-imageclients-base:${process.pid}`;
  images.push(base);
  await podmanOk(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', tar, base]);
  fs.mkdirSync(path.join(ctx, 'context'));
  fs.writeFileSync(
    path.join(ctx, 'context', 'Containerfile'),
    `FROM ${base}\nCOPY --from=${ref} / /\nHEALTHCHECK --interval=1h CMD ["/usr/local/bin/tsinit-health"]\nENTRYPOINT ["/tsinit"]\n`,
  );
  const image = `localhost/tsinit-imageclients-e2e:${process.pid}`;
  images.push(image);
  // docker format: OCI images have no HEALTHCHECK
  await podmanOk(['build', ...BUILD_FLAGS, '--format', 'docker', '-t', image, path.join(ctx, 'context')], { timeoutMs: 300000 });

  const c = await Container.start(image, ['-e', 'TSINIT_LOG_LEVEL=debug']);
  await c.waitLogs(/a: started/);
  assert.equal((await c.shOk('readlink /proc/1/exe')).trim(), '/tsinit');
  // the image's client, not the executable, is what `sv` finds on PATH
  assert.equal((await c.shOk('command -v sv')).trim(), '/usr/local/bin/sv');
  const size = Number((await c.shOk('stat -c %s /usr/local/bin/sv')).trim());
  assert.ok(size < 256 * 1024, `/usr/local/bin/sv is the small client (${size} bytes)`);

  // podman exec, no shell: the client hands the call to PID 1, which serves it
  const st = await podman(['exec', c.name, 'sv', 'status', '/etc/service/a'], { timeoutMs: 60000 });
  assert.equal(st.code, 0, st.stderr);
  assert.match(st.stdout, /^run: \/etc\/service\/a: \(pid \d+\) \d+s\n$/);
  // PID 1's debug line for the call
  const SERVED_SV = /tool call of pid \d+ \(uid 0\): served: sv$/;
  const servedSv = async (): Promise<number> => (await c.logs()).split('\n').filter((l) => SERVED_SV.test(l)).length;
  await c.waitLogs(/tool call of pid \d+ \(uid 0\): served: sv$/m);

  // the HEALTHCHECK: the client under tsinit-health, served too
  const h = await podman(['healthcheck', 'run', c.name]);
  assert.equal(h.code, 0, h.stdout + h.stderr);
  assert.equal((await podmanOk(['inspect', '--format', '{{.State.Health.Status}}', c.name])).trim(), 'healthy');
  await c.waitLogs(/tool call of pid \d+ \(uid 0\): served: health$/m);

  // A client that cannot reach PID 1 execs its slot's /tsinit: same answer, not served.
  const before = await servedSv();
  const fb = await podman(['exec', c.name, '/usr/bin/env', 'TSINIT_RUN_DIR=/nonexistent', 'sv', 'status', '/etc/service/a'], { timeoutMs: 60000 });
  assert.equal(fb.code, 0, fb.stderr);
  assert.match(fb.stdout, /^run: \/etc\/service\/a: \(pid \d+\) \d+s\n$/);
  assert.equal(await servedSv(), before, 'the fallback call is not served by PID 1');
  const r = await c.stop(10);
  assert.equal(r.exitCode, 0, r.logs);
});

test('an image with only Node 22 and the npm package: PID 1, a service, sv status, podman stop', async () => {
  const tgz = artifact(`tsinit-${VERSION}.tgz`);
  const node = path.join(node22Bin(), 'node');
  const rootfs = path.join(tmpdir('tsinit-npmimg-'), 'rootfs');
  buildRootfs(rootfs, node);
  fs.copyFileSync(node, path.join(rootfs, 'usr', 'local', 'bin', 'node'));
  fs.chmodSync(path.join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
  // what `npm install -g tsinit-VERSION.tgz` does in an image, done from outside (the image has no npm)
  execFileSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', path.join(rootfs, 'usr', 'local'), tgz], {
    stdio: 'pipe',
    env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH}` },
  });
  const svc = path.join(rootfs, 'etc', 'service', 'a');
  fs.mkdirSync(svc, { recursive: true });
  fs.writeFileSync(path.join(svc, 'run'), '#!/bin/sh\nexec 2>&1\necho "a: started"\nexec sleep 1000\n', { mode: 0o755 });
  const tar = path.join(path.dirname(rootfs), 'rootfs.tar');
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tar, '.']);
  const image = `localhost/tsinit-npm-e2e:${process.pid}`;
  images.push(image);
  await podmanOk(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', tar, image]);

  const c = await Container.start(image, [], ['sh', '-c', 'tsinit install /usr/local/bin && exec tsinit']);
  const logs = await c.waitLogs(/a: started/);
  assert.match(logs, /linked 19 tools in \/usr\/local\/bin/);
  assert.equal((await c.shOk('readlink /proc/1/exe')).trim(), '/usr/local/bin/node');
  assert.match(await c.shOk('node --version'), /^v22\./);
  const status = await c.waitSh('sv status /etc/service/a', /^run: \/etc\/service\/a: \(pid \d+\) \d+s\n$/);
  assert.match(status, /^run: /);
  assert.match(await c.shOk('grep koffi.node /proc/1/maps | head -1'), /\/usr\/local\/lib\/node_modules\/tsinit\/koffi\/linux_x64\/koffi\.node\n$/);
  const r = await c.stop(10);
  assert.equal(r.exitCode, 0, r.logs);
});
