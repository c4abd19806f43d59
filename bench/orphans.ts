// The orphan workload: as PID 1 of a new PID namespace, an init runs a shell
// that makes N orphans (`(sleep 0.05 &)`, each re-parented to PID 1) and then
// waits until no process is left but PID 1 and itself (every orphan exited
// and reaped: a zombie still has its /proc entry). Wall time from start to the
// init's exit, tsinit against tini and dumb-init.
// Options: --orphans N (BENCH_ORPHANS, default 2000), --runs N (default 5).
import { fmtMs, getPrograms, goal, heading, intOption, median, nowMs, printTable, ratio, runPid1 } from './lib.ts';

const orphans = intOption('orphans', 2000);
const runs = Math.max(1, intOption('runs', 5));
const p = getPrograms();

const workload = `
n=$1
i=0
while [ $i -lt $n ]; do (sleep 0.05 &); i=$((i+1)); done
while :; do
  busy=
  for p in /proc/[0-9]*; do
    case \${p#/proc/} in 1|$$) ;; *) busy=1; break;; esac
  done
  if [ -z "$busy" ]; then read -r s < /proc/1/stat; echo "init-stat: $s"; exit 0; fi
  sleep 0.01
done
`;
const sh = ['sh', '-c', workload, 'orphans', String(orphans)];

interface Case {
  name: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}
const base = { PATH: process.env.PATH };
const cases: Case[] = [
  { name: 'tsinit -- sh -c ...', argv: [p.tsinit, '--', ...sh], env: { ...base, TSINIT_RUNIT_DIR: '/nonexistent' } },
  { name: 'tini -- sh -c ...', argv: [p.tini, '--', ...sh], env: base },
  { name: 'dumb-init sh -c ...', argv: [p.dumbInit, ...sh], env: base },
];

/** PID 1's utime + stime in ms from the line the workload prints. */
function initCpuMs(output: string): number {
  const line = /init-stat: (.*)/.exec(output)?.[1];
  if (!line) return NaN;
  const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ = 100
}

async function once(c: Case): Promise<{ wall: number; cpu: number }> {
  const run = runPid1(c.argv, c.env);
  try {
    const r = await run.exit;
    if (r.code !== 0) throw new Error(`${c.name} exited ${r.code ?? r.signal}; output:\n${run.output()}`);
    return { wall: r.atMs - run.startedAt, cpu: initCpuMs(run.output()) };
  } finally {
    await run.kill();
  }
}

heading(`${orphans} orphans reaped by PID 1`);
const times = cases.map(() => [] as number[]);
const cpus = cases.map(() => [] as number[]);
const t0 = nowMs();
// Interleaved, so drift of the machine hits all alike.
for (let i = 0; i < runs; i++) {
  for (const [j, c] of cases.entries()) {
    const r = await once(c);
    times[j]?.push(r.wall);
    cpus[j]?.push(r.cpu);
  }
}
const med = times.map((t) => median(t));
const cpuMed = cpus.map((t) => median(t));
const tini = med[1] as number;
const dumb = med[2] as number;
console.log(`\nwall time, median of ${runs} runs (all runs in ms in brackets; whole benchmark ${fmtMs(nowMs() - t0)})`);
printTable([
  ['init', 'median', 'runs', 'vs tini', 'vs dumb-init', 'PID 1 CPU', 'CPU vs tini'],
  ...cases.map((c, j) => [
    c.name,
    fmtMs(med[j] as number),
    `[${(times[j] ?? []).map((t) => t.toFixed(0)).join(', ')}]`,
    ratio(med[j] as number, tini),
    ratio(med[j] as number, dumb),
    fmtMs(cpuMed[j] as number),
    ratio(cpuMed[j] as number, cpuMed[1] as number),
  ]),
]);
const ts = med[0] as number;
goal('orphan workload at most 1.2x tini', ts <= 1.2 * tini, `${ratio(ts, tini)} of tini`);
