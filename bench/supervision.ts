// Supervision of N services, each with a log service, by:
//  tsinit: `tsinit runsvdir DIR` (every runsv inside the one process; the
//          loggers are `svlogd` links to tsinit, from `tsinit install`),
//  runit:  Debian's runsvdir, runsv and svlogd,
//  s6:     Debian's s6-svscan, s6-supervise and s6-log.
// Each runs as PID 1 of a new PID namespace (killed as a whole afterwards).
// Measured: time from start until every service and every log service is
// up, PSS of the supervision tree without the services themselves (sleep),
// and the latency of `sv status DIR/*`.
// Options: --sizes LIST (BENCH_SIZES, default 1,50,200), --settle MS
// (default 2000, idle time before measuring memory), --sv-runs N (default 10),
// --up-runs N (BENCH_UP_RUNS, default 1: start-ups measured per size and
// implementation, median printed; the memory is measured on the last one).
import fs from 'node:fs';
import path from 'node:path';
import {
  benchTmp,
  fmtKB,
  fmtMs,
  getPrograms,
  getS6,
  goal,
  heading,
  intOption,
  listOption,
  median,
  memOf,
  addMem,
  zeroMem,
  type Mem,
  nowMs,
  printTable,
  processTree,
  ratio,
  runPid1,
  sleep,
  timeSync,
  waitUntil,
  type Proc,
} from './lib.ts';

const sizes = listOption('sizes', [1, 50, 200]);
const settleMs = intOption('settle', 2000);
const svRuns = Math.max(1, intOption('sv-runs', 10));
const runs = Math.max(1, intOption('up-runs', 1));
const p = getPrograms();
const s6 = getS6();
const tmp = benchTmp();

// 'tsinit+C-svlogd': tsinit's runsvdir with Debian's svlogd as the loggers,
// to tell the supervisor's cost from the loggers'.
type Impl = 'tsinit' | 'tsinit+C-svlogd' | 'runit' | 's6';
const IMPLS: Impl[] = ['tsinit', 'tsinit+C-svlogd', 'runit', 's6'];

function makeServiceDir(impl: Impl, n: number, run: number): { dir: string; services: string[] } {
  const dir = path.join(tmp, `${impl}-${n}-${run}`);
  fs.mkdirSync(dir);
  const logRun = impl === 's6' ? 'exec s6-log t ./main' : 'exec svlogd -tt ./main';
  const services: string[] = [];
  for (let i = 0; i < n; i++) {
    const svc = path.join(dir, `svc${String(i).padStart(4, '0')}`);
    fs.mkdirSync(path.join(svc, 'log', 'main'), { recursive: true });
    fs.writeFileSync(path.join(svc, 'run'), '#!/bin/sh\necho "service $PWD started"\nexec sleep 100000\n', { mode: 0o755 });
    fs.writeFileSync(path.join(svc, 'log', 'run'), `#!/bin/sh\n${logRun}\n`, { mode: 0o755 });
    services.push(svc);
  }
  // As in a real container the dir is older than the boot: runsvdir defers a
  // scan of a dir modified within the current second (to catch later changes).
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(dir, past, past);
  return { dir, services };
}

function command(impl: Impl, dir: string): { argv: string[]; env: NodeJS.ProcessEnv } {
  const sys = process.env.PATH ?? '/usr/bin:/bin';
  switch (impl) {
    case 'tsinit':
      return { argv: [path.join(p.tsinitBin, 'runsvdir'), dir], env: { PATH: `${p.tsinitBin}:${sys}` } };
    case 'tsinit+C-svlogd':
      return { argv: [path.join(p.tsinitBin, 'runsvdir'), dir], env: { PATH: `${p.runit.bin}:${p.tsinitBin}:${sys}` } };
    case 'runit':
      return { argv: [p.runit.runsvdir, dir], env: { PATH: `${p.runit.bin}:${sys}` } };
    case 's6':
      return {
        argv: ['sh', '-c', `${s6.overlayUsrBin} && exec s6-svscan "$1"`, 's6', dir],
        env: { PATH: `${s6.bin}:${sys}`, LD_LIBRARY_PATH: s6.libPath },
      };
  }
}

function readOrEmpty(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

/** s6 2.11 supervise/status (35 bytes): tain stamp(0) tain readystamp(12) pid u64be(24) wstat u16be(32) flags(34). */
function s6StatusUp(b: Buffer): boolean {
  if (b.length < 35) return false;
  const pid = b.readBigUInt64BE(24);
  const flagFinishing = (b[34] as number) & 0x02;
  return pid !== 0n && !flagFinishing;
}

/** Is this service (or log service) dir reported up by its supervisor? */
function isUp(impl: Impl, svdir: string): boolean {
  if (impl === 's6') return s6StatusUp(readOrEmpty(path.join(svdir, 'supervise', 'status')));
  return readOrEmpty(path.join(svdir, 'supervise', 'stat')).toString() === 'run\n';
}

type Role = 'supervisor' | 'logger' | 'service' | 'other';

function roleOf(proc: Proc, root: number): Role {
  if (proc.pid === root) return 'supervisor';
  const names = [proc.comm, proc.exe, proc.argv0];
  if (names.includes('sleep')) return 'service';
  if (names.some((n) => n === 'svlogd' || n === 's6-log')) return 'logger';
  if (names.some((n) => n === 'runsv' || n === 's6-supervise')) return 'supervisor';
  return 'other';
}

interface Measure {
  impl: Impl;
  n: number;
  upMs: number[];
  /** memory by role (the services' own is measured but left out of every total) */
  mem: Record<Role, Mem>;
  counts: Record<Role, number>;
  svMs?: number;
  svCmd?: string;
}

async function one(impl: Impl, n: number, run: number, last: boolean, m: Measure): Promise<void> {
  const { dir, services } = makeServiceDir(impl, n, run);
  const { argv, env } = command(impl, dir);
  const pending = services.flatMap((s) => [s, path.join(s, 'log')]);
  const r = runPid1(argv, env);
  try {
    const root = await r.pid1();
    let left = pending;
    await waitUntil(
      () => {
        left = left.filter((d) => !isUp(impl, d));
        if (r.proc.exitCode !== null) throw new Error(`${impl} exited early; output:\n${r.output()}`);
        return left.length === 0;
      },
      60_000 + n * 500,
      `${impl}: ${n} services up`,
      10,
    );
    m.upMs.push(nowMs() - r.startedAt);
    if (!last) return;
    await sleep(settleMs);
    const procs = processTree(root);
    for (const proc of procs) {
      const role = roleOf(proc, root);
      const mem = memOf(proc.pid);
      if (!mem) continue;
      m.counts[role]++;
      m.mem[role] = addMem(m.mem[role], mem);
    }
    // sv status latency, all services in one call.
    if (impl !== 's6') {
      const ours = impl !== 'runit';
      const sv = ours ? path.join(p.tsinitBin, 'sv') : p.runit.sv;
      const argvSv = [sv, 'status', ...services];
      timeSync(argvSv, env); // warm-up, and a check that it works
      const times: number[] = [];
      for (let i = 0; i < svRuns; i++) times.push(timeSync(argvSv, env));
      m.svMs = median(times);
      m.svCmd = `${ours ? "tsinit's" : "Debian's"} sv status DIR/*`;
    } else {
      // s6-svstat takes one service: one process per service, from one shell.
      const script = 'for d in "$@"; do s6-svstat "$d" >/dev/null || exit 1; done';
      const argvSv = ['sh', '-c', script, 's6-svstat', ...services];
      timeSync(argvSv, env);
      const times: number[] = [];
      for (let i = 0; i < svRuns; i++) times.push(timeSync(argvSv, env));
      m.svMs = median(times);
      m.svCmd = 'for d in DIR/*; do s6-svstat $d; done';
    }
  } finally {
    await r.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const zero = (): Record<Role, number> => ({ supervisor: 0, logger: 0, service: 0, other: 0 });
const zeroMems = (): Record<Role, Mem> => ({ supervisor: zeroMem(), logger: zeroMem(), service: zeroMem(), other: zeroMem() });

heading(`supervision of ${sizes.join(', ')} services, each with a log service`);
const results: Measure[] = [];
for (const n of sizes) {
  for (const impl of IMPLS) {
    const m: Measure = { impl, n, upMs: [], mem: zeroMems(), counts: zero() };
    for (let run = 0; run < runs; run++) await one(impl, n, run, run === runs - 1, m);
    results.push(m);
    process.stderr.write(`  done: ${impl} with ${n} services\n`);
  }
}

const get = (impl: Impl, n: number): Measure | undefined => results.find((r) => r.impl === impl && r.n === n);
const treePss = (m: Measure): number => m.mem.supervisor.pss + m.mem.logger.pss + m.mem.other.pss;
const treeAnon = (m: Measure): number => m.mem.supervisor.pssAnon + m.mem.logger.pssAnon + m.mem.other.pssAnon;

console.log(`\nstart-up until all services and log services are up (median of ${runs}), PSS after ${settleMs} ms idle, sv status latency (median of ${svRuns})`);
console.log('tree PSS = supervisors + loggers (+ other), the services (sleep) excluded; processes in brackets; anon = Pss_Anon');
printTable([
  ['impl', 'services', 'all up', 'up vs runit', 'tree PSS', 'PSS vs runit', 'tree anon', 'supervisors PSS', 'sup. anon', 'loggers PSS', 'log. anon', 'other', 'status', 'status vs runit'],
  ...results.map((m) => {
    const runit = get('runit', m.n);
    return [
      m.impl,
      String(m.n),
      fmtMs(median(m.upMs)),
      ratio(median(m.upMs), median(runit?.upMs ?? [])),
      fmtKB(treePss(m)),
      ratio(treePss(m), runit ? treePss(runit) : NaN),
      fmtKB(treeAnon(m)),
      `${fmtKB(m.mem.supervisor.pss)} [${m.counts.supervisor}]`,
      fmtKB(m.mem.supervisor.pssAnon),
      `${fmtKB(m.mem.logger.pss)} [${m.counts.logger}]`,
      fmtKB(m.mem.logger.pssAnon),
      `${fmtKB(m.mem.other.pss)} [${m.counts.other}]`,
      fmtMs(m.svMs ?? NaN),
      ratio(m.svMs ?? NaN, runit?.svMs ?? NaN),
    ];
  }),
]);
console.log("status: tsinit's sv against tsinit, Debian's sv against runit (one `sv status` over all services); s6: s6-svstat once per service from one sh");

const lo = Math.min(...sizes);
const hi = Math.max(...sizes);
if (hi > lo) {
  console.log(`\nper-service PSS cost: (PSS at ${hi} - PSS at ${lo}) / ${hi - lo}`);
  console.log('(PSS splits file pages shared by several processes among them: with more processes of one binary, each one\'s PSS falls; anon is not shared)');
  const rows = [['impl', 'tree PSS', 'tree anon', 'supervisors PSS', 'supervisors anon', 'loggers PSS', 'loggers anon']];
  const cost = (impl: Impl, f: (m: Measure) => number): number => {
    const a = get(impl, lo);
    const b = get(impl, hi);
    return a && b ? (f(b) - f(a)) / (hi - lo) : NaN;
  };
  for (const impl of IMPLS) {
    rows.push([
      impl,
      fmtKB(cost(impl, treePss)),
      fmtKB(cost(impl, treeAnon)),
      fmtKB(cost(impl, (m) => m.mem.supervisor.pss)),
      fmtKB(cost(impl, (m) => m.mem.supervisor.pssAnon)),
      fmtKB(cost(impl, (m) => m.mem.logger.pss)),
      fmtKB(cost(impl, (m) => m.mem.logger.pssAnon)),
    ]);
  }
  printTable(rows);
  for (const impl of ['tsinit', 'tsinit+C-svlogd'] as const) {
    const perTree = cost(impl, treePss);
    goal(`${impl} under 100 KB per service (whole tree, loggers included)`, perTree < 100, `${fmtKB(perTree)} per service`);
  }
  const perSup = cost('tsinit', (m) => m.mem.supervisor.pssAnon);
  goal('tsinit under 100 KB per service (the supervisor process alone, anon memory, loggers excluded)', perSup < 100, `${fmtKB(perSup)} per service`);
  const r = get('runit', hi);
  for (const impl of ['tsinit', 'tsinit+C-svlogd'] as const) {
    const t = get(impl, hi);
    if (t && r) goal(`${impl} tree PSS at ${hi} services at or below runit's`, treePss(t) <= treePss(r), `${fmtKB(treePss(t))} vs ${fmtKB(treePss(r))}, ${ratio(treePss(t), treePss(r))}`);
  }
  const t = get('tsinit+C-svlogd', hi);
  if (t && r) {
    // Measured with C loggers, so the supervisor's file pages are not shared with Node loggers.
    const ts = t.mem.supervisor.pss;
    const rs = r.mem.supervisor.pss;
    goal(`tsinit supervisor process PSS at ${hi} services at or below runit's supervisors (runsvdir + runsv's)`, ts <= rs, `${fmtKB(ts)} vs ${fmtKB(rs)}, ${ratio(ts, rs)}`);
  }
}
