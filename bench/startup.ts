// Start-up time: `--version` (load and print) and a full init round trip
// around `true` (start, spawn, reap, exit), tsinit against tini and dumb-init.
// Options: --runs N (BENCH_RUNS, default 30), --warmup N (default 3).
import { fmtMs, getPrograms, heading, intOption, median, percentile, printTable, ratio, timeSync } from './lib.ts';

const runs = intOption('runs', 30);
const warmup = intOption('warmup', 3);
const p = getPrograms();
const env = { PATH: process.env.PATH };

interface Case {
  name: string;
  argv: string[];
}

function measure(cases: Case[]): Array<{ name: string; median: number; p90: number }> {
  for (const c of cases) for (let i = 0; i < warmup; i++) timeSync(c.argv, env);
  // Interleave the programs run by run, so drift of the machine hits all alike.
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) cases.forEach((c, j) => times[j]?.push(timeSync(c.argv, env)));
  return cases.map((c, j) => ({ name: c.name, median: median(times[j] ?? []), p90: percentile(times[j] ?? [], 90) }));
}

function report(title: string, cases: Case[]): void {
  const res = measure(cases);
  const tini = res.find((r) => r.name.startsWith('tini'));
  const dumb = res.find((r) => r.name.startsWith('dumb-init'));
  const rows = [['program', 'median', 'p90', 'vs tini', 'vs dumb-init']];
  for (const r of res) rows.push([r.name, fmtMs(r.median), fmtMs(r.p90), ratio(r.median, tini?.median ?? NaN), ratio(r.median, dumb?.median ?? NaN)]);
  console.log(`\n${title} (${runs} runs each, interleaved, after ${warmup} warm-up runs)`);
  printTable(rows);
}

heading('start-up time');
report('--version', [
  { name: 'tsinit --version', argv: [p.tsinit, '--version'] },
  { name: 'tini --version', argv: [p.tini, '--version'] },
  { name: 'dumb-init --version', argv: [p.dumbInit, '--version'] },
]);
report('init round trip around true (not PID 1: tsinit and tini as child subreapers)', [
  { name: 'tsinit -- true', argv: [p.tsinit, '--', 'true'] },
  { name: 'tini -s -- true', argv: [p.tini, '-s', '--', 'true'] },
  { name: 'dumb-init true', argv: [p.dumbInit, 'true'] },
]);
const ns = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];
report('init round trip as PID 1 of a new PID namespace (unshare included in every figure)', [
  { name: 'unshare true (no init)', argv: [...ns, 'true'] },
  { name: 'tsinit -- true', argv: [...ns, p.tsinit, '--', 'true'] },
  { name: 'tini -- true', argv: [...ns, p.tini, '--', 'true'] },
  { name: 'dumb-init true', argv: [...ns, p.dumbInit, 'true'] },
]);
