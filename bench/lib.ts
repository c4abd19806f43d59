// Shared helpers of the benchmarks: where the programs are, timing and
// medians, PSS of process trees, PID-1 runs in a fresh PID namespace, tables
// and ratios, and cleanup of every process a benchmark starts.
// Benchmarks measure and print; they never assert.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { debianPackage, debianRunit, repoRoot } from '../testkit/debian.ts';
import { childrenOf } from '../testkit/proc.ts';

export { repoRoot };

// ---------------------------------------------------------------- options

/**
 * Integer option: `--name N` on the command line, else env BENCH_NAME
 * (upper case, dashes as underscores), else the default.
 */
export function intOption(name: string, fallback: number): number {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { [name]: { type: 'string' } }, strict: false });
  const raw = values[name] ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (typeof raw !== 'string' || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a non-negative integer, got ${raw}`);
  return n;
}

/** List option (comma separated), same lookup as intOption. */
export function listOption(name: string, fallback: number[]): number[] {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { [name]: { type: 'string' } }, strict: false });
  const raw = values[name] ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  if (typeof raw !== 'string' || raw === '') return fallback;
  return raw.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants positive integers, got ${raw}`);
    return n;
  });
}

// ---------------------------------------------------------------- programs

export interface Programs {
  /** a private copy of dist/tsinit (its own page cache: PSS not shared with other runs on the machine) */
  tsinit: string;
  /** folder of tool links made by `tsinit install` (sv, runsvdir, svlogd, ...) */
  tsinitBin: string;
  tini: string;
  dumbInit: string;
  runit: ReturnType<typeof debianRunit>;
}

let workDir: string | undefined;

/** A temp folder for this benchmark process, removed at exit. */
export function benchTmp(): string {
  if (!workDir) {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-bench-'));
    const dir = workDir;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

let programs: Programs | undefined;

export function getPrograms(): Programs {
  if (programs) return programs;
  const dist = path.join(repoRoot, 'dist', 'tsinit');
  if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: build it first with \`npx node build.mjs\``);
  const dir = path.join(benchTmp(), 'tsinit');
  fs.mkdirSync(dir);
  const tsinit = path.join(dir, 'tsinit');
  fs.copyFileSync(dist, tsinit);
  fs.chmodSync(tsinit, 0o755);
  const tsinitBin = path.join(dir, 'bin');
  execFileSync(tsinit, ['install', tsinitBin], { stdio: 'ignore' });
  programs = {
    tsinit,
    tsinitBin,
    tini: path.join(debianPackage('tini'), 'usr/bin/tini'),
    dumbInit: path.join(debianPackage('dumb-init'), 'usr/bin/dumb-init'),
    runit: debianRunit(),
  };
  return programs;
}

export interface S6 {
  bin: string;
  /** LD_LIBRARY_PATH for skalibs, libs6 and libexecline */
  libPath: string;
  /**
   * Shell prefix for a private mount namespace: Debian's s6-svscan execs
   * /usr/bin/s6-supervise by absolute path, so the unpacked s6 binaries are
   * overlaid on /usr/bin (read-only overlay, only inside the namespace).
   */
  overlayUsrBin: string;
}

export function getS6(): S6 {
  const s6 = debianPackage('s6');
  const libs = ['libskarnet2.13', 'libs6-2.11', 'libexecline2.9'].map((p) => path.join(debianPackage(p), 'usr/lib/x86_64-linux-gnu'));
  const bin = path.join(s6, 'usr/bin');
  return {
    bin,
    libPath: libs.join(':'),
    overlayUsrBin: `mount --make-rprivate / && mount -t overlay overlay -o lowerdir=${bin}:/usr/bin /usr/bin`,
  };
}

// ---------------------------------------------------------------- timing

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/** Wall time of one synchronous run, in ms; throws if the program fails. */
export function timeSync(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = nowMs();
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const t = nowMs() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.toString()}`);
  return t;
}

/** Median of n runs (after `warmup` unmeasured runs). */
export function medianOfRuns(n: number, warmup: number, once: () => number): { median: number; p90: number; runs: number[] } {
  for (let i = 0; i < warmup; i++) once();
  const runs: number[] = [];
  for (let i = 0; i < n; i++) runs.push(once());
  return { median: median(runs), p90: percentile(runs, 90), runs };
}

export async function medianOfRunsAsync(n: number, warmup: number, once: () => Promise<number>): Promise<{ median: number; p90: number; runs: number[] }> {
  for (let i = 0; i < warmup; i++) await once();
  const runs: number[] = [];
  for (let i = 0; i < n; i++) runs.push(await once());
  return { median: median(runs), p90: percentile(runs, 90), runs };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until pred() is true; returns the ms it took, or throws after timeoutMs. */
export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string, pollMs = 5): Promise<number> {
  const t0 = nowMs();
  for (;;) {
    if (pred()) return nowMs() - t0;
    if (nowMs() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------- memory

/** kB figures from /proc/PID/smaps_rollup. */
export interface Mem {
  rss: number;
  pss: number;
  pssAnon: number;
  pssFile: number;
  pssShmem: number;
  privateClean: number;
  privateDirty: number;
  sharedClean: number;
  sharedDirty: number;
  anonymous: number;
}

const MEM_KEYS: Record<string, keyof Mem> = {
  Rss: 'rss',
  Pss: 'pss',
  Pss_Anon: 'pssAnon',
  Pss_File: 'pssFile',
  Pss_Shmem: 'pssShmem',
  Private_Clean: 'privateClean',
  Private_Dirty: 'privateDirty',
  Shared_Clean: 'sharedClean',
  Shared_Dirty: 'sharedDirty',
  Anonymous: 'anonymous',
};

export function zeroMem(): Mem {
  return { rss: 0, pss: 0, pssAnon: 0, pssFile: 0, pssShmem: 0, privateClean: 0, privateDirty: 0, sharedClean: 0, sharedDirty: 0, anonymous: 0 };
}

/** Parses smaps_rollup text. Pure. */
export function parseSmapsRollup(text: string): Mem {
  const m = zeroMem();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+) kB/.exec(line);
    if (!match) continue;
    const key = MEM_KEYS[match[1] as string];
    if (key) m[key] = Number(match[2]);
  }
  return m;
}

/** Memory of one process, or undefined if it is gone (or a zombie). */
export function memOf(pid: number): Mem | undefined {
  try {
    return parseSmapsRollup(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function addMem(a: Mem, b: Mem): Mem {
  const r = zeroMem();
  for (const k of Object.keys(r) as Array<keyof Mem>) r[k] = a[k] + b[k];
  return r;
}

export interface Proc {
  pid: number;
  ppid: number;
  /** basename of /proc/PID/exe ('' if unreadable) */
  exe: string;
  comm: string;
  /** basename of argv[0] from /proc/PID/cmdline (tsinit's tools show their link name here) */
  argv0: string;
}

export function procInfo(pid: number): Proc | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    let exe = '';
    let argv0 = '';
    try {
      exe = path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
      argv0 = path.basename(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0] ?? '');
    } catch {
      // a zombie or a kernel thread
    }
    return { pid, ppid, exe, comm, argv0 };
  } catch {
    return undefined;
  }
}

export { childrenOf };

/** The process and all its descendants. */
export function processTree(root: number): Proc[] {
  const out: Proc[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    const p = procInfo(pid);
    if (!p) continue;
    out.push(p);
    stack.push(...childrenOf(pid));
  }
  return out;
}

/** Summed memory of the processes; with a breakdown per executable name. */
export function sumMem(procs: readonly Proc[]): { total: Mem; byExe: Map<string, { count: number; mem: Mem }> } {
  let total = zeroMem();
  const byExe = new Map<string, { count: number; mem: Mem }>();
  for (const p of procs) {
    const m = memOf(p.pid);
    if (!m) continue;
    total = addMem(total, m);
    const k = p.exe || p.comm;
    const e = byExe.get(k) ?? { count: 0, mem: zeroMem() };
    e.count++;
    e.mem = addMem(e.mem, m);
    byExe.set(k, e);
  }
  return { total, byExe };
}

export function fmtKB(kb: number): string {
  if (!Number.isFinite(kb)) return 'n/a';
  if (kb >= 10240) return `${(kb / 1024).toFixed(1)} MB`;
  return `${Math.round(kb)} kB`;
}

// ---------------------------------------------------------------- PID 1

/** A program running as PID 1 of a new PID (and mount) namespace. */
export interface Pid1Run {
  proc: ChildProcess;
  /** host pid of the program that is PID 1 inside */
  pid1(): Promise<number>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  startedAt: number;
  output(): string;
  /** SIGKILL to PID 1 (the kernel then kills the whole namespace), then waits for unshare */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
const livePid1 = new Set<number>();

function killAll(): void {
  for (const pid of livePid1) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const p of live) {
    try {
      if (p.pid) process.kill(-p.pid, 'SIGKILL');
    } catch {
      try {
        p.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** Runs argv as PID 1 of a new PID namespace (unshare --pid --fork --mount-proc --kill-child). */
export function runPid1(argv: readonly string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): Pid1Run {
  const startedAt = nowMs();
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', ...argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(proc);
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    if (out.length < 1 << 20) out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    if (out.length < 1 << 20) out += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal, atMs: nowMs() });
    });
  });
  let pid1Cached: number | undefined;
  const pid1 = async (): Promise<number> => {
    if (pid1Cached !== undefined) return pid1Cached;
    for (let i = 0; i < 400; i++) {
      const kids = proc.pid ? childrenOf(proc.pid) : [];
      if (kids.length) {
        pid1Cached = kids[0] as number;
        livePid1.add(pid1Cached);
        return pid1Cached;
      }
      if (proc.exitCode !== null || proc.signalCode !== null) break;
      await sleep(5);
    }
    throw new Error(`PID 1 of ${argv.join(' ')} did not start; output:\n${out}`);
  };
  const kill = async (): Promise<void> => {
    if (pid1Cached !== undefined) {
      try {
        process.kill(pid1Cached, 'SIGKILL');
      } catch {
        // gone
      }
      livePid1.delete(pid1Cached);
    }
    try {
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await exit;
  };
  return { proc, pid1, exit, startedAt, output: () => out, kill };
}

// ---------------------------------------------------------------- output

/** "1.23x" (a / b). */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  const r = a / b;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

/** Prints rows as an aligned text table (first row is the header). */
export function printTable(rows: ReadonlyArray<ReadonlyArray<string>>): void {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: ReadonlyArray<string>): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const [head, ...body] = rows;
  if (!head) return;
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}

export function heading(title: string): void {
  console.log(`\n== ${title} ==`);
  console.log(`(${os.cpus().length} cpus, ${os.cpus()[0]?.model ?? 'unknown cpu'}, Linux ${os.release()}, Node ${process.version})`);
}

export function goal(text: string, met: boolean, detail: string): void {
  console.log(`goal: ${text}: ${met ? 'MET' : 'MISSED'} (${detail})`);
}
