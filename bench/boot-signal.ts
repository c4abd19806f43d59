// Signal-to-action latency while PID 1 boots many services: tsinit (stage
// mode, built-in supervisor on a directory of N services, each `exec sleep`)
// gets SIGTERM when a given share of the services has started. Measured:
// from kill() to tsinit's "shutdown requested" log line on its output (the
// moment PID 1 acted on the signal), and from kill() to PID 1's exit; also
// how many services had been started in all (a stop during the boot starts
// nothing more). Plus the time to boot all N without a signal.
// Peer: Debian's runsvdir as PID 1 on the same directory; SIGTERM makes it
// exit at once (leaving its runsv's, which the namespace's end kills), so its
// figure is the kill-to-exit time: how soon it sees the signal.
// Goal: the worst tsinit latency under 100 ms with 1,000 services.
// Options: --services N (1000), --points list of percentages at which the
// signal is sent (10,40,70), --runs per point (1), --peer 0 to leave out
// Debian's runsvdir (its runs take minutes with 1,000 services).
import fs from 'node:fs';
import path from 'node:path';
import { benchTmp, childrenOf, fmtMs, getPrograms, goal, heading, intOption, listOption, nowMs, printTable, ratio, runPid1, sleep, waitUntil, type Pid1Run } from './lib.ts';

const n = intOption('services', 1000);
const points = listOption('points', [10, 40, 70]);
const runs = intOption('runs', 1);
const withPeer = intOption('peer', 1) !== 0;
const impls: Impl[] = withPeer ? ['tsinit', 'runit'] : ['tsinit'];
const p = getPrograms();

function makeServices(): string {
  const dir = fs.mkdtempSync(path.join(benchTmp(), 'svc-'));
  for (let i = 0; i < n; i++) {
    const s = path.join(dir, `s${String(i).padStart(4, '0')}`);
    fs.mkdirSync(s);
    fs.writeFileSync(path.join(s, 'run'), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
  }
  return dir;
}

/** Processes below PID 1 that are services (sleep, or the sh about to exec it). */
function started(pid1: number): number {
  return childrenOf(pid1).length;
}

type Impl = 'tsinit' | 'runit';

function startImpl(impl: Impl, dir: string): Pid1Run {
  const sys = process.env.PATH ?? '/usr/bin:/bin';
  if (impl === 'runit') return runPid1([p.runit.runsvdir, dir], { PATH: `${p.runit.bin}:${sys}` });
  const empty = fs.mkdtempSync(path.join(benchTmp(), 'runit-'));
  return runPid1([p.tsinit], {
    PATH: sys,
    TSINIT_RUNIT_DIR: empty,
    TSINIT_SERVICE_DIR: dir,
    TSINIT_SHUTDOWN_TIMEOUT: '30',
    TSINIT_LOG_LEVEL: 'info',
    // JSON lines carry tsinit's own wall-clock time of each message
    TSINIT_LOG_FORMAT: 'json',
  });
}

/**
 * Output watcher: the wall-clock time (ms since the epoch) tsinit gave the
 * first JSON log line whose msg contains text: when PID 1 acted, not when
 * this (equally busy) process read it.
 */
function logged(r: Pid1Run, text: string): () => number | undefined {
  let at: number | undefined;
  let buf = '';
  const on = (d: Buffer): void => {
    if (at !== undefined) return;
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const rec = JSON.parse(line) as { msg?: unknown; time?: unknown };
        // time: ISO 8601 with ms (or epoch ms)
        const t = typeof rec.time === 'number' ? rec.time : typeof rec.time === 'string' ? Date.parse(rec.time) : NaN;
        if (typeof rec.msg === 'string' && rec.msg.includes(text) && Number.isFinite(t)) {
          at = t;
          return;
        }
      } catch {
        // not a log line (a service's own output)
      }
    }
  };
  r.proc.stdout?.on('data', on);
  r.proc.stderr?.on('data', on);
  return () => at;
}

interface Sample {
  impl: Impl;
  point: number;
  startedAtSignal: number;
  latencyMs: number;
  exitMs: number;
  startedInAll: number;
}

async function boot(impl: Impl): Promise<number> {
  const dir = makeServices();
  const r = startImpl(impl, dir);
  try {
    const pid1 = await r.pid1();
    await waitUntil(() => started(pid1) >= n, 120_000, `${impl}: ${n} services`, 10);
    return nowMs() - r.startedAt;
  } finally {
    await r.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function signalDuringBoot(impl: Impl, point: number): Promise<Sample> {
  const dir = makeServices();
  const r = startImpl(impl, dir);
  const seen = logged(r, 'shutdown requested');
  try {
    const pid1 = await r.pid1();
    const want = Math.max(1, Math.floor((n * point) / 100));
    await waitUntil(() => started(pid1) >= want, 120_000, `${impl}: ${want} services`, 1);
    const startedAtSignal = started(pid1);
    const t0 = nowMs();
    const wall0 = Date.now();
    process.kill(pid1, 'SIGTERM');
    let startedInAll = startedAtSignal;
    // Follow the count until PID 1 is gone (the highest count is how many started).
    const sampler = setInterval(() => {
      startedInAll = Math.max(startedInAll, started(pid1));
    }, 2);
    const ex = await Promise.race([r.exit, sleep(120_000).then(() => undefined)]);
    clearInterval(sampler);
    // Not gone in 2 minutes: reported as n/a (e.g. a peer that ignores the signal while it forks).
    const exitMs = ex ? ex.atMs - t0 : NaN;
    const at = seen();
    // runsvdir logs nothing: its exit is when it acted.
    const latencyMs = impl === 'runit' ? exitMs : at !== undefined ? at - wall0 : NaN;
    return { impl, point, startedAtSignal, latencyMs, exitMs, startedInAll };
  } finally {
    await r.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

heading(`SIGTERM during the boot of ${n} services (PID 1 in a PID namespace)`);
const bootMs: Record<Impl, number> = { tsinit: await boot('tsinit'), runit: withPeer ? await boot('runit') : NaN };
const samples: Sample[] = [];
for (const point of points) {
  for (let i = 0; i < runs; i++) {
    for (const impl of impls) samples.push(await signalDuringBoot(impl, point));
  }
  process.stderr.write(`  done: signal at ${point}%\n`);
}

printTable([
  ['boot of all services', 'time', 'vs runit'],
  ['tsinit', fmtMs(bootMs.tsinit), ratio(bootMs.tsinit, bootMs.runit)],
  ['Debian runsvdir', fmtMs(bootMs.runit), '1.00x'],
]);
console.log('');
printTable([
  ['signal at', 'impl', 'started then', 'kill -> acted', 'kill -> exit', 'started in all'],
  ...samples.map((s) => [`${s.point}%`, s.impl === 'tsinit' ? 'tsinit' : 'Debian runsvdir', String(s.startedAtSignal), fmtMs(s.latencyMs), fmtMs(s.exitMs), String(s.startedInAll)]),
]);
const worstOf = (impl: Impl): number => {
  const xs = samples.filter((s) => s.impl === impl).map((s) => s.latencyMs);
  if (xs.length === 0) return NaN;
  return xs.some((x) => Number.isNaN(x)) ? NaN : Math.max(...xs);
};
const worst = worstOf('tsinit');
const worstRunit = worstOf('runit');
console.log(`\nworst tsinit signal-to-action latency: ${fmtMs(worst)} (Debian runsvdir kill-to-exit: ${fmtMs(worstRunit)}, ratio ${ratio(worst, worstRunit)})`);
goal(`worst signal-to-action latency during a ${n}-service boot < 100 ms`, worst < 100, fmtMs(worst));
