// Services that drop privileges with chpst (issue 9), each supervisor as PID 1
// of a new PID namespace:
//  tsinit:      `tsinit runsvdir DIR`, run scripts `exec chpst -u nobody ...`
//               started through the fast path (exec helper, no Node),
//  tsinit-slow: the same with TSINIT_CHPST_FASTPATH=0 (a Node chpst per start),
//  runit:       Debian's runsvdir, runsv and chpst.
// Measured:
//  1. N services `exec chpst -u nobody sleep ...`: time from start until every
//     one runs as nobody (N `sleep` processes with uid 65534 in the tree);
//     peak anonymous memory (RssAnon) of the whole tree during that boot, and
//     tsinit's own steady state after it. Goals: time at most 1.2x runit's;
//     peak at most 30 MB above tsinit's steady state.
//  2. CPU per restart of a crash-looping `exec chpst -u nobody PROG` service:
//     user+system time of the supervision tree (PID 1's own plus its reaped
//     children's) over the restarts, per restart, and the program's own cost.
//     Goal: under 10 ms beyond the program's own.
//     Also the same loop without chpst (`exec PROG`), the supervisors' own cost.
// Options: BENCH_PARTS (boot,loop), --sizes LIST (BENCH_SIZES, default 50,200), --restarts N
// (BENCH_RESTARTS, default 10), --slow-max N (BENCH_SLOW_MAX, default 200:
// largest size also measured with the fast path off).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  benchTmp,
  fmtKB,
  fmtMs,
  getPrograms,
  goal,
  heading,
  intOption,
  listOption,
  nowMs,
  printTable,
  processTree,
  ratio,
  runPid1,
  sleep,
  waitUntil,
} from './lib.ts';

const sizes = listOption('sizes', [50, 200]);
const restarts = Math.max(3, intOption('restarts', 10));
const slowMax = intOption('slow-max', 200);
const p = getPrograms();
const tmp = benchTmp();
const TICK_MS = 1000 / 100; // USER_HZ

type Impl = 'tsinit' | 'tsinit-slow' | 'runit';

function command(impl: Impl, dir: string): { argv: string[]; env: NodeJS.ProcessEnv } {
  const sys = '/usr/bin:/bin';
  if (impl === 'runit') return { argv: [p.runit.runsvdir, dir], env: { PATH: `${p.runit.bin}:${sys}` } };
  const env: NodeJS.ProcessEnv = { PATH: `${p.tsinitBin}:${sys}` };
  if (impl === 'tsinit-slow') env.TSINIT_CHPST_FASTPATH = '0';
  return { argv: [path.join(p.tsinitBin, 'runsvdir'), dir], env };
}

function makeDir(name: string, n: number, run: (i: number) => string): string[] {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const services: string[] = [];
  for (let i = 0; i < n; i++) {
    const svc = path.join(dir, `svc${String(i).padStart(4, '0')}`);
    fs.mkdirSync(svc);
    fs.writeFileSync(path.join(svc, 'run'), `#!/bin/sh\n${run(i)}\n`, { mode: 0o755 });
    services.push(svc);
  }
  // older than the boot: runsvdir defers a scan of a dir modified this second
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(dir, past, past);
  return services;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** One pass over the tree: its anonymous memory, and how many `sleep`s run as nobody. */
function scanTree(root: number): { anonKB: number; nobodySleeps: number } {
  let anon = 0;
  let nobodySleeps = 0;
  for (const proc of processTree(root)) {
    const st = read(`/proc/${proc.pid}/status`);
    const m = /^RssAnon:\s+(\d+) kB/m.exec(st);
    if (m) anon += Number(m[1]);
    if (/^Name:\s+sleep$/m.test(st) && /^Uid:\s+65534\s/m.test(st)) nobodySleeps++;
  }
  return { anonKB: anon, nobodySleeps };
}

function anonKB(pid: number): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`));
  return m ? Number(m[1]) : 0;
}

interface Boot {
  impl: Impl;
  n: number;
  upMs: number;
  peakKB: number;
  steadyPid1KB: number;
}

async function boot(impl: Impl, n: number): Promise<Boot> {
  const services = makeDir(`${impl}-${n}`, n, (i) => `exec chpst -u nobody sleep ${100000 + i}`);
  const { argv, env } = command(impl, path.dirname(services[0] as string));
  const r = runPid1(argv, env);
  let peakKB = 0;
  try {
    const root = await r.pid1();
    await waitUntil(
      () => {
        const t = scanTree(root);
        peakKB = Math.max(peakKB, t.anonKB);
        if (r.proc.exitCode !== null) throw new Error(`${impl} exited early; output:\n${r.output()}`);
        return t.nobodySleeps === n;
      },
      120_000 + n * 500,
      `${impl}: ${n} services up as nobody`,
      20,
    );
    const upMs = nowMs() - r.startedAt;
    await sleep(2000);
    return { impl, n, upMs, peakKB, steadyPid1KB: anonKB(root) };
  } finally {
    await r.kill();
  }
}

/** utime+stime of one process [own, its reaped children's], in ms. */
function cpuMs(pid: number): [number, number] {
  const text = read(`/proc/${pid}/stat`);
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields 14-17 (utime stime cutime cstime) are indexes 11-14 after the comm
  const n = (i: number): number => Number(f[i] ?? 0) * TICK_MS;
  return [n(11) + n(12), n(13) + n(14)];
}

/**
 * CPU of the whole tree: every live process's own plus what it reaped (runit's
 * runsv reaps the services, tsinit's PID 1 does); [PID 1's own, the rest].
 */
function treeCpuMs(root: number): [number, number] {
  let own = 0;
  let rest = 0;
  for (const proc of processTree(root)) {
    const [o, c] = cpuMs(proc.pid);
    if (proc.pid === root) {
      own += o;
      rest += c;
    } else rest += o + c;
  }
  return [own, rest];
}

interface Loop {
  impl: string;
  /** the supervision tree's CPU per restart: PID 1's own, and the rest (supervisors, run scripts, programs) */
  pid1Ms: number;
  restMs: number;
  perRestartMs: number;
  restarts: number;
}

async function crashLoop(impl: Impl, prog: string, counter: string, chpst = true): Promise<Loop> {
  fs.writeFileSync(counter, '');
  const services = makeDir(`loop-${impl}-${chpst}`, 1, () => (chpst ? `exec chpst -u nobody ${prog}` : `exec ${prog}`));
  const { argv, env } = command(impl, path.dirname(services[0] as string));
  const r = runPid1(argv, env);
  const starts = (): number => read(counter).length;
  try {
    const root = await r.pid1();
    await waitUntil(() => starts() >= 2, 30_000, `${impl}: crash loop started`, 5);
    const s0 = starts();
    const [p0, r0] = treeCpuMs(root);
    await waitUntil(() => starts() >= s0 + restarts, 60_000 + restarts * 3000, `${impl}: ${restarts} restarts`, 5);
    const s1 = starts();
    // the last start's process may still be running: wait until it was reaped
    await sleep(300);
    const [p1, r1] = treeCpuMs(root);
    const k = s1 - s0;
    return { impl: chpst ? impl : `${impl} (no chpst)`, pid1Ms: (p1 - p0) / k, restMs: (r1 - r0) / k, perRestartMs: (p1 - p0 + r1 - r0) / k, restarts: k };
  } finally {
    await r.kill();
  }
}

/** CPU of the program alone per run (the shell's `times` over 50 runs). */
function programOwnMs(prog: string): number {
  const runs = 50;
  const out = spawnSync('sh', ['-c', `i=0; while [ $i -lt ${runs} ]; do "$0" || :; i=$((i+1)); done; times`, prog], { encoding: 'utf8' }).stdout;
  const lines = out.trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
  if (!m) return NaN;
  const ms = (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
  return ms / runs;
}

const parts = (process.env.BENCH_PARTS ?? 'boot,loop').split(',');
heading(`chpst one-liners: ${sizes.join(', ')} services \`exec chpst -u nobody sleep ...\`; a crash loop of ${restarts} restarts`);
const boots: Boot[] = [];
for (const n of parts.includes('boot') ? sizes : []) {
  for (const impl of ['runit', 'tsinit', 'tsinit-slow'] as Impl[]) {
    if (impl === 'tsinit-slow' && n > slowMax) continue;
    boots.push(await boot(impl, n));
    process.stderr.write(`  done: ${impl} with ${n} services\n`);
  }
}
const rows: string[][] = [];
for (const b of boots) {
  const runit = boots.find((x) => x.impl === 'runit' && x.n === b.n) as Boot;
  const steady = boots.find((x) => x.impl === 'tsinit' && x.n === b.n)?.steadyPid1KB ?? 0;
  rows.push([
    b.impl,
    String(b.n),
    fmtMs(b.upMs),
    ratio(b.upMs, runit.upMs),
    fmtKB(b.peakKB),
    b.impl === 'runit' ? '' : fmtKB(b.steadyPid1KB),
    b.impl === 'runit' ? '' : fmtKB(b.peakKB - steady),
  ]);
}
if (boots.length > 0) printTable([['impl', 'services', 'all up as nobody', 'vs runit', 'peak anon (tree)', 'PID 1 steady anon', 'peak - tsinit steady'], ...rows]);
for (const n of parts.includes('boot') ? sizes : []) {
  const t = boots.find((x) => x.impl === 'tsinit' && x.n === n) as Boot;
  const r = boots.find((x) => x.impl === 'runit' && x.n === n) as Boot;
  goal(`${n} services up as nobody: tsinit at most 1.2x runit`, t.upMs / r.upMs <= 1.2, `${ratio(t.upMs, r.upMs)}`);
  goal(`${n} services: peak anonymous memory at most 30 MB above tsinit's steady state`, t.peakKB - t.steadyPid1KB <= 30 * 1024, fmtKB(t.peakKB - t.steadyPid1KB));
}

if (!parts.includes('loop')) process.exit(0);
const counter = path.join(tmp, 'starts');
const prog = path.join(tmp, 'crash');
fs.writeFileSync(prog, `#!/bin/sh\nprintf x >>${counter}\nexit 1\n`, { mode: 0o755 });
fs.chmodSync(tmp, 0o755);
fs.writeFileSync(counter, '');
fs.chmodSync(counter, 0o666);
const own = programOwnMs(prog);
const loops: Loop[] = [];
for (const impl of ['runit', 'tsinit', 'tsinit-slow'] as Impl[]) loops.push(await crashLoop(impl, prog, counter));
// the supervisors' own restart cost, for reference: the same program without chpst
for (const impl of ['runit', 'tsinit'] as Impl[]) loops.push(await crashLoop(impl, prog, counter, false));
const runitLoop = loops[0] as Loop;
printTable([
  ['impl', 'restarts', 'PID 1', 'rest of the tree', 'CPU per restart (tree)', 'beyond the program', 'vs runit'],
  ...loops.map((l) => [l.impl, String(l.restarts), fmtMs(l.pid1Ms), fmtMs(l.restMs), fmtMs(l.perRestartMs), fmtMs(l.perRestartMs - own), ratio(l.perRestartMs, runitLoop.perRestartMs)]),
]);
console.log(`the program alone (sh script that appends a byte and exits 1): ${fmtMs(own)} CPU per run`);
const fast = loops[1] as Loop;
goal('crash-looping chpst service: under 10 ms CPU per restart beyond the program', fast.perRestartMs - own < 10, fmtMs(fast.perRestartMs - own));
