// tsinit (not PID 1) when no process can be created: its stage 1 script
// lowers tsinit's own RLIMIT_NPROC soft limit to 1 (same uid: no privilege
// needed; root ignores the limit, so tsinit runs as an unused uid). The next
// spawn fails with EAGAIN: runit's "unable to fork ... pausing" / "sleeping",
// another try every 5 s, and once the test raises the limit again the stage
// or command starts. Before the fix this was "unable to start child" /
// "unable to run" and a failed stage or a 126 exit.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('init-fork-');
fs.chmodSync(root, 0o755);
const uid = 62000 + (process.pid % 1000);
const started: Array<ReturnType<typeof startProc>> = [];
after(async () => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

function script(file: string, body: string): void {
  fs.writeFileSync(file, `#!/bin/sh\n${body}`, { mode: 0o755 });
}

/** soft RLIMIT_NPROC of pid, as /proc shows it */
function softNproc(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max processes'));
  const soft = line?.split(/\s{2,}/)[1];
  assert.ok(soft);
  return soft;
}

function asUid(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof startProc> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const p = startProc('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'env', ...envArgs, cmd, ...args], cwd);
  started.push(p);
  return p;
}

/** A runit dir whose stage 1 records tsinit's limit in ./limit, then lowers it to 1. */
function runitDir(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  script(path.join(dir, '1'), `grep 'Max processes' /proc/$PPID/limits | awk '{print $3}' >${dir}/limit\nexec prlimit --pid $PPID --nproc=1:\n`);
  fs.chownSync(dir, uid, uid);
  return dir;
}

function restore(tsinitPid: number, dir: string): void {
  const soft = fs.readFileSync(path.join(dir, 'limit'), 'utf8').trim();
  execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'prlimit', '--pid', String(tsinitPid), `--nproc=${soft}:`]);
}

test('command mode: the command cannot be forked: warned, retried every 5 s, then run', async () => {
  const dir = runitDir('cmd');
  const p = asUid(tool('tsinit'), ['--', 'sh', '-c', 'echo ran; exit 7'], root, { TSINIT_RUNIT_DIR: dir });
  const pid = p.child.pid ?? 0;
  await waitFor('the fork failure', () => p.stderr().includes('unable to fork for sh, sleeping: temporary failure'), 60_000);
  assert.equal(softNproc(pid), '1');
  assert.doesNotMatch(p.stderr(), /unable to run/);
  restore(pid, dir);
  assert.equal(await p.exited, 7, p.stderr());
  assert.equal(p.stdout(), 'ran\n');
});

test('stage mode: stage 2 cannot be forked: "unable to fork ... pausing", retried, then run', async () => {
  const dir = runitDir('stages');
  script(path.join(dir, '2'), `echo stage2 >${dir}/ran\nexit 0\n`);
  const p = asUid(tool('tsinit'), [], root, { TSINIT_RUNIT_DIR: dir, TSINIT_SERVICE_DIR: path.join(root, 'none') });
  const pid = p.child.pid ?? 0;
  await waitFor('the fork failure', () => p.stderr().includes(`unable to fork for "${dir}/2" pausing: temporary failure`), 60_000);
  assert.equal(fs.existsSync(path.join(dir, 'ran')), false);
  assert.doesNotMatch(p.stderr(), /unable to start child/);
  restore(pid, dir);
  await waitFor('stage 2 ran', () => fs.existsSync(path.join(dir, 'ran')), 60_000);
  assert.equal(await p.exited, 0, p.stderr());
});
