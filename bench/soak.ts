// Soak: PID 1's anonymous memory while services crash-loop for a long time.
// Four trees run side by side, each as PID 1 of its own PID namespace:
//  tsinit plain:   tsinit (stage mode, built-in supervisor) over N services
//                  that exit 1 at once (runsv restarts each about once a second),
//  tsinit logged:  the same with `log/run` = `exec svlogd -tt ./main` (the
//                  in-process logger) and a line per start,
//  runit plain / runit logged: the same directories under Debian's runsvdir,
//                  runsv and svlogd, for context.
// Each tree also runs an orphan storm: a service that leaves --orphans
// orphaned `sleep 0.1` per start for PID 1 to reap. tsinit's trees have a
// follower on the events socket and a /metrics scrape every sample, so
// those paths run too.
// Every start appends one byte to the tree's `starts` file: its size is the
// number of starts. Printed: Pss_Anon of PID 1 (and of the runit tree's
// runsvdir + runsv's + svlogd's) every --sample seconds, then per tree the
// growth after the first minute (--warmup), the trend per 1,000 restarts (a
// least-squares line through the samples after the warm-up) and the
// restarts per second. Goal: flat within 5 MB after the first minute.
// Options: --duration S (BENCH_DURATION, default 120; 600 for the goal),
// --services N per tree (default 100), --orphans N per storm start (20),
// --sample S (10), --warmup S (60), BENCH_TREES (a comma list of
// tsinit-plain,tsinit-logged,runit-plain,runit-logged; default all).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { benchTmp, fmtKB, getPrograms, goal, heading, intOption, memOf, printTable, processTree, ratio, runPid1, sleep, waitUntil, type Pid1Run } from './lib.ts';

const durationS = Math.max(1, intOption('duration', 120));
const services = Math.max(1, intOption('services', 100));
const orphans = intOption('orphans', 20);
const sampleS = Math.max(1, intOption('sample', 10));
const warmupS = intOption('warmup', 60);
const FLAT_KB = 5 * 1024;
const p = getPrograms();
const tmp = benchTmp();

type TreeName = 'tsinit-plain' | 'tsinit-logged' | 'runit-plain' | 'runit-logged';
const ALL: TreeName[] = ['tsinit-plain', 'tsinit-logged', 'runit-plain', 'runit-logged'];
const picked = (process.env.BENCH_TREES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const t of picked) if (!ALL.includes(t as TreeName)) throw new Error(`BENCH_TREES: no tree ${t} (have ${ALL.join(', ')})`);
const TREES = picked.length > 0 ? ALL.filter((t) => picked.includes(t)) : ALL;

interface Sample {
  atS: number;
  starts: number;
  /** PID 1's Pss_Anon, kB */
  pid1: number;
  /** the supervision tree's Pss_Anon (PID 1, runsv's, svlogd's; not the services), kB */
  tree: number;
}

interface Tree {
  name: TreeName;
  dir: string;
  startsFile: string;
  run: Pid1Run;
  pid1: number;
  samples: Sample[];
  follower?: net.Socket;
  followed: number;
  metricsPort?: number;
  scrapes: number;
}

function write(file: string, text: string, mode = 0o644): void {
  fs.writeFileSync(file, text, { mode });
}

function makeTree(name: TreeName): { dir: string; svdir: string; startsFile: string } {
  const dir = path.join(tmp, name);
  const svdir = path.join(dir, 'service');
  fs.mkdirSync(svdir, { recursive: true });
  const startsFile = path.join(dir, 'starts');
  write(startsFile, '');
  const logged = name.endsWith('logged');
  for (let i = 0; i < services; i++) {
    const d = path.join(svdir, `s${i}`);
    fs.mkdirSync(d);
    write(path.join(d, 'run'), `#!/bin/sh\nprintf x >> ${startsFile}\n${logged ? 'echo crash $$\n' : ''}exit 1\n`, 0o755);
    if (logged) {
      fs.mkdirSync(path.join(d, 'log', 'main'), { recursive: true });
      write(path.join(d, 'log', 'run'), '#!/bin/sh\nexec svlogd -tt ./main\n', 0o755);
    }
  }
  const storm = path.join(svdir, 'orphans');
  fs.mkdirSync(storm);
  write(storm + '/run', `#!/bin/sh\ni=0\nwhile [ $i -lt ${orphans} ]; do (sleep 0.1 &); i=$((i+1)); done\nexec sleep 1\n`, 0o755);
  return { dir, svdir, startsFile };
}

function startTree(name: TreeName): Omit<Tree, 'pid1'> & { pid1?: number } {
  const { dir, svdir, startsFile } = makeTree(name);
  const sys = process.env.PATH ?? '/usr/bin:/bin';
  let run: Pid1Run;
  if (name.startsWith('tsinit')) {
    const runit = path.join(dir, 'runit');
    fs.mkdirSync(runit);
    write(path.join(runit, '1'), '#!/bin/sh\nexit 0\n', 0o755);
    write(path.join(runit, '3'), '#!/bin/sh\nexit 0\n', 0o755);
    run = runPid1([p.tsinit], {
      PATH: `${p.tsinitBin}:${sys}`,
      TSINIT_RUNIT_DIR: runit,
      TSINIT_SERVICE_DIR: svdir,
      TSINIT_RUN_DIR: path.join(dir, 'run'),
      TSINIT_HTTP: '127.0.0.1:0',
    });
  } else {
    run = runPid1([p.runit.runsvdir, svdir], { PATH: `${p.runit.bin}:${sys}` });
  }
  return { name, dir, startsFile, run, samples: [], followed: 0, scrapes: 0 };
}

/** A reader of the events socket that keeps up (its backlog never grows). */
function follow(t: Tree): void {
  const sock = path.join(t.dir, 'run', 'events.sock');
  const c = net.connect(sock);
  c.on('data', (d: Buffer) => {
    for (const b of d) if (b === 10) t.followed++;
  });
  c.on('error', () => {});
  t.follower = c;
}

async function scrape(t: Tree): Promise<void> {
  if (t.metricsPort === undefined) return;
  try {
    const r = await fetch(`http://127.0.0.1:${t.metricsPort}/metrics`);
    await r.text();
    if (r.ok) t.scrapes++;
  } catch {
    // counted as not scraped
  }
}

const TREE_EXES = new Set(['runsvdir', 'runsv', 'svlogd']);

function treeAnon(t: Tree): number {
  if (t.name.startsWith('tsinit')) return memOf(t.pid1)?.pssAnon ?? NaN;
  let kb = 0;
  for (const pr of processTree(t.pid1)) if (TREE_EXES.has(pr.exe)) kb += memOf(pr.pid)?.pssAnon ?? 0;
  return kb;
}

function startsOf(t: Tree): number {
  try {
    return fs.statSync(t.startsFile).size;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

heading(`soak: ${services} crash-looping services per tree (+ an orphan storm of ${orphans} per second), ${durationS} s`);
const trees: Tree[] = [];
try {
  for (const name of TREES) {
    const t = startTree(name) as Tree;
    t.pid1 = await t.run.pid1();
    trees.push(t);
  }
  for (const t of trees.filter((x) => x.name.startsWith('tsinit'))) {
    await waitUntil(() => /http: listening on [^\s]+:(\d+)/.test(t.run.output()), 60_000, `${t.name}: the HTTP server`, 50);
    t.metricsPort = Number(/http: listening on [^\s]+:(\d+)/.exec(t.run.output())?.[1]);
    await waitUntil(() => fs.existsSync(path.join(t.dir, 'run', 'events.sock')), 60_000, `${t.name}: the events socket`, 50);
    follow(t);
  }
  const t0 = Date.now();
  const header = ['s', ...trees.flatMap((t) => [`${t.name} starts`, t.name.startsWith('tsinit') ? `${t.name} PID 1` : `${t.name} tree`])];
  const rows: string[][] = [header];
  console.log(`\nPss_Anon every ${sampleS} s (tsinit: PID 1; runit: runsvdir + runsv's + svlogd's, PID 1's own in the summary)`);
  for (;;) {
    const atS = (Date.now() - t0) / 1000;
    await Promise.all(trees.map(scrape));
    for (const t of trees) {
      const gone = t.run.proc.exitCode !== null || t.run.proc.signalCode !== null;
      if (gone) throw new Error(`${t.name}: PID 1 ended; output:\n${t.run.output().slice(-4000)}`);
      t.samples.push({ atS, starts: startsOf(t), pid1: memOf(t.pid1)?.pssAnon ?? NaN, tree: treeAnon(t) });
    }
    const row = [atS.toFixed(0), ...trees.flatMap((t) => {
      const s = t.samples[t.samples.length - 1] as Sample;
      return [String(s.starts), fmtKB(s.tree)];
    })];
    rows.push(row);
    console.log(row.join('  '));
    if (atS >= durationS) break;
    await sleep(Math.max(0, Math.min(sampleS * 1000, (durationS - atS) * 1000)));
  }

  console.log('');
  printTable(rows);
  console.log(`\nafter the first ${warmupS} s (growth: last - first sample after it; range: max - min; trend: least squares over restarts)`);
  const summary: string[][] = [['tree', 'anon at warm-up', 'anon at end', 'growth', 'range', 'trend / 1,000 restarts', 'restarts', 'restarts/s', 'PID 1 anon at end', 'events followed', 'scrapes']];
  const results = new Map<TreeName, { growth: number; range: number; trend: number; end: number }>();
  for (const t of trees) {
    const after = t.samples.filter((s) => s.atS >= warmupS && Number.isFinite(s.tree));
    const last = t.samples[t.samples.length - 1] as Sample;
    const first = after[0];
    const restarts = last.starts - services - 1;
    if (!first || after.length < 2) {
      summary.push([t.name, 'n/a', fmtKB(last.tree), 'n/a', 'n/a', 'n/a', String(restarts), (restarts / last.atS).toFixed(0), fmtKB(last.pid1), String(t.followed), String(t.scrapes)]);
      continue;
    }
    const ys = after.map((s) => s.tree);
    const growth = last.tree - first.tree;
    const range = Math.max(...ys) - Math.min(...ys);
    const trend = slope(after.map((s) => s.starts), ys) * 1000;
    results.set(t.name, { growth, range, trend, end: last.tree });
    summary.push([
      t.name,
      fmtKB(first.tree),
      fmtKB(last.tree),
      `${growth >= 0 ? '+' : ''}${fmtKB(growth)}`,
      fmtKB(range),
      `${trend >= 0 ? '+' : ''}${trend.toFixed(1)} kB`,
      String(restarts),
      (restarts / last.atS).toFixed(0),
      fmtKB(last.pid1),
      t.name.startsWith('tsinit') ? String(t.followed) : '-',
      t.name.startsWith('tsinit') ? String(t.scrapes) : '-',
    ]);
  }
  printTable(summary);
  for (const kind of ['plain', 'logged'] as const) {
    const ts = results.get(`tsinit-${kind}`);
    const rn = results.get(`runit-${kind}`);
    if (ts && rn) console.log(`${kind}: tsinit PID 1 vs runit's tree at the end: ${fmtKB(ts.end)} vs ${fmtKB(rn.end)}, ${ratio(ts.end, rn.end)}; range after warm-up ${fmtKB(ts.range)} vs ${fmtKB(rn.range)}`);
    if (ts) goal(`tsinit ${kind}: PID 1's Pss_Anon flat within 5 MB after the first ${warmupS} s over ${durationS} s`, ts.range <= FLAT_KB, `range ${fmtKB(ts.range)}, growth ${fmtKB(ts.growth)}, ${ts.trend.toFixed(1)} kB per 1,000 restarts`);
  }
} finally {
  for (const t of trees) t.follower?.destroy();
  await Promise.all(trees.map((t) => t.run.kill()));
}
