// tsinit's `sv --json status`: one JSON object per service per line, with
// the facts of supervise/status, checked against the pid files runsv writes.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { debianRunit } from '../../testkit/debian.ts';
import { tool } from '../helpers/tsinit.ts';

const deb = debianRunit();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-json-'));
const svdir = path.join(root, 'sv');
const runsvs: ChildProcess[] = [];

function service(name: string, opts: { down?: boolean; log?: boolean } = {}): void {
  const dir = path.join(svdir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'run'), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
  if (opts.down) fs.writeFileSync(path.join(dir, 'down'), '');
  if (opts.log) {
    fs.mkdirSync(path.join(dir, 'log'));
    fs.writeFileSync(path.join(dir, 'log', 'run'), '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });
  }
}

const stat = (name: string) => {
  try {
    return fs.readFileSync(path.join(svdir, name, 'supervise', 'stat'), 'utf8').trim();
  } catch {
    return '';
  }
};
const pidOf = (name: string) => Number(fs.readFileSync(path.join(svdir, name, 'supervise', 'pid'), 'utf8'));

async function until(ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(25);
  }
}

function sv(...args: string[]): { code: number | null; lines: string[]; stderr: string } {
  const r = spawnSync(tool('sv'), args, { cwd: root, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SVDIR: svdir, SVWAIT: '60' }, encoding: 'utf8' });
  return { code: r.status, lines: r.stdout.split('\n').filter((l) => l !== ''), stderr: r.stderr };
}

before(async () => {
  service('web', { log: true });
  service('idle', { down: true });
  service('gone');
  for (const name of ['web', 'idle', 'gone']) {
    runsvs.push(spawn(deb.runsv, [path.join(svdir, name)], { stdio: 'ignore', detached: true }));
  }
  await until(() => stat('web') === 'run' && stat('web/log') === 'run' && stat('idle') === 'down' && stat('gone') === 'run');
  const gone = runsvs[2] as ChildProcess;
  spawnSync(deb.sv, ['exit', path.join(svdir, 'gone')]);
  if (gone.exitCode === null) await new Promise((r) => gone.once('exit', r));
});

after(async () => {
  spawnSync(deb.sv, ['exit', path.join(svdir, 'web'), path.join(svdir, 'idle')]);
  await Promise.all(runsvs.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  fs.rmSync(root, { recursive: true, force: true });
});

test('running service with a log, and a normally-down one', () => {
  const r = sv('--json', 'status', 'web', 'idle');
  assert.equal(r.code, 0);
  assert.equal(r.lines.length, 2);
  const web = JSON.parse(r.lines[0] as string);
  assert.deepEqual(Object.keys(web), ['name', 'state', 'pid', 'seconds', 'want', 'paused', 'normallyUp', 'termSent', 'log']);
  assert.equal(web.name, 'web');
  assert.equal(web.state, 'run');
  assert.equal(web.pid, pidOf('web'));
  assert.equal(typeof web.seconds, 'number');
  assert.ok(web.seconds >= 0 && web.seconds < 60);
  assert.equal(web.want, 'up');
  assert.equal(web.paused, false);
  assert.equal(web.normallyUp, true);
  assert.equal(web.termSent, false);
  assert.equal(web.log.state, 'run');
  assert.equal(web.log.pid, pidOf('web/log'));
  assert.equal(web.log.want, 'up');
  const idle = JSON.parse(r.lines[1] as string);
  assert.deepEqual(
    { ...idle, seconds: 0 },
    { name: 'idle', state: 'down', pid: null, seconds: 0, want: 'down', paused: false, normallyUp: false, termSent: false, log: null },
  );
});

test('paused and want down are reported', async () => {
  assert.equal(sv('pause', 'web').code, 0);
  await until(() => stat('web') === 'run, paused');
  let web = JSON.parse(sv('--json', 'status', 'web').lines[0] as string);
  assert.equal(web.paused, true);
  assert.equal(sv('cont', 'web').code, 0);
  assert.equal(sv('-v', 'down', 'web/log').code, 0);
  web = JSON.parse(sv('--json', 'status', 'web').lines[0] as string);
  assert.equal(web.paused, false);
  assert.equal(web.log.state, 'down');
  assert.equal(web.log.pid, null);
  assert.equal(web.log.want, 'down');
  assert.equal(sv('-v', 'up', 'web/log').code, 0);
});

test('errors are objects too and count in the exit code', () => {
  const r = sv('--json', 'status', 'gone', 'missing', 'web');
  assert.equal(r.code, 2);
  assert.deepEqual(JSON.parse(r.lines[0] as string), { name: 'gone', error: 'runsv not running' });
  assert.deepEqual(JSON.parse(r.lines[1] as string), {
    name: 'missing',
    error: 'unable to change to service directory: file does not exist',
  });
  assert.equal(JSON.parse(r.lines[2] as string).state, 'run');
});

test('--json goes with status only: before it, or right after it', () => {
  const r = sv('--json', 'up', 'web');
  assert.equal(r.code, 100);
  assert.match(r.stderr, /^usage: sv /);
  // `sv status --json S...` (the spelling users try first) is the same report
  const after = sv('status', '--json', 'web', 'idle');
  assert.equal(after.code, 0);
  assert.deepEqual(after.lines.map((l) => (JSON.parse(l) as { name: string }).name), ['web', 'idle']);
  // later than that it is just a (missing) service name, as with runit
  const late = sv('status', 'web', '--json');
  assert.equal(late.code, 1);
  assert.equal(late.lines[1], 'fail: --json: unable to change to service directory: file does not exist');
});
