// The process limit reached (RLIMIT_NPROC, `ulimit -u`): posix_spawn fails
// with EAGAIN before any child exists. runit's runsv says "unable to fork,
// sleeping", waits 5 s and tries again; it never prints "unable to start" and
// never runs ./finish for a ./run that did not start. Root ignores
// RLIMIT_NPROC, so runsv runs as an otherwise unused uid (setpriv), and the
// limit is lowered on the running runsv with prlimit, after its first start.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { cleanup, control, makeService, readStatus, startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('runsv-nproc-');
const dirs: string[] = [];
after(() => cleanup(dirs, root));
fs.chmodSync(root, 0o755);

/** a uid no other process runs as, so the limit counts only this runsv's tasks */
const uid = 61000 + (process.pid % 1000);

function lines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Set runsv's soft limit as its own uid (lowering and raising the soft limit up to the hard one need no privilege). */
function setNproc(pid: number, soft: string): void {
  execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'prlimit', '--pid', String(pid), `--nproc=${soft}:`]);
}

function softNproc(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max processes'));
  const soft = line?.split(/\s{2,}/)[1];
  assert.ok(soft, `no process limit in /proc/${pid}/limits`);
  return soft;
}

interface Outcome {
  stderr: string[];
  finish: string[];
}

/** One service with ./finish (./run killed: finish cannot fork), one with a log (both killed). */
async function exercise(runsv: string, impl: string): Promise<Record<'fin' | 'logged' | 'ctl', Outcome>> {
  const run = '#!/bin/sh\necho run >>runs\nexec sleep 1000\n';
  const fin = makeService(root, `${impl}-fin`, { run, finish: '#!/bin/sh\necho "$@" >>finish.args\n' });
  const logged = makeService(root, `${impl}-logged`, { run, log: '#!/bin/sh\necho log >>runs\nexec cat >/dev/null\n' });
  const ctl = makeService(root, `${impl}-ctl`, { run, control: { t: '#!/bin/sh\necho t >>t.calls\nexit 1\n' } });
  dirs.push(fin, logged, ctl);
  for (const d of [fin, logged, ctl]) {
    fs.chownSync(d, uid, uid);
    if (fs.existsSync(path.join(d, 'log'))) fs.chownSync(path.join(d, 'log'), uid, uid);
  }
  const start = (name: string) =>
    startProc('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', runsv, name], root);
  const pf = start(`${impl}-fin`);
  const pl = start(`${impl}-logged`);
  const pc = start(`${impl}-ctl`);
  const running = (d: string, log = false) => {
    const s = readStatus(d, log);
    return s && s.stateCode === 1 && s.pid > 0 ? s.pid : undefined;
  };
  const finPid = await waitFor('fin running', () => running(fin));
  const mainPid = await waitFor('logged running', () => running(logged));
  const logPid = await waitFor('log running', () => running(logged, true));
  await waitFor('ctl running', () => running(ctl));
  await waitFor('three first starts', () => lines(path.join(fin, 'runs')).length === 1 && lines(path.join(logged, 'log', 'runs')).length === 1);

  const before = [pf, pl, pc].map((p) => softNproc(p.child.pid ?? 0));
  for (const p of [pf, pl, pc]) setNproc(p.child.pid ?? 0, '1');
  // control/t cannot fork: not handled, so runsv sends TERM itself.
  control(ctl, 'd');
  await waitFor('ctl down', () => readStatus(ctl)?.stateCode === 0 && readStatus(ctl)?.pid === 0);
  assert.deepEqual(lines(path.join(ctl, 't.calls')), []);
  for (const pid of [finPid, mainPid, logPid]) process.kill(pid, 'SIGKILL');
  const failed = (p: typeof pf, n: number) => p.stderr().split('\n').filter((l) => l.includes('unable to fork')).length >= n;
  await waitFor('fork failures reported', () => failed(pf, 1) && failed(pl, 1), 60_000);
  // Still nothing ran meanwhile (the 5 s pause holds the retry back).
  assert.deepEqual(lines(path.join(fin, 'finish.args')), []);
  assert.equal(lines(path.join(fin, 'runs')).length, 1);
  [pf, pl, pc].forEach((p, i) => setNproc(p.child.pid ?? 0, before[i] ?? 'unlimited'));

  await waitFor('fin restarted', () => lines(path.join(fin, 'runs')).length === 2, 60_000);
  await waitFor('logged restarted', () => lines(path.join(logged, 'runs')).length === 2 && lines(path.join(logged, 'log', 'runs')).length === 2, 60_000);
  const out = (p: typeof pf, dir: string): Outcome => ({
    stderr: p.stderr().split('\n').filter(Boolean),
    finish: lines(path.join(dir, 'finish.args')),
  });
  return { fin: out(pf, fin), logged: out(pl, logged), ctl: out(pc, ctl) };
}

test('process limit reached: "unable to fork, sleeping", retried after 5 s, no ./finish for a run that never started', async () => {
  const ours = await exercise(tool('runsv'), 'ts');
  const forkLine = (name: string) => `runsv ${name}: warning: unable to fork, sleeping: temporary failure`;
  // ./finish (after the killed ./run) could not fork: retried, then run once with the real status.
  assert.ok(ours.fin.stderr.length >= 1);
  for (const l of ours.fin.stderr) assert.equal(l, forkLine('ts-fin'));
  assert.deepEqual(ours.fin.finish, ['-1 9']);
  // ./run and log/run could not fork: retried, no fatal line.
  assert.ok(ours.logged.stderr.length >= 1);
  for (const l of ours.logged.stderr) assert.equal(l, forkLine('ts-logged'));

  assert.deepEqual(ours.ctl.stderr, ['runsv ts-ctl: warning: unable to fork for control/t: temporary failure']);

  const theirs = await exercise(debianRunit().runsv, 'deb');
  assert.deepEqual(theirs.ctl.stderr, ['runsv deb-ctl: warning: unable to fork for control/t: temporary failure']);
  for (const l of theirs.fin.stderr) assert.equal(l, forkLine('deb-fin'));
  assert.deepEqual(theirs.fin.finish, ['-1 9']);
  for (const l of theirs.logged.stderr) assert.equal(l, forkLine('deb-logged'));
});
