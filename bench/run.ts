// Runs every benchmark in bench/ one after another, each in its own Node
// process (its own temp dir and cleanup), with its modest defaults.
// Scale them with their options through the environment (BENCH_RUNS,
// BENCH_ORPHANS, BENCH_SIZES, BENCH_SETTLE, BENCH_LINES, ...: see the header
// of each file). `--only a,b` / `--skip a,b` pick benchmarks by file name
// without .ts. A failing benchmark is reported and the others still run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { only: { type: 'string' }, skip: { type: 'string' } } });
const pick = (v: string | undefined): Set<string> | undefined => (v ? new Set(v.split(',').map((s) => s.trim().replace(/\.ts$/, ''))) : undefined);
const only = pick(values.only);
const skip = pick(values.skip) ?? new Set<string>();

// The order puts the quick ones first.
const preferred = ['startup', 'idle-pss', 'orphans', 'supervision', 'tree', 'runsv-memory', 'svlogd-throughput'];
const dir = import.meta.dirname;
const found = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'lib.ts' && f !== 'run.ts')
  .map((f) => f.slice(0, -3));
const names = [...preferred.filter((n) => found.includes(n)), ...found.filter((n) => !preferred.includes(n)).sort()].filter((n) => (!only || only.has(n)) && !skip.has(n));
if (only) for (const n of only) if (!found.includes(n)) console.error(`bench: no benchmark ${n} (have: ${found.join(', ')})`);

const results: Array<{ name: string; ok: boolean; seconds: number }> = [];
for (const name of names) {
  console.log(`\n######## ${name}`);
  const t0 = Date.now();
  // process.execPath is Node 24 (npm run and npx put it first); --expose-gc for benchmarks that want it.
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(dir, `${name}.ts`)], { stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  results.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  if (!ok) console.log(`bench: ${name} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`})`);
}

console.log('\n######## summary');
for (const r of results) console.log(`${r.ok ? 'ok    ' : 'FAILED'}  ${r.name}  ${r.seconds.toFixed(1)} s`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
