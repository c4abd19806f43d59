// svlogd throughput: N lines of W bytes (default 2,000,000 x 80) through
// tsinit's svlogd and Debian's, with -tt (and without timestamps), from a
// file on fd 0 and from a pipe. Prints wall time, MB/s and lines/s.
// Options: --lines N (BENCH_LINES), --width W (BENCH_WIDTH), --runs N (default 3).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { benchTmp, fmtMs, getPrograms, heading, intOption, median, nowMs, printTable, ratio } from './lib.ts';

const lines = intOption('lines', 2_000_000);
const width = intOption('width', 80);
const runs = intOption('runs', 3);
const p = getPrograms();
const ours = path.join(p.tsinitBin, 'svlogd');
const theirs = p.runit.svlogd;

const tmp = benchTmp();
const input = path.join(tmp, 'input');
{
  const line = Buffer.alloc(width, 'x');
  line[width - 1] = 10;
  const block = Buffer.concat(Array.from({ length: 1000 }, () => line));
  const fd = fs.openSync(input, 'w');
  for (let i = 0; i < Math.floor(lines / 1000); i++) fs.writeSync(fd, block);
  for (let i = 0; i < lines % 1000; i++) fs.writeSync(fd, line);
  fs.closeSync(fd);
}
const bytes = fs.statSync(input).size;

function once(bin: string, args: string[], viaPipe: boolean): number {
  const dir = path.join(tmp, `log-${process.hrtime.bigint()}`);
  fs.mkdirSync(dir);
  const t0 = nowMs();
  const r = viaPipe
    ? spawnSync('sh', ['-c', 'cat "$1" | "$2" "$@"', 'sh', input, bin, ...args, dir], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawnSync(bin, [...args, dir], { stdio: [fs.openSync(input, 'r'), 'ignore', 'pipe'] });
  const t = nowMs() - t0;
  if (r.status !== 0) throw new Error(`${bin} exited ${r.status}: ${r.stderr}`);
  fs.rmSync(dir, { recursive: true, force: true });
  return t;
}

heading(`svlogd: ${lines.toLocaleString('en')} lines of ${width} bytes (${(bytes / 1e6).toFixed(0)} MB), median of ${runs}`);
const rows = [['case', 'Debian svlogd', 'tsinit svlogd', 'tsinit MB/s', 'tsinit lines/s', 'time vs Debian']];
for (const [name, args, viaPipe] of [
  ['-tt, file on fd 0', ['-tt'], false],
  ['-tt, pipe', ['-tt'], true],
  ['no stamp, pipe', [], true],
  ['-t, pipe', ['-t'], true],
] as const) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(once(theirs, [...args], viaPipe));
    b.push(once(ours, [...args], viaPipe));
  }
  const ta = median(a);
  const tb = median(b);
  rows.push([name, fmtMs(ta), fmtMs(tb), (bytes / 1e6 / (tb / 1000)).toFixed(0), Math.round(lines / (tb / 1000)).toLocaleString('en'), ratio(tb, ta)]);
}
printTable(rows);
