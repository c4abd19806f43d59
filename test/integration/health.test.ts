// `tsinit health [--ready] [SERVICEDIR]` against services run by Debian's
// runsv: it reads only the supervise files, so it works under any runsv.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { debianRunit } from '../../testkit/debian.ts';
import { tsinit } from '../helpers/pidns.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';
import { tool } from '../helpers/tsinit.ts';
import { initialExtStatus } from '../../src/supervise/ext-status.ts';

const deb = debianRunit();
const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-health-marks-'));
const svdir = serviceDir({
  web: { run: 'exec sleep 1000', log: 'exec cat >/dev/null' },
  crashy: { run: `[ -e ${marks}/broken ] && exit 1; exec sleep 1000` },
  idle: { run: 'exec sleep 1000' },
});
fs.writeFileSync(path.join(svdir, 'idle', 'down'), '');
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-health-run-'));
let runsvdir: ChildProcess;

function health(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(tsinit(), ['health', ...args], { env: { PATH: process.env.PATH, TSINIT_RUN_DIR: runDir, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 20000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

before(async () => {
  runsvdir = spawn(deb.runsvdir, [svdir], { stdio: 'ignore', detached: true, env: { PATH: `${deb.bin}:${process.env.PATH}` } });
  await waitFile(path.join(svdir, 'web', 'supervise', 'stat'), 'run\n');
  await waitFile(path.join(svdir, 'web', 'log', 'supervise', 'stat'), 'run\n');
  await waitFile(path.join(svdir, 'crashy', 'supervise', 'stat'), 'run\n');
  await waitFile(path.join(svdir, 'idle', 'supervise', 'stat'), 'down\n');
});

after(async () => {
  runsvdir.kill('SIGHUP');
  await new Promise((r) => (runsvdir.exitCode !== null ? r(null) : runsvdir.once('exit', r)));
  for (const s of ['web', 'crashy', 'idle']) spawnSync(deb.sv, ['exit', path.join(svdir, s)]);
});

test('all wanted-up services up: exit 0, also with --ready (no tsinit record: up is ready); the default directory is TSINIT_SERVICE_DIR', () => {
  assert.deepEqual(health([svdir]), { code: 0, out: '', err: '' });
  assert.deepEqual(health(['--ready', svdir]), { code: 0, out: '', err: '' });
  assert.equal(health([], { TSINIT_SERVICE_DIR: svdir }).code, 0);
  assert.equal(health([], { TSINIT_SERVICE_DIR: path.join(marks, 'nope') }).code, 1);
});

test('a service taken down with sv down is not counted; a failing one is, with one line each', async () => {
  assert.equal(spawnSync(deb.sv, ['-w', '5', 'down', path.join(svdir, 'web')]).status, 0);
  assert.equal(health([svdir]).code, 0);
  assert.equal(spawnSync(deb.sv, ['up', path.join(svdir, 'web')]).status, 0);

  fs.writeFileSync(path.join(marks, 'broken'), '');
  spawnSync(deb.sv, ['term', path.join(svdir, 'crashy')]);
  let r = health([svdir]);
  await until('crashy failing', () => (r = health([svdir])).code === 1);
  assert.match(r.out, /^crashy: (down|finishing), want up\n$/);
  fs.rmSync(path.join(marks, 'broken'));
  await until('crashy back', () => health([svdir]).code === 0);
});

test('tsinit-status.json: unhealthy fails both; not ready fails only --ready', () => {
  const file = path.join(svdir, 'crashy', 'supervise', 'tsinit-status.json');
  try {
    fs.writeFileSync(file, JSON.stringify({ ...initialExtStatus(Date.now()), ready: true, healthy: false, healthFailures: 3 }));
    let r = health([svdir]);
    assert.equal(r.code, 1);
    assert.equal(r.out, 'crashy: unhealthy (3 failed health checks)\n');
    fs.writeFileSync(file, JSON.stringify({ ...initialExtStatus(Date.now()), ready: false, waitingFor: ['db'] }));
    assert.equal(health([svdir]).code, 0);
    r = health(['--ready', svdir]);
    assert.equal(r.code, 1);
    assert.equal(r.out, 'crashy: not ready (waiting for db)\n');
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('a record whose supervisor is gone (a killed tsinit, an earlier boot) is ignored by tsinit health and sv status --json', () => {
  const file = path.join(svdir, 'crashy', 'supervise', 'tsinit-status.json');
  const me = initialExtStatus(0).supervisor as { pid: number; start: number };
  try {
    // crashy runs under Debian's runsv now; the record is from a process that no longer exists.
    const stale = { ...initialExtStatus(Date.now()), ready: false, essential: 'on-failure', lastExit: { code: 7 }, supervisor: { pid: me.pid, start: me.start - 1 } };
    fs.writeFileSync(file, JSON.stringify(stale));
    assert.deepEqual(health(['--ready', svdir]), { code: 0, out: '', err: '' });
    const r = spawnSync(tool('sv'), ['status', '--json', path.join(svdir, 'crashy')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(j.state, 'run');
    for (const k of ['ready', 'essential', 'lastExit']) assert.equal(k in j, false, `${k} from a stale record: ${r.stdout}`);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('a service without a runsv, a shutdown marker, bad arguments', () => {
  const lonely = serviceDir({ alone: { run: 'exec sleep 1000' } });
  fs.mkdirSync(path.join(lonely, 'alone', 'supervise'));
  fs.mkdirSync(path.join(lonely, '.hidden'));
  const r = health([lonely]);
  assert.equal(r.code, 1);
  assert.equal(r.out, 'alone: unable to open supervise/ok: file does not exist\n');

  // a marker about another service directory (another instance) does not count
  fs.writeFileSync(path.join(runDir, 'stopping'), `${JSON.stringify({ pid: 1, time: 0, serviceDir: lonely })}\n`);
  assert.equal(health(['--ready', svdir]).code, 0);
  fs.writeFileSync(path.join(runDir, 'stopping'), `${JSON.stringify({ pid: 1, time: 0, serviceDir: fs.realpathSync(svdir) })}\n`);
  try {
    assert.equal(health([svdir]).code, 0, 'plain health does not care about the drain');
    const d = health(['--ready', svdir]);
    assert.equal(d.code, 1);
    assert.equal(d.out, 'tsinit: shutting down\n');
  } finally {
    fs.rmSync(path.join(runDir, 'stopping'));
  }
  const bad = health(['--bogus']);
  assert.equal(bad.code, 100);
  assert.match(bad.err, /^tsinit health: fatal: unknown argument: --bogus\nusage: tsinit health \[--ready\] \[SERVICEDIR\]\n$/);
});
