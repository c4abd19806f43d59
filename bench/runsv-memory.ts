// Memory per service of the in-process runsv: N services (each with a log
// service) started with startRunsv inside this one process, then the growth
// of V8 heap and of RSS divided by N. Goal: < 100 KB per service.
// Options: --services N (BENCH_SERVICES, default 200), --settle MS (default 2000).
// Measures and prints; asserts nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reaper } from '../src/process/reaper.ts';
import { startRunsv, type RunsvHandle } from '../src/supervise/runsv.ts';
import { intOption } from './lib.ts';

const N = intOption('services', 200);
const settle = intOption('settle', 2000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-runsv-mem-'));

function mem(): { heap: number; rss: number } {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function statusState(dir: string): number | undefined {
  try {
    return fs.readFileSync(path.join(dir, 'status'))[19];
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  reaper.start();
  const dirs: string[] = [];
  for (let i = 0; i < N; i++) {
    const dir = path.join(root, `s${i}`);
    fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'run'), '#!/bin/sh\nexec sleep 100000\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'log', 'run'), '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
    dirs.push(dir);
  }
  await new Promise((r) => setTimeout(r, 200));
  const before = mem();
  const handles: RunsvHandle[] = dirs.map((d, i) => startRunsv(d, { name: `runsv s${i}` }));
  for (;;) {
    if (dirs.every((d) => statusState(path.join(d, 'supervise')) === 1 && statusState(path.join(d, 'log', 'supervise')) === 1)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, settle));
  const afterStart = mem();
  const perHeap = (afterStart.heap - before.heap) / N / 1024;
  const perRss = (afterStart.rss - before.rss) / N / 1024;
  console.log(`services: ${N} (each with a log service), gc exposed: ${typeof globalThis.gc === 'function'}`);
  console.log(`heap per service: ${perHeap.toFixed(1)} KiB`);
  console.log(`RSS per service:  ${perRss.toFixed(1)} KiB   (goal < 100 KB)`);
  for (const h of handles) h.terminate();
  await Promise.all(handles.map((h) => h.done));
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
