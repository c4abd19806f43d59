// A Void/Debian-style service tree side by side (issue 18's goals): what
// real run scripts cost, not tsinit's one-liners. N services, each:
//   run:     #!/bin/sh, `exec 2>&1`, `[ -r conf ] && . ./conf` (conf sets
//            OPTS), for some `sv check ../DEP >/dev/null || exit 1` (chains
//            three deep), `exec chpst -u nobody sleep $OPTS`;
//   log/run: #!/bin/sh, `exec chpst -u nobody svlogd -tt "$LOGDIR"` (LOGDIR
//            in a folder owned by nobody).
// Stage 2 is Debian's /etc/runit/2's last line, unchanged:
//   exec env - PATH=$PATH runsvdir -P DIR 'log: .....'
// with PATH naming the implementation's tools first:
//  tsinit: tsinit as PID 1 in stage mode (TSINIT_RUNIT_DIR = a temp folder
//          holding that stage 2), PATH = the folder `tsinit install` filled,
//          so every tool name is what install puts there;
//  runit:  Debian's /sbin/runit as PID 1 (its /etc/runit is a read-only
//          overlay of a temp folder on /etc, in the private mount namespace)
//          with Debian's runsvdir, runsv, svlogd, chpst and sv on PATH.
// Each runs as PID 1 of a new PID and mount namespace with a private tmpfs on
// /run (stage 2 clears the environment, so tools find PID 1 at the default
// run dir, as in a container). Probes are run inside that namespace (nsenter,
// as `podman exec` or a HEALTHCHECK does).
// Measured: boot time until every service runs as nobody and every logger
// has opened its log; Node processes besides PID 1 (most seen at once during
// the boot, sampled every few ms, and at rest); tree PSS at rest without the
// services' own programs (sleep); `sv status DIR/*` per call (tsinit's sv vs
// Debian's C sv); the HEALTHCHECK form's CPU per probe (the probe process's
// and PID 1's during it).
// Second part (BENCH_PARTS debian): Debian's runit-services (cron, atd,
// rsyslog, dbus, apache2, exim4, mariadb; dbus, exim4 and mariadb with
// Debian's svlogd/run log script, as user _runit-log) with Debian's unchanged
// /etc/runit/1, 2, 3 and /lib/runit (invoke-run), in a container (podman, the
// e2e tests' image): tsinit as PID 1 against Debian's /sbin/runit as PID 1
// (Debian's runit tools first on stage 2's PATH). The daemons are stand-ins
// (`exec sleep`, at the paths the run scripts exec): the packages are not
// installed offline. Measured: supervision memory (the container's tree PSS
// without the daemons); goal <= 60 MB.
// The boot is measured over --boot-runs boots of each (alternating runit and
// tsinit; medians compared): runit's boot is bimodal (a `sv check` that fails
// before its dependency is up costs runsv's 1 s restart pause), one run of
// each is a coin toss. For tsinit also PID 1's own CPU (utime+stime) at the
// moment all are up: PID 1 does the supervision, the tools' work and the
// loggers, so that is where tsinit's boot goes. The memory, sv and
// HEALTHCHECK figures come from the last boot of each. The other tsinit boots
// then add a second batch of N services to the running tree: PID 1's CPU for
// the same work with its code warm (what the boot's CPU is beyond start-up
// and first runs).
// Options: --services N (BENCH_SERVICES, 20), --boot-runs N (5), --settle MS
// (3000: idle time before the memory is read), --sv-runs N (15 rounds of 10
// calls, median), --health-runs N (50 probes); BENCH_PARTS (tree,debian);
// BENCH_PROFILE_DIR=DIR: tsinit's PID 1 runs with `--cpu-prof` (through
// NODE_OPTIONS, which the executable honours), is stopped with SIGTERM after
// each boot so the profile gets written, and DIR/boot-N.json notes the
// moment all were up (CLOCK_MONOTONIC µs, the profile's clock) to cut the
// profile at the boot (see bench/README.md); BENCH_PID1_NODE_OPTIONS adds
// to PID 1's NODE_OPTIONS; BENCH_PID1_STRACE=DIR counts PID 1's system
// calls over each boot (strace -c, DIR/strace-*.txt).
import { spawn, spawnSync } from 'node:child_process';
import { debianPackage } from '../testkit/debian.ts';
// the e2e tests' image (busybox, the libraries, tsinit with its tools in /usr/local/bin), built once per dist/tsinit
import { e2eImage, RUN_FLAGS } from '../testkit/image.ts';
import fs from 'node:fs';
import path from 'node:path';
import {
  addMem,
  benchTmp,
  fmtKB,
  fmtMs,
  getPrograms,
  goal,
  heading,
  intOption,
  median,
  memOf,
  nowMs,
  printTable,
  processTree,
  ratio,
  runPid1,
  sleep,
  waitUntil,
  zeroMem,
  type Mem,
} from './lib.ts';
import { BUSYBOX_INSTALL } from '../testkit/busybox-install.ts';

const N = Math.max(1, intOption('services', 20));
const settleMs = intOption('settle', 3000);
const svRounds = Math.max(1, intOption('sv-runs', 15));
const SV_CALLS = 10;
const healthRuns = Math.max(1, intOption('health-runs', 50));
const bootRuns = Math.max(1, intOption('boot-runs', 5));
const profileDir = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : undefined;
/** BENCH_PID1_STRACE=DIR: `strace -c` on tsinit's PID 1 (its own threads, not its children) from its start until all are up, DIR/strace-PID-N.txt per boot */
const straceDir = process.env.BENCH_PID1_STRACE ? path.resolve(process.env.BENCH_PID1_STRACE) : undefined;
/** NODE_OPTIONS for tsinit's PID 1: --cpu-prof with BENCH_PROFILE_DIR, plus BENCH_PID1_NODE_OPTIONS (what NODE_OPTIONS allows: V8 flags are refused there) */
const pid1NodeOptions = [profileDir ? `--cpu-prof --cpu-prof-dir=${profileDir} --cpu-prof-interval=250` : '', process.env.BENCH_PID1_NODE_OPTIONS ?? ''].join(' ').trim();
const p = getPrograms();
const tmp = benchTmp();
// nobody must reach the tools (chpst -u nobody svlogd), the log folders and the scripts
fs.chmodSync(tmp, 0o755);
fs.chmodSync(path.dirname(p.tsinit), 0o755);
const NOBODY = 65534;
const TICK_MS = 1000 / 100; // USER_HZ
const SYS_PATH = '/usr/local/sbin:/usr/local/bin:/sbin:/usr/sbin:/bin:/usr/bin';

type Impl = 'tsinit' | 'runit';

/** Debian's stage 2 exec line, the proctitle log argument taken from Debian's own /etc/runit/2. */
function stage2(bin: string, dir: string): string {
  const debian = fs.readFileSync(path.join(path.dirname(path.dirname(p.runit.bin)), 'etc', 'runit', '2'), 'utf8');
  const log = /'log: \.+'/.exec(debian)?.[0];
  if (!log) throw new Error("no 'log: ...' argument in Debian's /etc/runit/2");
  return `#!/bin/sh\nPATH=${bin}:${SYS_PATH}\n\nexec env - PATH=$PATH \\\nrunsvdir -P ${dir} ${log}\n`;
}

/** Services i%5 = 1, 2, 3 wait for the one before them: chains three deep. */
const depOf = (i: number): number | undefined => (i % 5 >= 1 && i % 5 <= 3 ? i - 1 : undefined);
const name = (i: number): string => `svc${String(i).padStart(3, '0')}`;

interface Tree {
  root: string;
  svdir: string;
  services: string[];
  logdirs: string[];
  runitDir: string;
}

/** Service number first + i of a batch (its dependency in the same batch) in dir, its log folder in logs. */
function addService(dir: string, logs: string, i: number, first: number): { svc: string; logdir: string } {
  const svc = path.join(dir, name(first + i));
  const logdir = path.join(logs, name(first + i));
  fs.mkdirSync(path.join(svc, 'log'), { recursive: true });
  fs.mkdirSync(logdir);
  fs.chownSync(logdir, NOBODY, NOBODY);
  const dep = depOf(i);
  const check = dep === undefined ? '' : `sv check ../${name(first + dep)} >/dev/null || exit 1\n`;
  fs.writeFileSync(path.join(svc, 'conf'), `OPTS=${1_000_000 + first + i}\n`);
  fs.writeFileSync(path.join(svc, 'run'), `#!/bin/sh\nexec 2>&1\n[ -r conf ] && . ./conf\n${check}exec chpst -u nobody sleep $OPTS\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(svc, 'log', 'run'), `#!/bin/sh\nLOGDIR=${logdir}\nexec chpst -u nobody svlogd -tt "$LOGDIR"\n`, { mode: 0o755 });
  return { svc, logdir };
}

function makeTree(impl: Impl, run: number): Tree {
  const root = path.join(tmp, `${impl}-${run}`);
  const svdir = path.join(root, 'service');
  const logs = path.join(root, 'logs');
  const runitDir = path.join(root, 'etc-runit');
  fs.mkdirSync(svdir, { recursive: true });
  fs.mkdirSync(logs);
  fs.mkdirSync(runitDir);
  fs.chmodSync(root, 0o755);
  fs.chownSync(logs, NOBODY, NOBODY);
  const services: string[] = [];
  const logdirs: string[] = [];
  for (let i = 0; i < N; i++) {
    const { svc, logdir } = addService(svdir, logs, i, 0);
    services.push(svc);
    logdirs.push(logdir);
  }
  // As in a real container the dir is older than the boot: runsvdir defers a
  // scan of a dir modified within the current second.
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(svdir, past, past);
  const bin = impl === 'tsinit' ? p.tsinitBin : p.runit.bin;
  fs.writeFileSync(path.join(runitDir, '2'), stage2(bin, svdir), { mode: 0o755 });
  if (impl === 'runit') {
    fs.writeFileSync(path.join(runitDir, '1'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    fs.writeFileSync(path.join(runitDir, '3'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  }
  return { root, svdir, services, logdirs, runitDir };
}

/** PID 1's command: a private tmpfs on /run, then the init (exec'd: it is PID 1). */
function command(impl: Impl, t: Tree): { argv: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { PATH: `${impl === 'tsinit' ? p.tsinitBin : p.runit.bin}:${SYS_PATH}` };
  const run = 'mount --make-rprivate / && mount -t tmpfs -o mode=0755 tmpfs /run';
  if (impl === 'tsinit') {
    env.TSINIT_RUNIT_DIR = t.runitDir;
    if (pid1NodeOptions) env.NODE_OPTIONS = pid1NodeOptions;
    return { argv: ['sh', '-c', `${run} && exec "$0"`, p.tsinit], env };
  }
  // Debian's runit reads /etc/runit/1, 2, 3: a folder `runit` overlaid on /etc
  const overlay = path.join(t.root, 'etc-overlay');
  fs.mkdirSync(overlay);
  fs.renameSync(t.runitDir, path.join(overlay, 'runit'));
  t.runitDir = path.join(overlay, 'runit');
  return { argv: ['sh', '-c', `${run} && mount -t overlay overlay -o lowerdir=${overlay}:/etc /etc && exec "$0"`, p.runit.runit], env };
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

function exeOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** A Node process: the tsinit executable (its tool links resolve to it), or node. */
const isNode = (exe: string): boolean => exe === p.tsinit || path.basename(exe) === 'node';

interface Scan {
  /** Node processes besides PID 1 */
  nodes: number;
  /** `sleep`s running as nobody */
  nobodySleeps: number;
  /** the Node processes' argv, for the report */
  nodeArgv: string[];
}

/** The parent pid, from /proc/PID/stat. */
function ppidOf(pid: number): number {
  const text = read(`/proc/${pid}/stat`);
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

/**
 * A Node process besides PID 1 (its argv for the report), or undefined. Not
 * one: PID 1's posix_spawn child between its clone and its exec (vfork-style,
 * it shares PID 1's memory and runs no Node): PID 1's child with PID 1's very
 * command line. A tool that fell back to the full executable has its own
 * (`chpst -u ...`). The command line is read before the exe link: the other
 * way round, a spawn child seen just before its exec (exe still PID 1's) and
 * read just after (the run script's `exec chpst ...` already) passed for a
 * fallback.
 */
function nodeArgv(pid: number, root: number, rootCmdline: string): string | undefined {
  const cmdline = read(`/proc/${pid}/cmdline`);
  const ppid = ppidOf(pid);
  if (!isNode(exeOf(pid))) return undefined;
  if (ppid === root && cmdline === rootCmdline) return undefined; // preExecChild's case
  return cmdline.split('\0').slice(0, 2).join(' ');
}

function scan(root: number): Scan {
  const s: Scan = { nodes: 0, nobodySleeps: 0, nodeArgv: [] };
  const rootCmdline = read(`/proc/${root}/cmdline`);
  for (const proc of processTree(root)) {
    const argv = proc.pid === root ? undefined : nodeArgv(proc.pid, root, rootCmdline);
    if (argv !== undefined) {
      s.nodes++;
      s.nodeArgv.push(argv);
    }
    if (proc.comm === 'sleep' && /^Uid:\s+65534\s/m.test(read(`/proc/${proc.pid}/status`))) s.nobodySleeps++;
  }
  return s;
}

/** Every service, log service and logger up: N sleeps as nobody, each log's `current` opened, 2N supervise/stat `run`. */
function allUp(t: Tree, s: Scan): boolean {
  if (s.nobodySleeps < N) return false;
  if (!t.logdirs.every((d) => fs.existsSync(path.join(d, 'current')))) return false;
  return t.services.every((d) => read(path.join(d, 'supervise', 'stat')) === 'run\n' && read(path.join(d, 'log', 'supervise', 'stat')) === 'run\n');
}

/**
 * CPU of a process, ms: the scheduler's sum_exec_runtime of each of its
 * threads (/proc/PID/task/TID/sched, exact), else utime+stime (whole 10 ms
 * ticks, truncated per process: 40 runsv's of 2 ms each would sum to 0).
 */
function cpuMs(pid: number): number {
  let sum = 0;
  let exact = true;
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    exact = false;
  }
  for (const tid of tids) {
    const m = /^se\.sum_exec_runtime\s*:\s*([\d.]+)/m.exec(read(`/proc/${pid}/task/${tid}/sched`));
    if (!m) {
      exact = false;
      break;
    }
    sum += Number(m[1]);
  }
  if (exact && tids.length > 0) return sum;
  const text = read(`/proc/${pid}/stat`);
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) * TICK_MS;
}

/**
 * CPU of the whole tree, ms: every live process's utime+stime plus that of
 * its reaped children (cutime+cstime): run scripts, sv check, chpst and the
 * tools are in there whichever process did the work (runit: runsvdir, 20+20
 * runsv's, svlogd's; tsinit: PID 1).
 */
function treeCpuMs(root: number): number {
  let ms = 0;
  for (const proc of processTree(root)) {
    const text = read(`/proc/${proc.pid}/stat`);
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    ms += cpuMs(proc.pid) + (Number(f[13] ?? 0) + Number(f[14] ?? 0)) * TICK_MS;
  }
  return ms;
}

/** stime of a process (CPU in the kernel on its behalf), ms. */
function sysMs(pid: number): number {
  const text = read(`/proc/${pid}/stat`);
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[12] ?? 0) * TICK_MS;
}

/** CPU ms per thread of a process (name: comm of the thread), for the profile notes. */
function threadsCpuMs(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const text = read(`/proc/${pid}/task/${tid}/stat`);
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const key = tid === String(pid) ? 'main' : comm;
    out[key] = (out[key] ?? 0) + (Number(f[11] ?? 0) + Number(f[12] ?? 0)) * TICK_MS;
  }
  return out;
}

/** Runs a shell script inside PID 1's namespaces (pid and mount), as `podman exec` would. */
function inside(root: number, env: NodeJS.ProcessEnv, script: string, args: string[]): { ms: number; stdout: string } {
  const t0 = nowMs();
  const r = spawnSync('nsenter', ['-t', String(root), '-p', '-m', '--', 'sh', '-c', script, 'sh', ...args], { env, encoding: 'utf8' });
  const ms = nowMs() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`inside the namespace: ${script} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const LOOP = 'n=$1; shift; i=0; while [ $i -lt $n ]; do "$@" >/dev/null || exit 1; i=$((i+1)); done';

/** One boot: until all are up, and PID 1's CPU then. */
interface Boot {
  upMs: number;
  pid1CpuMs: number;
  /** the part of it spent in the kernel (stime) */
  pid1SysMs: number;
  /** the whole tree's CPU then */
  treeCpuMs: number;
  /** Node processes besides PID 1 seen at once during the boot */
  peakNodes: number;
  /** tsinit: PID 1's CPU for a second batch of N services added after the boot (its code warm) */
  warmCpuMs?: number;
}

interface Result {
  impl: Impl;
  boots: Boot[];
  upMs: number;
  pid1CpuMs: number;
  pid1SysMs: number;
  treeCpuMs: number;
  peakNodes: number;
  restNodes: number;
  nodeArgv: string[];
  /** tree memory without the services' programs, and how many processes it covers */
  tree: Mem;
  treeProcs: number;
  byExe: Map<string, { count: number; pss: number }>;
  svMs: number;
  health?: { form: string; probeMs: number; pid1Ms: number };
}

/**
 * The same work again with the code warm: N more services (a copy of the
 * tree's, numbered from 500) renamed into the running tree's dir (runsvdir
 * finds them on its next scan, within 5 s); PID 1's CPU from just before the
 * rename until they all are up. The boot's CPU beyond this and Node's
 * start-up is what running code for the first time costs (lazy compilation).
 */
async function warmBatch(t: Tree, root: number, run: number): Promise<number> {
  const stage = path.join(t.root, 'warm-batch');
  fs.mkdirSync(stage);
  const added = Array.from({ length: N }, (_, i) => addService(stage, path.join(t.root, 'logs'), i, 500).svc);
  const c0 = cpuMs(root);
  const t0 = nowMs();
  for (const svc of added) fs.renameSync(svc, path.join(t.svdir, path.basename(svc)));
  const moved = added.map((svc) => path.join(t.svdir, path.basename(svc)));
  await waitUntil(
    () => moved.every((d) => read(path.join(d, 'supervise', 'stat')) === 'run\n' && read(path.join(d, 'log', 'supervise', 'stat')) === 'run\n') && scan(root).nobodySleeps >= 2 * N,
    60_000 + N * 1000,
    `tsinit: a second batch of ${N} services up`,
    5,
  );
  const warm = cpuMs(root) - c0;
  if (profileDir) fs.writeFileSync(path.join(profileDir, `warm-${process.pid}-${run}.json`), JSON.stringify({ pid1: root, startedAtUs: t0 * 1000, upAtUs: nowMs() * 1000, upMs: nowMs() - t0, pid1CpuMs: warm, threads: threadsCpuMs(root) }));
  return warm;
}

/** A boot of impl; with full, the rest of the measurements too (memory, sv, HEALTHCHECK). */
async function one(impl: Impl, run: number, full: true): Promise<Result>;
async function one(impl: Impl, run: number, full: false): Promise<Boot>;
async function one(impl: Impl, run: number, full: boolean): Promise<Result | Boot> {
  const t = makeTree(impl, run);
  const { argv, env } = command(impl, t);
  const r = runPid1(argv, env);
  try {
    const root = await r.pid1();
    // attached a few ms after PID 1's start (before Node has run any of tsinit's code)
    const strace = straceDir && impl === 'tsinit' ? spawn('strace', ['-c', '-q', '-o', path.join(straceDir, `strace-${process.pid}-${run}.txt`), '-p', String(root)], { stdio: 'ignore' }) : undefined;
    let peakNodes = 0;
    const peakArgv = new Set<string>();
    await waitUntil(
      () => {
        if (r.proc.exitCode !== null) throw new Error(`${impl} exited early; output:\n${r.output()}`);
        const s = scan(root);
        peakNodes = Math.max(peakNodes, s.nodes);
        for (const a of s.nodeArgv) if (a !== '' && peakArgv.size < 8) peakArgv.add(a);
        return allUp(t, s);
      },
      120_000 + N * 1000,
      `${impl}: ${N} services and loggers up`,
      5,
    );
    const upAt = nowMs();
    const upMs = upAt - r.startedAt;
    const pid1CpuMs = cpuMs(root);
    const pid1SysMs = sysMs(root);
    const treeCpu = treeCpuMs(root);
    if (strace) {
      const gone = new Promise((resolve) => strace.on('exit', resolve));
      strace.kill('SIGINT');
      await gone;
    }
    if (profileDir && impl === 'tsinit') {
      fs.writeFileSync(path.join(profileDir, `boot-${process.pid}-${run}.json`), JSON.stringify({ pid1: root, startedAtUs: r.startedAt * 1000, upAtUs: upAt * 1000, upMs, pid1CpuMs, threads: threadsCpuMs(root) }));
    }
    let warmCpuMs: number | undefined;
    if (!full && impl === 'tsinit') warmCpuMs = await warmBatch(t, root, run);
    if (!full) {
      if (pid1NodeOptions && impl === 'tsinit') {
        // a clean exit writes the profile (and flushes V8's log)
        process.kill(root, 'SIGTERM');
        await Promise.race([r.exit, sleep(30_000)]);
      }
      return { upMs, pid1CpuMs, pid1SysMs, treeCpuMs: treeCpu, peakNodes, warmCpuMs };
    }
    await sleep(settleMs);
    const rest = scan(root);
    let tree = zeroMem();
    let treeProcs = 0;
    const byExe = new Map<string, { count: number; pss: number }>();
    for (const proc of processTree(root)) {
      if (proc.comm === 'sleep') continue; // the services' own programs
      const m = memOf(proc.pid);
      if (!m) continue;
      tree = addMem(tree, m);
      treeProcs++;
      const k = proc.pid === root ? `${proc.exe} (PID 1)` : proc.argv0 || proc.exe || proc.comm;
      const e = byExe.get(k) ?? { count: 0, pss: 0 };
      e.count++;
      e.pss += m.pss;
      byExe.set(k, e);
    }
    // sv status over every service, per call: rounds of SV_CALLS calls inside the namespace
    const sv = impl === 'tsinit' ? path.join(p.tsinitBin, 'sv') : p.runit.sv;
    const probeEnv: NodeJS.ProcessEnv = { PATH: env.PATH };
    inside(root, probeEnv, LOOP, ['1', sv, 'status', ...t.services]); // warm-up, and a check that it works
    const rounds: number[] = [];
    for (let i = 0; i < svRounds; i++) rounds.push(inside(root, probeEnv, LOOP, [String(SV_CALLS), sv, 'status', ...t.services]).ms / SV_CALLS);
    const res: Result = { impl, boots: [], upMs, pid1CpuMs, pid1SysMs, treeCpuMs: treeCpu, peakNodes, restNodes: rest.nodes, nodeArgv: [...new Set([...peakArgv, ...rest.nodeArgv.filter((a) => a !== '')])], tree, treeProcs, byExe, svMs: median(rounds) };
    if (impl === 'tsinit') {
      // The HEALTHCHECK form: `tsinit-health` where install puts one, else `tsinit health`
      const named = path.join(p.tsinitBin, 'tsinit-health');
      const form = fs.existsSync(named) ? [named] : [p.tsinit, 'health'];
      const probe = [...form, t.svdir];
      inside(root, probeEnv, LOOP, ['1', ...probe]);
      const c0 = cpuMs(root);
      // `times`' second line: the children's (the probes') user and system time
      const out = inside(root, probeEnv, `${LOOP}; times`, [String(healthRuns), ...probe]).stdout;
      const pid1Ms = (cpuMs(root) - c0) / healthRuns;
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(out.trim());
      if (!m) throw new Error(`no times output: ${out}`);
      const probeMs = ((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000) / healthRuns;
      res.health = { form: `${form.map((f) => path.basename(f)).join(' ')} DIR`, probeMs, pid1Ms };
    }
    return res;
  } finally {
    await r.kill();
  }
}

async function treePart(): Promise<void> {
  heading(`a Void/Debian-style tree of ${N} services (exec 2>&1, conf, sv check, exec chpst -u nobody, log scripts with chpst + svlogd), stage 2 \`exec env - PATH=$PATH runsvdir -P DIR 'log: ...'\``);
  // boots alternate between the two, so a load on the machine hits both alike; the last boot of each measures the rest
  const boots: Record<Impl, Boot[]> = { runit: [], tsinit: [] };
  const full: Partial<Record<Impl, Result>> = {};
  for (let run = 0; run < bootRuns; run++) {
    for (const impl of ['runit', 'tsinit'] as Impl[]) {
      if (run === bootRuns - 1) {
        const res = await one(impl, run, true);
        boots[impl].push({ upMs: res.upMs, pid1CpuMs: res.pid1CpuMs, pid1SysMs: res.pid1SysMs, treeCpuMs: res.treeCpuMs, peakNodes: res.peakNodes });
        full[impl] = res;
      } else {
        boots[impl].push(await one(impl, run, false));
      }
      process.stderr.write(`  done: ${impl} boot ${run + 1}/${bootRuns}\n`);
    }
  }
  const results: Result[] = (['runit', 'tsinit'] as Impl[]).map((impl) => {
    const res = full[impl] as Result;
    const b = boots[impl];
    return { ...res, boots: b, upMs: median(b.map((x) => x.upMs)), pid1CpuMs: median(b.map((x) => x.pid1CpuMs)), pid1SysMs: median(b.map((x) => x.pid1SysMs)), treeCpuMs: median(b.map((x) => x.treeCpuMs)), peakNodes: Math.max(...b.map((x) => x.peakNodes)) };
  });
  const runit = results[0] as Result;
  const ts = results[1] as Result;

  // runsv pauses 1 s before it restarts a run script that exited: a boot over 1 s had a `sv check` fail (both implementations pause alike)
  console.log(`\nboot, ${bootRuns} runs each (ms until all up; PID 1's CPU then (the scheduler's run time of its threads) and the kernel's part of it (stime, 10 ms ticks); the whole tree's CPU then, reaped children included; a boot over 1 s had a run script restarted after runsv's 1 s pause, i.e. a failed \`sv check\`):`);
  const warm = boots.tsinit.flatMap((b) => (b.warmCpuMs === undefined ? [] : [b.warmCpuMs]));
  printTable([
    ['impl', 'boots', 'median', 'over 1 s', 'PID 1 CPU at up', 'median', 'of it in the kernel', 'tree CPU at up (median)'],
    ...results.map((m) => [
      m.impl,
      m.boots.map((b) => fmtMs(b.upMs)).join(' '),
      fmtMs(m.upMs),
      `${m.boots.filter((b) => b.upMs > 1000).length}/${m.boots.length}`,
      m.boots.map((b) => fmtMs(b.pid1CpuMs)).join(' '),
      fmtMs(m.pid1CpuMs),
      fmtMs(m.pid1SysMs),
      fmtMs(m.treeCpuMs),
    ]),
  ]);
  if (warm.length > 0) {
    console.log(
      `tsinit: PID 1's CPU for a second batch of ${N} services added to the running tree (code warm): ${warm.map((w) => fmtMs(w)).join(' ')}, median ${fmtMs(median(warm))} ` +
        `(${(median(warm) / N).toFixed(1)} ms per service and its logger); the boot's median ${fmtMs(ts.pid1CpuMs)} includes Node's start-up and the first run of every function`,
    );
  }

  console.log(`\nboot (median of ${bootRuns}) until all ${N} services run as nobody and all ${N} loggers have opened their log; memory after ${settleMs} ms idle; sv status: median of ${svRounds} rounds of ${SV_CALLS} calls`);
  console.log("tree PSS = every process of the tree but the services' programs (sleep); Node = processes of the tsinit executable (or node) besides PID 1");
  printTable([
    ['impl', 'boot (median)', 'vs runit', 'Node at boot (max)', 'Node at rest', 'tree PSS', 'vs runit', 'processes', 'sv status', 'vs runit'],
    ...results.map((m) => [
      m.impl,
      fmtMs(m.upMs),
      ratio(m.upMs, runit.upMs),
      String(m.peakNodes),
      String(m.restNodes),
      fmtKB(m.tree.pss),
      m === runit ? '' : `+${fmtKB(m.tree.pss - runit.tree.pss)}`,
      String(m.treeProcs),
      fmtMs(m.svMs),
      ratio(m.svMs, runit.svMs),
    ]),
  ]);
  for (const m of results) {
    console.log(`\n${m.impl}: tree PSS by program (processes)`);
    printTable([['program', 'processes', 'PSS'], ...[...m.byExe].sort((a, b) => b[1].pss - a[1].pss).map(([k, v]) => [k, String(v.count), fmtKB(v.pss)])]);
  }
  if (ts.nodeArgv.length) console.log(`\ntsinit: Node processes seen besides PID 1 (first few): ${ts.nodeArgv.slice(0, 8).join(' | ')}`);
  const h = ts.health;
  if (h) {
    console.log(`\nHEALTHCHECK \`${h.form}\`: ${h.probeMs.toFixed(2)} ms CPU in the probe process + ${h.pid1Ms.toFixed(2)} ms in PID 1 per probe (${healthRuns} probes)`);
  }

  goal('no Node process besides PID 1 during the boot', ts.peakNodes === 0, `${ts.peakNodes} at once at most, over ${bootRuns} boots`);
  goal('no Node process besides PID 1 at rest', ts.restNodes === 0, `${ts.restNodes}`);
  const paused = (m: Result): string => `${m.boots.filter((b) => b.upMs > 1000).length}/${m.boots.length}`;
  goal(
    'boot at most 1.2x runit',
    ts.upMs <= 1.2 * runit.upMs,
    `medians of ${bootRuns} boots: ${fmtMs(ts.upMs)} vs ${fmtMs(runit.upMs)}, ${ratio(ts.upMs, runit.upMs)}; boots over 1 s (a restart pause): tsinit ${paused(ts)}, runit ${paused(runit)}`,
  );
  goal('tree PSS at most runit + 35 MB', ts.tree.pss <= runit.tree.pss + 35 * 1024, `${fmtKB(ts.tree.pss)} vs ${fmtKB(runit.tree.pss)}, +${fmtKB(ts.tree.pss - runit.tree.pss)}`);
  goal("sv status at most 3x Debian's C sv per call", ts.svMs <= 3 * runit.svMs, `${fmtMs(ts.svMs)} vs ${fmtMs(runit.svMs)}, ${ratio(ts.svMs, runit.svMs)}`);
  if (h) goal('HEALTHCHECK at most 5 ms CPU per probe', h.probeMs + h.pid1Ms <= 5, `${(h.probeMs + h.pid1Ms).toFixed(2)} ms (${h.form})`);
}

// ---------------------------------------------------------------- Debian's runit-services in a container

/** The runit-services directories measured (issue 18's list); daemons are stand-ins (`exec sleep`). */
const DEBIAN_SERVICES = ['cron', 'atd', 'rsyslog', 'dbus', 'apache2', 'exim4', 'mariadb'] as const;

const STANDIN = '#!/bin/sh\n# a stand-in for the daemon this file is named after\nexec sleep 2147483647\n';


interface DebianSetup {
  args: string[];
  etcSv: string;
  /** service dirs (host paths) whose supervise/stat must say run: services and log services */
  supervised: string[];
}

/** Debian's unchanged /etc/runit/1, 2, 3, invoke-run, svlogd/run and the runit-services dirs, as -v arguments. */
function debianSetup(impl: Impl): DebianSetup {
  const runit = debianPackage('runit');
  const services = debianPackage('runit-services');
  const root = path.join(tmp, `debian-${impl}`);
  const etcRunit = path.join(root, 'etc-runit');
  const etcSv = path.join(root, 'etc-sv');
  const sbin = path.join(root, 'sbin');
  fs.mkdirSync(root);
  fs.chmodSync(root, 0o755);
  fs.cpSync(path.join(runit, 'etc', 'runit'), etcRunit, { recursive: true, verbatimSymlinks: true });
  fs.cpSync(path.join(runit, 'etc', 'sv'), etcSv, { recursive: true, verbatimSymlinks: true });
  fs.mkdirSync(sbin);
  fs.symlinkSync('default', path.join(etcRunit, 'runsvdir', 'current'));
  // Debian's own switches: boot scripts from boot-run/ (none), no sysv emulation
  fs.writeFileSync(path.join(etcRunit, 'native.boot.run'), '');
  fs.mkdirSync(path.join(etcRunit, 'boot-run'));
  fs.writeFileSync(path.join(etcRunit, 'no.emulate.sysv'), '');
  const args: string[] = [];
  const supervised: string[] = [];
  for (const name of DEBIAN_SERVICES) {
    const dst = path.join(etcSv, name);
    fs.cpSync(path.join(services, 'usr', 'share', 'runit', 'sv', name), dst, { recursive: true, verbatimSymlinks: true });
    const bin = fs.readFileSync(path.join(dst, '.meta', 'bin'), 'utf8').trim();
    // the daemon's program as the run script names it: by absolute path, or by name on PATH
    const exec = /^exec\s+(?:chpst -u \S+\s+)?(\S+)/m.exec(fs.readFileSync(path.join(dst, 'run'), 'utf8').split('\n').filter((l) => l.startsWith('exec ') && !/^exec [12]>&[12]/.test(l)).pop() ?? '')?.[1];
    if (!exec) throw new Error(`${name}/run: no exec line`);
    const standin = path.join(sbin, path.basename(exec));
    fs.writeFileSync(standin, STANDIN, { mode: 0o755 });
    if (exec.startsWith('/')) {
      args.push('-v', `${standin}:${exec}:ro`);
      if (bin !== exec) args.push('-v', `${standin}:${bin}:ro`);
    } else {
      // invoke-run's checkbin wants .meta/bin to exist: the stand-in, first on stage 2's PATH
      fs.writeFileSync(path.join(dst, '.meta', 'bin'), `/usr/local/sbin/${exec}`);
    }
    supervised.push(dst);
    if (fs.existsSync(path.join(dst, '.meta', 'logscript'))) {
      fs.mkdirSync(path.join(dst, 'log'), { recursive: true });
      fs.symlinkSync('/etc/sv/svlogd/run', path.join(dst, 'log', 'run'));
      supervised.push(path.join(dst, 'log'));
    }
    fs.symlinkSync(`/etc/sv/${name}`, path.join(etcRunit, 'runsvdir', 'default', name));
  }
  // apache2/run: `. /etc/apache2/envvars` and `apachectl configtest || exit 162`
  const envvars = path.join(root, 'envvars');
  fs.writeFileSync(envvars, 'export APACHE_RUN_USER=nobody\n');
  fs.writeFileSync(path.join(sbin, 'apachectl'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  // dbus/run: `mountpoint -q /proc/ || exit 162` (util-linux's; the image's busybox has none)
  fs.writeFileSync(path.join(sbin, 'mountpoint'), '#!/bin/sh\n[ "$1" = -q ] && shift\nd=${1%/}\nexec grep -q "^[^ ]* ${d:-/} " /proc/mounts\n', { mode: 0o755 });
  const install = path.join(root, 'install');
  fs.writeFileSync(install, BUSYBOX_INSTALL, { mode: 0o755 });
  const passwd = path.join(root, 'passwd');
  fs.writeFileSync(
    passwd,
    'root:x:0:0:root:/root:/bin/sh\n_runit-log:x:990:990::/nonexistent:/bin/false\nmessagebus:x:991:991::/nonexistent:/bin/false\nDebian-exim:x:992:992::/nonexistent:/bin/false\nmysql:x:993:993::/nonexistent:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  const group = path.join(root, 'group');
  fs.writeFileSync(group, 'root:x:0:\nadm:x:4:\n_runit-log:x:990:\nmessagebus:x:991:\nDebian-exim:x:992:\nmysql:x:993:\nnogroup:x:65534:\n');
  if (impl === 'runit') {
    // Debian's runit tools first on stage 2's PATH (/usr/local/sbin, then /usr/local/bin holds tsinit's links)
    for (const [dir, tools] of [
      ['usr/bin', ['runsv', 'runsvdir', 'sv', 'svlogd', 'chpst']],
      ['usr/sbin', ['runsvchdir', 'utmpset']],
    ] as const) {
      for (const t of tools) fs.copyFileSync(path.join(runit, dir, t), path.join(sbin, t));
    }
    for (const t of ['runsv', 'runsvdir', 'sv', 'svlogd', 'chpst', 'runsvchdir', 'utmpset']) fs.chmodSync(path.join(sbin, t), 0o755);
    args.push('-v', `${path.join(runit, 'sbin', 'runit')}:/sbin/runit:ro`, '--entrypoint', '/sbin/runit');
  }
  args.push(
    '-v', `${etcRunit}:/etc/runit`,
    '-v', `${etcSv}:/etc/sv`,
    // /etc/service -> runit/runsvdir/current -> default, as Debian links it (the image has a folder there)
    '-v', `${path.join(etcRunit, 'runsvdir', 'default')}:/etc/service`,
    '-v', `${path.join(runit, 'lib', 'runit')}:/lib/runit:ro`,
    '-v', `${sbin}:/usr/local/sbin:ro`,
    '-v', `${passwd}:/etc/passwd:ro`,
    '-v', `${group}:/etc/group:ro`,
    '-v', `${envvars}:/etc/apache2/envvars:ro`,
    '-v', `${install}:/usr/sbin/install:ro`,
  );
  return { args, etcSv, supervised };
}

function podmanSync(args: string[]): string {
  const r = spawnSync('podman', ['--runtime', 'runc', ...args], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

interface DebianResult {
  impl: Impl;
  upMs: number;
  tree: Mem;
  daemons: number;
  treeProcs: number;
  nodes: number;
  byExe: Map<string, { count: number; pss: number }>;
}

async function debianOne(image: string, impl: Impl): Promise<DebianResult> {
  const d = debianSetup(impl);
  const name = `tsinit-bench-tree-${process.pid}-${impl}`;
  const t0 = nowMs();
  podmanSync(['run', '-d', '--name', name, ...RUN_FLAGS, ...d.args, image]);
  try {
    const pid1 = Number(podmanSync(['inspect', '--format', '{{.State.Pid}}', name]).trim());
    const daemonsWanted = DEBIAN_SERVICES.length;
    let daemons = 0;
    await waitUntil(
      () => {
        daemons = processTree(pid1).filter((q) => q.comm === 'sleep').length;
        return daemons >= daemonsWanted && d.supervised.every((s) => read(path.join(s, 'supervise', 'stat')) === 'run\n');
      },
      120_000,
      `${impl}: Debian's services up in the container`,
      20,
    ).catch((e: unknown) => {
      const ps = spawnSync('podman', ['--runtime', 'runc', 'exec', name, 'sh', '-c', 'ps ww; tail -n 5 /var/log/runit/*/current'], { encoding: 'utf8' }).stdout;
      const logs = spawnSync('podman', ['--runtime', 'runc', 'logs', name], { encoding: 'utf8' });
      const stats = d.supervised.map((s) => `${path.relative(d.etcSv, s)}: ${read(path.join(s, 'supervise', 'stat')).trim() || '-'}`).join(', ');
      throw new Error(`${String(e)}\n${stats}\n${ps}\n${logs.stdout}${logs.stderr}`);
    });
    const upMs = nowMs() - t0;
    await sleep(settleMs);
    let tree = zeroMem();
    let treeProcs = 0;
    let nodes = 0;
    const byExe = new Map<string, { count: number; pss: number }>();
    for (const proc of processTree(pid1)) {
      if (proc.comm === 'sleep') continue; // the daemons (stand-ins)
      const m = memOf(proc.pid);
      if (!m) continue;
      if (proc.pid !== pid1 && proc.exe === 'tsinit') nodes++;
      tree = addMem(tree, m);
      treeProcs++;
      const k = proc.pid === pid1 ? `${proc.exe} (PID 1)` : proc.argv0 || proc.exe || proc.comm;
      const e = byExe.get(k) ?? { count: 0, pss: 0 };
      e.count++;
      e.pss += m.pss;
      byExe.set(k, e);
    }
    return { impl, upMs, tree, daemons, treeProcs, nodes, byExe };
  } finally {
    spawnSync('podman', ['--runtime', 'runc', 'rm', '-f', '-t', '0', name], { stdio: 'ignore' });
  }
}

async function debianPart(): Promise<void> {
  heading(`Debian's runit-services (${DEBIAN_SERVICES.join(', ')}) with Debian's /etc/runit/1, 2, 3 in a container (podman)`);
  const image = await e2eImage();
  const results: DebianResult[] = [];
  for (const impl of ['runit', 'tsinit'] as Impl[]) {
    results.push(await debianOne(image, impl));
    process.stderr.write(`  done: ${impl} (container)\n`);
  }
  const runit = results[0] as DebianResult;
  const ts = results[1] as DebianResult;
  console.log(`\nthe daemons are stand-ins (\`exec sleep\`: the packages are not installed offline); supervision memory = the container's process tree without them, after ${settleMs} ms idle`);
  printTable([
    ['PID 1', 'all up', 'supervision PSS', 'vs runit', 'processes', 'Node besides PID 1'],
    ...results.map((m) => [m.impl, fmtMs(m.upMs), fmtKB(m.tree.pss), m === runit ? '' : `+${fmtKB(m.tree.pss - runit.tree.pss)}`, String(m.treeProcs), String(m.nodes)]),
  ]);
  for (const m of results) {
    console.log(`\n${m.impl}: supervision PSS by program (processes)`);
    printTable([['program', 'processes', 'PSS'], ...[...m.byExe].sort((a, b) => b[1].pss - a[1].pss).map(([k, v]) => [k, String(v.count), fmtKB(v.pss)])]);
  }
  goal("Debian's runit-services under tsinit: supervision memory at most 60 MB", ts.tree.pss <= 60 * 1024, `${fmtKB(ts.tree.pss)} (runit: ${fmtKB(runit.tree.pss)})`);
}

const parts = (process.env.BENCH_PARTS ?? 'tree,debian').split(',');
if (parts.includes('tree')) await treePart();
if (parts.includes('debian')) await debianPart();
