// Memory of an idle init as PID 1 of a new PID namespace: tsinit in stage
// mode (built-in supervisor over an empty service dir) and in command mode
// (`tsinit -- sleep`), against `tini -- sleep` and `dumb-init sleep`. Only the
// init's own process is measured, never the sleep.
// Options: --settle MS (BENCH_SETTLE, default 3000): idle time before measuring;
// --samples N (default 3): measurements 500 ms apart, the last one is reported
// and the highest PSS seen is shown too.
import fs from 'node:fs';
import path from 'node:path';
import { benchTmp, fmtKB, getPrograms, goal, heading, intOption, memOf, printTable, ratio, runPid1, sleep, type Mem } from './lib.ts';

const settleMs = intOption('settle', 3000);
const samples = Math.max(1, intOption('samples', 3));
const GOAL_KB = 40 * 1024;
const p = getPrograms();

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}

interface Result {
  name: string;
  mem: Mem;
  maxPss: number;
  threads: number;
  /** CPU ms used per second of the sampling window */
  cpuMsPerS: number;
}

async function measure(name: string, argv: string[], env: NodeJS.ProcessEnv, expect?: string): Promise<Result> {
  const run = runPid1(argv, env);
  try {
    const pid = await run.pid1();
    await sleep(settleMs);
    if (expect && !run.output().includes(expect)) throw new Error(`${name}: no "${expect}" in the output:\n${run.output()}`);
    const t0 = cpuTicks(pid);
    const started = Date.now();
    let mem: Mem | undefined;
    let maxPss = 0;
    for (let i = 0; i < samples; i++) {
      if (i > 0) await sleep(500);
      mem = memOf(pid);
      if (!mem) throw new Error(`${name}: PID 1 is gone; output:\n${run.output()}`);
      maxPss = Math.max(maxPss, mem.pss);
    }
    const elapsed = Math.max(1, Date.now() - started);
    const cpuMsPerS = ((cpuTicks(pid) - t0) * (1000 / 100)) / (elapsed / 1000); // USER_HZ is 100 on Linux
    const threads = fs.readdirSync(`/proc/${pid}/task`).length;
    return { name, mem: mem as Mem, maxPss, threads, cpuMsPerS };
  } finally {
    await run.kill();
  }
}

const tmp = benchTmp();
const runitDir = path.join(tmp, 'runit');
const serviceDir = path.join(tmp, 'service');
fs.mkdirSync(runitDir);
fs.mkdirSync(serviceDir);
// Stages 1 and 3 exist and succeed; no stage 2 file: the built-in supervisor runs it.
fs.writeFileSync(path.join(runitDir, '1'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
fs.writeFileSync(path.join(runitDir, '3'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
const base = { PATH: process.env.PATH };

heading('idle memory of PID 1');
const results: Result[] = [];
results.push(await measure('tsinit (stage mode, built-in supervisor, 0 services)', [p.tsinit], { ...base, TSINIT_RUNIT_DIR: runitDir, TSINIT_SERVICE_DIR: serviceDir }, '(built-in supervisor on'));
// Command mode reads stage 1 too if present: point it at an empty runit dir.
const noStages = path.join(tmp, 'runit-empty');
fs.mkdirSync(noStages);
results.push(await measure('tsinit -- sleep 1000', [p.tsinit, '--', 'sleep', '1000'], { ...base, TSINIT_RUNIT_DIR: noStages }));
results.push(await measure('tini -- sleep 1000', [p.tini, '--', 'sleep', '1000'], base));
results.push(await measure('dumb-init sleep 1000', [p.dumbInit, 'sleep', '1000'], base));

const tini = results.find((r) => r.name.startsWith('tini')) as Result;
const dumb = results.find((r) => r.name.startsWith('dumb-init')) as Result;
console.log(`\nPID 1's own memory after ${settleMs} ms idle (${samples} samples 500 ms apart; kB from /proc/PID/smaps_rollup)`);
printTable([
  ['init', 'PSS', 'max PSS', 'Pss_Anon', 'Pss_File', 'Private_Clean', 'Private_Dirty', 'RSS', 'threads', 'idle CPU', 'PSS vs tini', 'vs dumb-init'],
  ...results.map((r) => [
    r.name,
    fmtKB(r.mem.pss),
    fmtKB(r.maxPss),
    fmtKB(r.mem.pssAnon),
    fmtKB(r.mem.pssFile),
    fmtKB(r.mem.privateClean),
    fmtKB(r.mem.privateDirty),
    fmtKB(r.mem.rss),
    String(r.threads),
    `${r.cpuMsPerS.toFixed(1)} ms/s`,
    ratio(r.mem.pss, tini.mem.pss),
    ratio(r.mem.pss, dumb.mem.pss),
  ]),
]);
console.log('(the tsinit executable is a private copy, so no other process on the machine shares its file pages)');
for (const r of results.filter((x) => x.name.startsWith('tsinit'))) {
  goal(`idle PSS under 40 MB, ${r.name}`, r.maxPss < GOAL_KB, `${fmtKB(r.maxPss)} max, ${fmtKB(Math.abs(r.maxPss - GOAL_KB))} ${r.maxPss < GOAL_KB ? 'below' : 'over'}`);
}
