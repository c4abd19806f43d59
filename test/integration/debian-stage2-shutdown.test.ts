// Debian's runit as it is, under tsinit as PID 1: Debian's unchanged
// /etc/runit/1, 2 (`exec env - PATH=$PATH runsvdir -P /etc/service 'log: ...'`)
// and 3, Debian's invoke-run and finish-exec, and two service directories of
// the runit-services package as shipped: cron (a finish, no log) and chrony
// (a finish and a log service, whose log/run is Debian's shared
// /etc/sv/svlogd/run). The daemons themselves are not installed here:
// stand-ins named cron and chronyd (found first in the PATH Debian's
// /etc/runit/2 sets) record each start and run until a signal ends them.
// The files sit where Debian puts them, in a mount namespace of the test's
// own (overlays on /etc, /usr/bin and /usr/lib, the test's folder as
// /var/log, a tmpfs on /run): nothing on the host
// changes. Only Debian's own switches are set: /etc/runit/native.boot.run
// (no sysv scripts at boot and shutdown), no.emulate.sysv and verbose (so
// invoke-run and finish-exec say "starting" and "stopped").
//
// Checked: every service process leads a session of its own (runsvdir -P),
// outside stage 2's process group; a SIGTERM to tsinit (docker stop) stops
// everything with no service started again and each finish run once.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debianPackage } from '../../testkit/debian.ts';
import { childrenOf } from '../../testkit/proc.ts';
import { run } from '../helpers/pidns.ts';
import { tool, toolNames } from '../helpers/tsinit.ts';

const tmp: string[] = [];
const runs: Array<ReturnType<typeof run>> = [];
after(() => {
  // A failed test must not leave its namespace running (unshare --kill-child takes tsinit along).
  for (const r of runs) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

const STANDIN = (countDir: string): string => `#!/bin/sh
# A stand-in for the daemon this file is named after (cron -f, chronyd -d):
# one line of output, one line per start in ${countDir}, then it runs until
# a signal ends it.
echo "\${0##*/}: started"
echo start >> ${countDir}/\${0##*/}.starts
exec sleep 2147483647
`;

interface Tree {
  root: string;
  /** what the stand-ins count */
  counts: string;
  /** /var/log/runit, where Debian's svlogd/run writes */
  logs: string;
  setup: string;
}

function debianTree(): Tree {
  const runit = debianPackage('runit');
  const services = debianPackage('runit-services');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-debian2-'));
  tmp.push(root);
  const etc = path.join(root, 'etc-up');
  const lib = path.join(root, 'lib-up');
  const counts = path.join(root, 'counts');
  const varLog = path.join(root, 'var-log');
  const logs = path.join(varLog, 'runit');
  for (const d of [etc, lib, counts, path.join(root, 'etc-work'), path.join(root, 'lib-work'), path.join(root, 'bin'), path.join(root, 'bin-work'), varLog, path.join(root, 'sbin')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  // Debian's /etc/runit (1, 2, 3, runsvdir/...), /etc/service -> runit/runsvdir/current,
  // /etc/sv/svlogd, and /lib/runit (invoke-run, finish-exec, sv_wtime) as packaged.
  fs.cpSync(path.join(runit, 'etc', 'runit'), path.join(etc, 'runit'), { recursive: true, verbatimSymlinks: true });
  fs.cpSync(path.join(runit, 'etc', 'sv'), path.join(etc, 'sv'), { recursive: true, verbatimSymlinks: true });
  fs.symlinkSync(fs.readlinkSync(path.join(runit, 'etc', 'service')), path.join(etc, 'service'));
  fs.cpSync(path.join(runit, 'lib', 'runit'), path.join(lib, 'runit'), { recursive: true, verbatimSymlinks: true });
  // As the package's installation leaves it: runsvdir/current -> default (runsvchdir switches it).
  fs.symlinkSync('default', path.join(etc, 'runit', 'runsvdir', 'current'));
  // Debian's knobs: native boot (boot-run/ and shutdown-run/ empty), no sysv emulation, verbose.
  fs.writeFileSync(path.join(etc, 'runit', 'native.boot.run'), '');
  fs.mkdirSync(path.join(etc, 'runit', 'boot-run'));
  fs.mkdirSync(path.join(etc, 'runit', 'shutdown-run'));
  fs.writeFileSync(path.join(etc, 'runit', 'shutdown-run', 'done.sh'), 'echo "shutdown tasks done"\n');
  fs.writeFileSync(path.join(etc, 'runit', 'no.emulate.sysv'), '');
  fs.writeFileSync(path.join(etc, 'runit', 'verbose'), '');
  // svlogd's documented conf: log as root (there is no _runit-log user here).
  fs.writeFileSync(path.join(etc, 'sv', 'svlogd', 'conf'), 'LOGUSER=root\n');
  // The packaged service directories, enabled as Debian enables them: a link in runsvdir/default.
  for (const [name, bin] of [
    ['cron', '/usr/local/sbin/cron'],
    ['chrony', '/usr/local/sbin/chronyd'],
  ] as const) {
    const dst = path.join(etc, 'sv', name);
    fs.cpSync(path.join(services, 'usr', 'share', 'runit', 'sv', name), dst, { recursive: true, verbatimSymlinks: true });
    // .meta/bin names the installed daemon (invoke-run's "binary not installed" check): the stand-in.
    fs.writeFileSync(path.join(dst, '.meta', 'bin'), bin);
    if (fs.existsSync(path.join(dst, '.meta', 'logscript'))) fs.symlinkSync('/etc/sv/svlogd/run', path.join(dst, 'log', 'run'));
    fs.symlinkSync(`/etc/sv/${name}`, path.join(etc, 'runit', 'runsvdir', 'default', name));
    fs.writeFileSync(path.join(root, 'sbin', path.basename(bin)), STANDIN(counts), { mode: 0o755 });
  }
  fs.writeFileSync(path.join(root, 'policy-rc.d'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  // tsinit in place of runit's tools, where Debian has them (/usr/bin/sv, runsvdir...; stage 3's PATH has no /usr/local).
  for (const name of toolNames) fs.symlinkSync(tool(name), path.join(root, 'bin', name));
  const setup = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${etc},workdir=${root}/etc-work /etc`,
    `mount -t overlay overlay -o lowerdir=/usr/lib,upperdir=${lib},workdir=${root}/lib-work /usr/lib`,
    `mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=${root}/bin,workdir=${root}/bin-work /usr/bin`,
    `mount --bind ${root}/sbin /usr/local/sbin`,
    'mount -t tmpfs tmpfs /run',
    `mount --bind ${varLog} /var/log`,
    // A host's policy-rc.d (Docker build images deny every start) would stop invoke-run: allow.
    `if [ -e /usr/sbin/policy-rc.d ]; then mount --bind ${root}/policy-rc.d /usr/sbin/policy-rc.d; fi`,
    'exec /usr/bin/tsinit',
  ].join('\n');
  return { root, counts, logs, setup };
}

interface ProcInfo {
  pid: number;
  comm: string;
  pgrp: number;
  session: number;
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const f = s.slice(close + 2).split(' ');
    // argv[0]'s base name: tsinit's own tools (svlogd here) all have the comm of the one executable
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return { pid, comm: path.basename(argv0.split(' ')[0] ?? ''), pgrp: Number(f[2]), session: Number(f[3]) };
  } catch {
    return undefined;
  }
}

function descendants(pid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  const todo = childrenOf(pid);
  while (todo.length > 0) {
    const p = todo.shift() as number;
    const info = procInfo(p);
    if (info) out.push(info);
    todo.push(...childrenOf(p));
  }
  return out;
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const lines = (file: string): string[] => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
};

test("Debian's /etc/runit/2 (runsvdir -P): every service in its own session; docker stop restarts nothing, each finish runs once", { timeout: 180_000 }, async () => {
  const t = debianTree();
  const r = run(['sh', '-c', t.setup]);
  runs.push(r);
  const init = await r.initPid();
  // Up: both daemons started, and chrony's logger (Debian's svlogd/run: chpst -u root svlogd) runs.
  const procs = await until('cron, chronyd and svlogd running', () => {
    const all = descendants(init);
    const names = all.map((p) => p.comm);
    return names.filter((n) => n === 'sleep').length === 2 && names.includes('svlogd') ? all : undefined;
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}; processes: ${JSON.stringify(descendants(init))}; output:\n${r.output()}`);
  });
  const stage2 = procInfo(childrenOf(init)[0] as number);
  assert.ok(stage2, 'stage 2 runs');
  for (const p of procs) {
    if (p.pid === stage2.pid || !['sleep', 'svlogd'].includes(p.comm)) continue;
    assert.equal(p.session, p.pid, `${p.comm} (${p.pid}) leads its own session, as under runsvdir -P: ${JSON.stringify(procs)}`);
    assert.notEqual(p.pgrp, stage2.pgrp, `${p.comm} is outside stage 2's process group`);
  }
  assert.deepEqual(lines(path.join(t.counts, 'cron.starts')), ['start']);
  assert.deepEqual(lines(path.join(t.counts, 'chronyd.starts')), ['start']);

  await r.signal('SIGTERM');
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  // No service started after the shutdown request.
  assert.deepEqual(lines(path.join(t.counts, 'cron.starts')), ['start'], `cron started again:\n${out}`);
  assert.deepEqual(lines(path.join(t.counts, 'chronyd.starts')), ['start'], `chronyd started again:\n${out}`);
  // Each finish once: cron's finish-exec speaks on the console (no log/), chrony's into its svlogd log.
  assert.equal(out.match(/invoke-run: cron stopped/g)?.length ?? 0, 1, out);
  const chronyLog = lines(path.join(t.logs, 'chrony', 'current')).join('\n');
  assert.equal(chronyLog.match(/invoke-run: chrony stopped/g)?.length ?? 0, 1, chronyLog);
  assert.equal(chronyLog.match(/[Ii]nvoke-run: starting chrony/g)?.length ?? 0, 1, chronyLog);
  assert.doesNotMatch(out, /not terminated, sending sigkill/);
  // Debian's stage 3 ran (and found nothing left to stop).
  assert.match(out, /Waiting for services to stop\.\.\./);
});
