// PID 1 serves sv, tsinit check and tsinit health in-process: over 500
// services none of them may do the whole list in one event-loop turn. Each
// tool awaits ctx.nextTurn every few services (util/pace.ts); the test's
// nextTurn counts the turns and what was written between two of them. No
// timing: counts only.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext, ToolMain } from '../../src/tool.ts';
import { main as sv } from '../../src/sv/main.ts';
import { main as check } from '../../src/check/main.ts';
import { main as health } from '../../src/observe/health-main.ts';
import { PACE_MAX_ITEMS } from '../../src/util/pace.ts';
import { runningStatus } from '../helpers/fake-service.ts';

const N = 500;
const names = Array.from({ length: N }, (_, i) => `s${String(i).padStart(3, '0')}`);

/** N services as running runsvs leave them (status record, ok FIFO held open here), each with a run script. */
function fixture(t: { after(fn: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-turns-'));
  const svdir = path.join(root, 'service');
  const status = runningStatus(process.pid);
  for (const n of names) {
    fs.mkdirSync(path.join(svdir, n, 'supervise'), { recursive: true });
    fs.writeFileSync(path.join(svdir, n, 'run'), '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
    fs.writeFileSync(path.join(svdir, n, 'supervise', 'status'), status);
  }
  const oks = names.map((n) => path.join(svdir, n, 'supervise', 'ok'));
  execFileSync('mkfifo', ['-m', '600', ...oks]);
  const fds = oks.map((p) => fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  t.after(() => {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(root, { recursive: true, force: true });
  });
  return svdir;
}

interface Run {
  code: number;
  out: string;
  err: string;
  /** nextTurn calls */
  turns: number;
  /** the most output lines written within one turn */
  maxLinesPerTurn: number;
}

async function run(tool: ToolMain, argv0: string, args: string[], svdir: string): Promise<Run> {
  let out = '';
  let err = '';
  const lines = (): number => out.split('\n').length - 1;
  let turns = 0;
  let mark = 0;
  let maxLinesPerTurn = 0;
  const ctx: ToolContext = {
    argv0, args, env: { SVDIR: svdir, TSINIT_SERVICE_DIR: svdir, PATH: '/usr/bin:/bin' }, cwd: path.dirname(svdir),
    stdin: -1, stdout: -1, stderr: -1, pid: process.pid, uid: 0, gid: 0,
    write: (stream, text) => {
      if (stream === 1) out += String(text);
      else err += String(text);
    },
    nextTurn: () => {
      turns++;
      maxLinesPerTurn = Math.max(maxLinesPerTurn, lines() - mark);
      mark = lines();
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
  const code = (await tool(ctx)) as number;
  maxLinesPerTurn = Math.max(maxLinesPerTurn, lines() - mark);
  return { code, out, err, turns, maxLinesPerTurn };
}

test('sv status over 500 services: a few services per turn, every line in order', async (t) => {
  const svdir = fixture(t);
  const r = await run(sv, 'sv', ['status', ...names], svdir);
  assert.equal(r.code, 0, r.err);
  const got = r.out.split('\n').slice(0, -1);
  assert.equal(got.length, N);
  got.forEach((l, i) => assert.match(l, new RegExp(`^run: ${names[i]}: \\(pid ${process.pid}\\) \\d+s$`)));
  assert.ok(r.maxLinesPerTurn <= PACE_MAX_ITEMS, `${r.maxLinesPerTurn} services in one turn`);
  assert.ok(r.turns >= Math.floor(N / PACE_MAX_ITEMS) - 1, `${r.turns} turns`);
});

test('sv --json status over 500 services: a few services per turn', async (t) => {
  const svdir = fixture(t);
  const r = await run(sv, 'sv', ['--json', 'status', ...names], svdir);
  assert.equal(r.code, 0, r.err);
  const got = r.out.split('\n').slice(0, -1).map((l) => (JSON.parse(l) as { name: string }).name);
  assert.deepEqual(got, names);
  assert.ok(r.maxLinesPerTurn <= PACE_MAX_ITEMS, `${r.maxLinesPerTurn} services in one turn`);
});

test('sv check over 500 services (its waiting loop): a few services per turn', async (t) => {
  const svdir = fixture(t);
  const r = await run(sv, 'sv', ['check', ...names], svdir);
  assert.equal(r.code, 0, r.err);
  const got = r.out.split('\n').slice(0, -1);
  assert.equal(got.length, N);
  got.forEach((l, i) => assert.ok(l.startsWith(`ok: run: ${names[i]}: `), l));
  assert.ok(r.maxLinesPerTurn <= PACE_MAX_ITEMS, `${r.maxLinesPerTurn} services in one turn`);
});

test('sv down over 500 services (no waiting): the control loop too is paced', async (t) => {
  const svdir = fixture(t);
  // `d` to a service wanted up: sv writes it into supervise/control; no FIFO
  // reader there, so each one fails with a line: one line per service
  const r = await run(sv, 'sv', ['down', ...names], svdir);
  assert.equal(r.out.split('\n').length - 1, N, r.out.slice(0, 200));
  assert.ok(r.maxLinesPerTurn <= PACE_MAX_ITEMS, `${r.maxLinesPerTurn} services in one turn`);
});

test('tsinit check over 500 services: the listing and the lints take many turns', async (t) => {
  const svdir = fixture(t);
  const r = await run(check, 'check', ['--json'], svdir);
  const report = JSON.parse(r.out) as { services: string[] };
  assert.deepEqual(report.services, names);
  // every service is listed (a stat) and linted, each at most PACE_MAX_ITEMS per turn
  assert.ok(r.turns >= (2 * N) / PACE_MAX_ITEMS - 2, `${r.turns} turns for ${N} services`);
});

test('tsinit check of one service with 500 dependencies: its dependencies are linted a few per turn', async (t) => {
  const svdir = fixture(t);
  fs.mkdirSync(path.join(svdir, 's000', 'dependencies.d'));
  for (const n of names.slice(1)) fs.symlinkSync(`../../${n}`, path.join(svdir, 's000', 'dependencies.d', n));
  const r = await run(check, 'check', ['--json', path.join(svdir, 's000')], svdir);
  const report = JSON.parse(r.out) as { services: string[]; only: string };
  assert.equal(report.only, 's000');
  assert.equal(report.services.length, N);
  assert.ok(r.turns >= (2 * N) / PACE_MAX_ITEMS - 2, `${r.turns} turns for ${N} services`);
});

test('tsinit health over 500 services: many turns, one line per failing service in order', async (t) => {
  const svdir = fixture(t);
  // want up but down: each one fails
  const down = runningStatus(0);
  for (const n of names) fs.writeFileSync(path.join(svdir, n, 'supervise', 'status'), down);
  const r = await run(health, 'health', [], svdir);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out.split('\n').slice(0, -1), names.map((n) => `${n}: down, want up`));
  assert.ok(r.turns >= (2 * N) / PACE_MAX_ITEMS - 2, `${r.turns} turns for ${N} services`);
});

test('without ctx.nextTurn (the default): an immediate queued before a 500-service check runs long before its end', async (t) => {
  const svdir = fixture(t);
  let ticks = 0;
  let ticking = true;
  const tick = (): void => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  let out = '';
  const code = await check({
    argv0: 'check', args: ['--json', svdir], env: { PATH: '/usr/bin:/bin' }, cwd: '/',
    stdin: -1, stdout: -1, stderr: -1, pid: process.pid, uid: 0, gid: 0,
    write: (_s, text) => void (out += String(text)),
  });
  ticking = false;
  assert.equal((JSON.parse(out) as { services: string[] }).services.length, N);
  assert.ok(code === 0 || code === 2);
  assert.ok(ticks >= N / PACE_MAX_ITEMS, `${ticks} turns of the event loop during the check`);
});
