// `podman stop` on a container whose stage 2 is Debian's unchanged
// /etc/runit/2 (`exec env - PATH=$PATH runsvdir -P /etc/service 'log: ...'`),
// with Debian's /etc/runit/1 and 3, invoke-run, finish-exec and svlogd/run,
// and the runit-services package's cron (finish, no log) and chrony (finish
// and a log service) directories as shipped. The daemons are stand-ins named
// cron and chronyd in /usr/local/sbin (first in the PATH Debian's stage 2
// sets), counting their starts into a mounted folder. Everything is mounted
// into the e2e image (busybox, tsinit and its tools in /usr/local/bin); only
// Debian's own switches are set (native.boot.run, no.emulate.sysv, verbose),
// /etc/group gains Debian's adm group (svlogd/run's `install -g adm`), and
// busybox gets the two forms of coreutils' install that Debian's scripts use.
//
// The image's tools are the thin tool client (`tsinit install /usr/local/bin`):
// stage 2's runsvdir and svlogd/run's `chpst -u ... svlogd` go through it.
//
// Checked: each service process leads its own session; at rest no Node
// process runs besides PID 1 (no process but PID 1 has /sbin/tsinit as its
// executable: stage 2's runsvdir and chrony's svlogd are clients served by
// PID 1, not the full executable); after `podman stop` no service was
// started again, each finish ran once, tsinit exited 0 with no SIGKILL.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { e2eImage, podmanOk } from '../../testkit/image.ts';
import { cleanup, Container } from '../helpers/container.ts';
import { debianPackage } from '../../testkit/debian.ts';
import { BUSYBOX_INSTALL } from '../../testkit/busybox-install.ts';

const tmp: string[] = [];
after(async () => {
  await cleanup();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

const STANDIN = `#!/bin/sh
# A stand-in for the daemon this file is named after: counts its start, then
# runs until a signal ends it.
echo start >> /counts/\${0##*/}.starts
exec sleep 2147483647
`;

/** Host folders and the -v arguments that put Debian's files where Debian has them. */
function debianMounts(): { args: string[]; counts: string } {
  const runit = debianPackage('runit');
  const services = debianPackage('runit-services');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-e2e-debian2-'));
  tmp.push(root);
  fs.chmodSync(root, 0o755);
  const etcRunit = path.join(root, 'etc-runit');
  const etcSv = path.join(root, 'etc-sv');
  const sbin = path.join(root, 'sbin');
  const counts = path.join(root, 'counts');
  fs.cpSync(path.join(runit, 'etc', 'runit'), etcRunit, { recursive: true, verbatimSymlinks: true });
  fs.cpSync(path.join(runit, 'etc', 'sv'), etcSv, { recursive: true, verbatimSymlinks: true });
  fs.mkdirSync(sbin);
  fs.mkdirSync(counts);
  fs.chmodSync(counts, 0o777);
  fs.symlinkSync('default', path.join(etcRunit, 'runsvdir', 'current'));
  fs.writeFileSync(path.join(etcRunit, 'native.boot.run'), '');
  fs.mkdirSync(path.join(etcRunit, 'boot-run'));
  fs.mkdirSync(path.join(etcRunit, 'shutdown-run'));
  fs.writeFileSync(path.join(etcRunit, 'shutdown-run', 'done.sh'), 'echo "shutdown tasks done"\n');
  fs.writeFileSync(path.join(etcRunit, 'no.emulate.sysv'), '');
  fs.writeFileSync(path.join(etcRunit, 'verbose'), '');
  fs.writeFileSync(path.join(etcSv, 'svlogd', 'conf'), 'LOGUSER=root\n');
  for (const [name, bin] of [
    ['cron', '/usr/local/sbin/cron'],
    ['chrony', '/usr/local/sbin/chronyd'],
  ] as const) {
    const dst = path.join(etcSv, name);
    fs.cpSync(path.join(services, 'usr', 'share', 'runit', 'sv', name), dst, { recursive: true, verbatimSymlinks: true });
    fs.writeFileSync(path.join(dst, '.meta', 'bin'), bin);
    if (fs.existsSync(path.join(dst, '.meta', 'logscript'))) fs.symlinkSync('/etc/sv/svlogd/run', path.join(dst, 'log', 'run'));
    fs.symlinkSync(`/etc/sv/${name}`, path.join(etcRunit, 'runsvdir', 'default', name));
    fs.writeFileSync(path.join(sbin, path.basename(bin)), STANDIN, { mode: 0o755 });
  }
  const install = path.join(root, 'install');
  fs.writeFileSync(install, BUSYBOX_INSTALL, { mode: 0o755 });
  const group = path.join(root, 'group');
  fs.writeFileSync(group, 'root:x:0:\nadm:x:4:\nnogroup:x:65534:\n');
  const args = [
    ['-v', `${etcRunit}:/etc/runit`],
    ['-v', `${etcSv}:/etc/sv`],
    // /etc/service -> runit/runsvdir/current -> default, as Debian links it (the image has a folder there)
    ['-v', `${path.join(etcRunit, 'runsvdir', 'default')}:/etc/service`],
    ['-v', `${path.join(runit, 'lib', 'runit')}:/lib/runit:ro`],
    ['-v', `${sbin}:/usr/local/sbin:ro`],
    ['-v', `${counts}:/counts`],
    ['-v', `${group}:/etc/group:ro`],
    // where Debian has it (stage 1's PATH is /sbin:/usr/sbin:/bin:/usr/bin)
    ['-v', `${install}:/usr/sbin/install:ro`],
  ].flat();
  return { args, counts };
}

const starts = (counts: string, name: string): number => {
  try {
    return fs.readFileSync(path.join(counts, `${name}.starts`), 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
};

test("podman stop, Debian's /etc/runit/2 with runit-services' cron and chrony: own sessions, nothing restarted, each finish once", { timeout: 600_000 }, async () => {
  const image = await e2eImage();
  const { args, counts } = debianMounts();
  const c = await Container.start(image, args);
  // Both stand-ins and chrony's svlogd (Debian's svlogd/run) run.
  await c.waitSh('/usr/local/bin/sv status /etc/service/*', /^run: \/etc\/service\/chrony: \(pid \d+\) \d+s; run: log: \(pid \d+\) [1-9]\d*s\nrun: \/etc\/service\/cron: /);
  const procs = await c.shOk('for p in /proc/[0-9]*; do [ -r $p/stat ] && echo "$(cat $p/stat) | $(tr "\\0" " " < $p/cmdline)"; done');
  const rows = procs
    .split('\n')
    .filter((l) => / \| (sleep 2147483647|svlogd )/.test(l))
    .map((l) => {
      const f = l.slice(l.lastIndexOf(')') + 2).split(' ');
      return { pid: Number(l.split(' ')[0]), pgrp: Number(f[2]), session: Number(f[3]), line: l };
    });
  assert.equal(rows.length, 3, `${procs}\n${(await c.sh('/usr/local/bin/sv status /etc/service/*; ls -la /var/log/runit /var/log/runit/*')).stdout}\n${await c.logs()}`);
  for (const r of rows) assert.equal(r.session, r.pid, `not a session leader: ${r.line}`);
  assert.equal(starts(counts, 'cron'), 1);
  assert.equal(starts(counts, 'chronyd'), 1);

  // at rest: the Node processes are those whose executable is /sbin/tsinit (the clients are not);
  // one line each (runsvdir's title holds the log's newlines)
  const nodes = await c.shOk('for p in /proc/[0-9]*; do [ "$(readlink $p/exe)" = /sbin/tsinit ] && echo "${p#/proc/} $(tr "\\0\\n" "  " < $p/cmdline)"; done; true');
  const others = nodes.split('\n').filter((l) => l !== '' && !l.startsWith('1 '));
  assert.ok(nodes.split('\n').some((l) => l.startsWith('1 ')), `PID 1 is not /sbin/tsinit:\n${nodes}`);
  assert.deepEqual(others, [], `Node processes besides PID 1:\n${others.join('\n')}`);

  const res = await c.stop(10);
  assert.equal(res.exitCode, 0, res.logs);
  assert.equal(starts(counts, 'cron'), 1, `cron started again:\n${res.logs}`);
  assert.equal(starts(counts, 'chronyd'), 1, `chronyd started again:\n${res.logs}`);
  assert.equal(res.logs.match(/invoke-run: cron stopped/g)?.length ?? 0, 1, res.logs);
  assert.doesNotMatch(res.logs, /not terminated, sending sigkill/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-e2e-cp-'));
  tmp.push(dir);
  await podmanOk(['cp', `${c.name}:/var/log/runit/chrony/current`, path.join(dir, 'current')]);
  const log = fs.readFileSync(path.join(dir, 'current'), 'utf8');
  assert.equal(log.match(/invoke-run: chrony stopped/g)?.length ?? 0, 1, log);
  assert.equal(log.match(/[Ii]nvoke-run: starting chrony/g)?.length ?? 0, 1, log);
});
