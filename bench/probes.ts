// Probes against tsinit as PID 1 with many services (issue 10):
//  1. cost of one probe: `tsinit health` (an exec probe: a new process) against
//     `GET /readyz` answered by PID 1, in CPU ms and wall ms; goal: the HTTP
//     probe costs PID 1 under 1 ms of CPU;
//  2. idle PSS of PID 1 with TSINIT_HTTP on against off (goal: at most 2 MB
//     more), and after a first /metrics scrape (prom-client loaded);
//  3. /readyz latency while 10 of the services flood their loggers (goal: p99
//     under 20 ms).
// Options: --services N (BENCH_SERVICES, default 200), --execs N (default 20),
// --requests N (default 1000), --settle MS (default 3000), --rounds N (3):
// boots per configuration for the PSS medians; BENCH_PARTS (cost,pss,flood).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { benchTmp, fmtKB, fmtMs, getPrograms, goal, heading, intOption, memOf, nowMs, percentile, median, printTable, ratio, runPid1, sleep, type Pid1Run } from './lib.ts';

const SERVICES = intOption('services', 200);
const EXECS = intOption('execs', 20);
const REQUESTS = intOption('requests', 1000);
const SETTLE = intOption('settle', 3000);
const ROUNDS = Math.max(1, intOption('rounds', 3));
const FLOODERS = 10;
const p = getPrograms();

function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ 100
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, route: string): Promise<{ status: number; ms: number }> {
  const t0 = nowMs();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: nowMs() - t0 }));
    });
    req.on('error', reject);
  });
}

function serviceTree(n: number, flooders: number): string {
  const dir = path.join(benchTmp(), `sv-${n}-${flooders}-${Date.now()}`);
  fs.mkdirSync(dir);
  for (let i = 0; i < n; i++) {
    const d = path.join(dir, `s${String(i).padStart(3, '0')}`);
    fs.mkdirSync(d);
    const flood = i < flooders;
    fs.writeFileSync(path.join(d, 'run'), flood ? '#!/bin/sh\nexec yes "a log line of a busy service, about sixty bytes long......"\n' : '#!/bin/sh\nexec sleep 100000\n', { mode: 0o755 });
    if (flood) {
      fs.mkdirSync(path.join(d, 'log'));
      // rotated at 1 MB, 2 files kept: the disk is not the bottleneck
      fs.writeFileSync(path.join(d, 'log', 'run'), '#!/bin/sh\nexec svlogd ./main\n', { mode: 0o755 });
      fs.mkdirSync(path.join(d, 'log', 'main'));
      fs.writeFileSync(path.join(d, 'log', 'main', 'config'), 's1000000\nn2\n');
    }
  }
  return dir;
}

async function boot(svdir: string, http: string | null): Promise<{ run: Pid1Run; pid: number }> {
  const env: NodeJS.ProcessEnv = {
    PATH: `${p.tsinitBin}:${process.env.PATH}`,
    TSINIT_RUNIT_DIR: path.join(benchTmp(), 'no-runit'),
    TSINIT_SERVICE_DIR: svdir,
    TSINIT_RUN_DIR: path.join(benchTmp(), `run-${Date.now()}`),
  };
  if (http) env.TSINIT_HTTP = http;
  const run = runPid1([p.tsinit], env);
  const pid = await run.pid1();
  return { run, pid };
}

async function waitHealthy(svdir: string): Promise<void> {
  const t0 = nowMs();
  for (;;) {
    const r = spawnSync(p.tsinit, ['health', svdir], { encoding: 'utf8' });
    if (r.status === 0) return;
    if (nowMs() - t0 > 120000) throw new Error(`services never all up:\n${r.stdout}`);
    await sleep(500);
  }
}

async function probeCost(): Promise<void> {
  heading(`cost of one probe, ${SERVICES} services`);
  const svdir = serviceTree(SERVICES, 0);
  const port = await freePort();
  const { run, pid } = await boot(svdir, `127.0.0.1:${port}`);
  try {
    await waitHealthy(svdir);
    await sleep(SETTLE);
    // exec: CPU of the probe processes, measured by time(1) around a loop of them
    const t = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'sh', '-c', `i=0; while [ $i -lt ${EXECS} ]; do "$0" health "$1" >/dev/null || exit 1; i=$((i+1)); done`, p.tsinit, svdir], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`tsinit health failed: ${t.stderr}`);
    const [wall, user, sys] = (t.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number) as [number, number, number];
    const execCpu = ((user + sys) * 1000) / EXECS;
    const execWall = (wall * 1000) / EXECS;
    // HTTP: PID 1's CPU over many requests, one fresh connection each (as a kubelet)
    for (let i = 0; i < 50; i++) await get(port, '/readyz');
    const c0 = cpuMsOf(pid);
    const lat: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const r = await get(port, '/readyz');
      if (r.status !== 200) throw new Error(`/readyz answered ${r.status}`);
      lat.push(r.ms);
    }
    const httpCpu = (cpuMsOf(pid) - c0) / REQUESTS;
    const httpWall = median(lat);
    printTable([
      ['probe', 'CPU ms / probe', 'wall ms / probe'],
      ['tsinit health (exec)', execCpu.toFixed(1), execWall.toFixed(1)],
      ['GET /readyz (PID 1)', httpCpu.toFixed(3), httpWall.toFixed(2)],
      ['ratio exec / http', ratio(execCpu, httpCpu), ratio(execWall, httpWall)],
    ]);
    goal('GET /readyz costs PID 1 under 1 ms of CPU', httpCpu < 1, `${httpCpu.toFixed(3)} ms with ${SERVICES} services`);
  } finally {
    await run.kill();
  }
}

async function idlePss(): Promise<void> {
  heading(`idle PSS of PID 1, TSINIT_HTTP off / on (median of ${ROUNDS} boots each, alternating)`);
  const svdir = serviceTree(10, 0);
  const samples: Record<string, number[]> = { off: [], on: [], metrics: [] };
  const measure = async (http: boolean): Promise<{ idle: number; metrics?: number }> => {
    const port = await freePort();
    const { run, pid } = await boot(svdir, http ? `127.0.0.1:${port}` : null);
    try {
      await waitHealthy(svdir);
      if (http) await get(port, '/readyz');
      await sleep(SETTLE);
      const m = memOf(pid);
      if (!m) throw new Error('PID 1 gone');
      samples[http ? 'on' : 'off']?.push(m.pss);
      if (!http) return { idle: m.pss };
      await get(port, '/metrics');
      await sleep(SETTLE);
      const m2 = memOf(pid);
      if (!m2) throw new Error('PID 1 gone');
      samples.metrics?.push(m2.pss);
      return { idle: m.pss, metrics: m2.pss };
    } finally {
      await run.kill();
    }
  };
  for (let i = 0; i < ROUNDS; i++) {
    await measure(false);
    await measure(true);
  }
  const off = median(samples.off ?? []);
  const on = median(samples.on ?? []);
  const met = median(samples.metrics ?? []);
  const all = (k: string): string => (samples[k] ?? []).map(fmtKB).join(', ');
  printTable([
    ['PID 1', 'median PSS', 'samples'],
    ['TSINIT_HTTP off', fmtKB(off), all('off')],
    ['TSINIT_HTTP on (after a /readyz)', fmtKB(on), all('on')],
    ['TSINIT_HTTP on, after a /metrics', fmtKB(met), all('metrics')],
  ]);
  console.log(`ratio on / off: ${ratio(on, off)}; a first /metrics adds ${fmtKB(met - on)}`);
  goal('TSINIT_HTTP on costs at most 2 MB of PSS', on - off <= 2048, `${fmtKB(on - off)} more`);
}

async function floodLatency(): Promise<void> {
  heading(`/readyz latency, ${SERVICES} services, ${FLOODERS} flooding their loggers`);
  const svdir = serviceTree(SERVICES, FLOODERS);
  const port = await freePort();
  const { run } = await boot(svdir, `127.0.0.1:${port}`);
  try {
    await waitHealthy(svdir);
    await sleep(SETTLE);
    const lat: number[] = [];
    for (let i = 0; i < REQUESTS; i++) lat.push((await get(port, '/readyz')).ms);
    const p99 = percentile(lat, 99);
    printTable([
      ['requests', 'p50', 'p90', 'p99', 'max'],
      [String(REQUESTS), fmtMs(percentile(lat, 50)), fmtMs(percentile(lat, 90)), fmtMs(p99), fmtMs(Math.max(...lat))],
    ]);
    goal('/readyz p99 under 20 ms while 10 services flood their loggers', p99 < 20, fmtMs(p99));
  } finally {
    await run.kill();
  }
}

const parts = (process.env.BENCH_PARTS ?? 'cost,pss,flood').split(',');
if (parts.includes('cost')) await probeCost();
if (parts.includes('pss')) await idlePss();
if (parts.includes('flood')) await floodLatency();
