// What the kubelet does to a pod's container when the pod is deleted: SIGTERM
// to the container's main process, up to terminationGracePeriodSeconds of
// waiting, then SIGKILL. tsinit with TSINIT_SHUTDOWN_TIMEOUT below the grace
// period must be gone, cleanly, before the KILL. Also the
// shareProcessNamespace: true layout, where the pod's "pause" process is PID 1
// and tsinit is an ordinary process that must act as a child subreaper.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit, type Run } from '../helpers/pidns.ts';
import { toolBin } from '../helpers/tsinit.ts';
import { serviceDir as makeServiceDir, waitFile, type ServiceSpec } from '../helpers/services.ts';

const temps: string[] = [];
const runs: Run[] = [];

after(() => {
  for (const r of runs) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}

function serviceDir(services: Record<string, ServiceSpec>): string {
  const dir = makeServiceDir(services, 'tsinit-kubelet-svc-');
  temps.push(dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie still answers kill(0): look at its state
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The kubelet's stop sequence against one process: TERM, then up to
 * graceMs for it to be gone, then KILL. Polls as the kubelet does.
 */
async function kubeletStop(pid: number, graceMs: number): Promise<{ killed: boolean; elapsedMs: number }> {
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  while (Date.now() - t0 < graceMs) {
    if (!alive(pid)) return { killed: false, elapsedMs: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!alive(pid)) return { killed: false, elapsedMs: Date.now() - t0 };
  process.kill(pid, 'SIGKILL');
  return { killed: true, elapsedMs: Date.now() - t0 };
}

function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Host pids of every process below `root` (inclusive), with their /proc state letter. */
function processTree(root: number): Array<{ pid: number; ppid: number; state: string; comm: string }> {
  const all: Array<{ pid: number; ppid: number; state: string; comm: string }> = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      all.push({ pid: Number(e), ppid: Number(ppid), state: state as string, comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // gone
    }
  }
  const keep = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (!keep.has(p.pid) && keep.has(p.ppid)) (keep.add(p.pid), (grew = true));
  }
  return all.filter((p) => keep.has(p.pid));
}

const GRACE_S = 5; // terminationGracePeriodSeconds
const BUDGET_S = 4; // TSINIT_SHUTDOWN_TIMEOUT, below the grace period
const LOAD_SLACK_MS = 30_000;

test('kubelet sequence, tsinit as PID 1: TERM, clean exit 0 with finish scripts and stage 3 before the grace period ends', async (t) => {
  const marks = tempDir('tsinit-kubelet-marks-');
  const svc = serviceDir({
    web: { run: 'echo "web up"; exec sleep 1000', finish: `echo "$1 $2" > ${marks}/web.finish` },
    worker: { run: 'exec sleep 1000', finish: `echo "$1 $2" > ${marks}/worker.finish` },
    stubborn: { run: "trap '' TERM; echo 'stubborn up'; while :; do sleep 0.2; done", finish: `echo "$1 $2" > ${marks}/stubborn.finish` },
  });
  const stages = runitDir({ '3': `echo "stage 3 ran" > ${marks}/stage3` });
  temps.push(stages);
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: stages,
    TSINIT_SERVICE_DIR: svc,
    TSINIT_SHUTDOWN_TIMEOUT: String(BUDGET_S),
    PATH: `${toolBin()}:${process.env.PATH}`,
  });
  runs.push(r);
  await r.waitFor('stubborn up');
  for (const name of ['web', 'worker', 'stubborn']) await waitFile(path.join(svc, name, 'supervise', 'stat'), 'run\n');

  // The container's main process, as the runtime sees it: tsinit (PID 1 inside).
  // The kubelet's grace is stretched by LOAD_SLACK_MS here: on a loaded CI
  // machine the wall clock between our TERM and tsinit's exit also counts
  // scheduling delays that are not tsinit's. That tsinit kept its budget,
  // below the grace period, is read from its own clock ("exit after N ms").
  const stop = await kubeletStop(await r.initPid(), GRACE_S * 1000 + LOAD_SLACK_MS);
  const ex = await r.exit;
  t.diagnostic(`tsinit gone ${stop.elapsedMs} ms after TERM (budget ${BUDGET_S} s, grace ${GRACE_S} s)`);
  assert.equal(stop.killed, false, `the kubelet had to SIGKILL tsinit:\n${r.output()}`);
  assert.equal(ex.code, 0, r.output());
  const took = Number(/exit after (\d+) ms\./.exec(r.output())?.[1] ?? NaN);
  assert.ok(took <= BUDGET_S * 1000 + 500 && took < GRACE_S * 1000, `tsinit's shutdown took ${took} ms by its own clock (budget ${BUDGET_S} s, grace ${GRACE_S} s):\n${r.output()}`);
  assert.match(r.output(), /services not terminated, sending sigkill/);
  assert.equal(fs.readFileSync(path.join(marks, 'web.finish'), 'utf8'), '-1 15\n');
  assert.equal(fs.readFileSync(path.join(marks, 'worker.finish'), 'utf8'), '-1 15\n');
  assert.equal(fs.readFileSync(path.join(marks, 'stage3'), 'utf8'), 'stage 3 ran\n');
});

test('shareProcessNamespace: tsinit below a "pause" PID 1 is a subreaper, reaps orphans, stops cleanly on TERM', async (t) => {
  const marks = tempDir('tsinit-kubelet-marks-');
  const svc = serviceDir({
    // leaves 20 orphans, alive until the test kills them (a fixed 1.5 s life
    // once ran out on a loaded machine before they were counted): they must be
    // re-parented to tsinit, not to PID 1
    spawner: {
      run: `(i=0; while [ $i -lt 20 ]; do sleep 86399 & i=$((i + 1)); done); echo "orphans left"; exec sleep 1000`,
      finish: `echo "$1 $2" > ${marks}/spawner.finish`,
    },
  });
  const stages = runitDir({ '3': `echo "stage 3 ran" > ${marks}/stage3` });
  temps.push(stages);
  // PID 1 plays the pause container: starts tsinit, reports its exit code,
  // then just waits (pause never exits on its own).
  const pause = `${tsinit()} & t=$!; echo "tsinit pid $t"; wait $t; echo "tsinit exited $?"; while :; do sleep 1; done`;
  const r = run(['sh', '-c', pause], {
    TSINIT_RUNIT_DIR: stages,
    TSINIT_SERVICE_DIR: svc,
    TSINIT_SHUTDOWN_TIMEOUT: String(BUDGET_S),
    PATH: `${toolBin()}:${process.env.PATH}`,
  });
  runs.push(r);
  const pid1 = await r.initPid();
  await r.waitFor('orphans left');
  await waitFile(path.join(svc, 'spawner', 'supervise', 'stat'), 'run\n');
  let tree = processTree(pid1);
  const tsinitProc = tree.find((p) => p.ppid === pid1 && p.comm !== 'sleep');
  assert.ok(tsinitProc, `tsinit below PID 1: ${JSON.stringify(tree)}`);
  const sleepers = (): typeof tree => tree.filter((p) => p.comm === 'sleep' && p.ppid === tsinitProc.pid);
  // the run script may not have exec'd its own sleep yet
  for (const end = Date.now() + 60_000; sleepers().length < 21 && Date.now() < end; ) {
    await new Promise((res) => setTimeout(res, 20));
    tree = processTree(pid1);
  }
  const orphans = sleepers();
  // 20 adopted orphans plus the service itself (exec sleep 1000)
  assert.equal(orphans.length, 21, JSON.stringify(tree));
  assert.equal(tree.filter((p) => p.ppid === pid1).length, 1, 'nothing was re-parented to PID 1');

  // Orphans exit; tsinit, not PID 1, reaps them.
  for (const o of orphans) if (readCmdline(o.pid) === 'sleep 86399') process.kill(o.pid, 'SIGTERM');
  const until = Date.now() + 60_000;
  while (processTree(pid1).filter((p) => p.comm === 'sleep' && p.ppid === tsinitProc.pid).length > 1) {
    if (Date.now() > until) throw new Error('orphans did not exit');
    await new Promise((res) => setTimeout(res, 100));
  }
  const zombies = processTree(pid1).filter((p) => p.state === 'Z');
  assert.deepEqual(zombies, [], 'no zombie left in the namespace');

  const stop = await kubeletStop(tsinitProc.pid, GRACE_S * 1000 + LOAD_SLACK_MS);
  t.diagnostic(`tsinit (not PID 1) gone ${stop.elapsedMs} ms after TERM`);
  assert.equal(stop.killed, false, r.output());
  await r.waitFor(/tsinit exited \d+/);
  assert.match(r.output(), /tsinit exited 0\n/);
  assert.equal(fs.readFileSync(path.join(marks, 'spawner.finish'), 'utf8'), '-1 15\n');
  assert.equal(fs.readFileSync(path.join(marks, 'stage3'), 'utf8'), 'stage 3 ran\n');
  // PID 1 (pause) is untouched by tsinit's shutdown: it signals only its own descendants.
  assert.ok(alive(pid1), 'the pause process is still running');
  process.kill(pid1, 'SIGKILL');
  await r.exit;
});
