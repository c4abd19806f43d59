// tsinit's runsv on real service folders: the supervise/ files and their
// modes, the lock against a second runsv, symlinked supervise dirs, a
// control FIFO that is not a FIFO, usage.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fromSource, tool } from '../helpers/tsinit.ts';
import { cleanup, control, makeService, readStatus, runsvAlive, startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('runsv-files-');
const dirs: string[] = [];
after(() => cleanup(dirs, root));

const runsv = tool('runsv');

/** The files a process holds open (targets of /proc/PID/fd/*). */
function fds(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

function mode(p: string): string {
  const st = fs.lstatSync(p);
  const kind = st.isFIFO() ? 'p' : st.isDirectory() ? 'd' : st.isFile() ? '-' : '?';
  return `${kind}${(st.mode & 0o777).toString(8)}`;
}

test('usage: no argument or two arguments -> "usage: ARGV0 dir" and a blank line, exit 1', () => {
  // runit prints argv[0] as given: here the full path of the executable
  // (the from-source shell wrapper runs `main.ts runsv`, so there it is "runsv")
  const argv0 = fromSource ? 'runsv' : runsv;
  for (const args of [[], ['a', 'b']]) {
    const r = spawnSync(runsv, args, { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `usage: ${argv0} dir\n\n`);
    assert.equal(r.stdout, '');
  }
});

test('a missing directory: fatal message, exit 111', () => {
  const r = spawnSync(runsv, ['nonexistent'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 111);
  assert.equal(r.stderr, 'runsv nonexistent: fatal: unable to change to directory: file does not exist\n');
});

test('a service with an extension file gets tsinit\'s record beside runit\'s files', async () => {
  const dir = makeService(root, 'extended', { run: '#!/bin/sh\nexec sleep 1000\n' });
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'down-signal'), 'QUIT\n');
  const p = startProc(runsv, ['extended'], root);
  try {
    await waitFor('record written', () => fs.existsSync(path.join(dir, 'supervise', 'tsinit-status.json')));
    const names = fs.readdirSync(path.join(dir, 'supervise')).sort();
    assert.deepEqual(names, ['control', 'lock', 'ok', 'pid', 'stat', 'status', 'tsinit-status.json']);
    assert.equal(mode(path.join(dir, 'supervise', 'tsinit-status.json')), '-644');
  } finally {
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  }
});

test('supervise/ and log/supervise/ files with their modes; pid file empty when down', async () => {
  const dir = makeService(root, 'files', { run: '#!/bin/sh\nexec sleep 1000\n', log: '#!/bin/sh\nexec cat >/dev/null\n' });
  dirs.push(dir);
  const old = process.umask(0o022);
  let p;
  try {
    p = startProc(runsv, ['files'], root);
  } finally {
    process.umask(old);
  }
  await waitFor('main running', () => readStatus(dir)?.stateCode === 1 && readStatus(dir, true)?.stateCode === 1);
  for (const sub of ['supervise', 'log/supervise']) {
    const d = path.join(dir, sub);
    assert.equal(mode(d), 'd700');
    const names = fs.readdirSync(d).sort();
    // exactly runit's files: a service without tsinit's extension files gets no tsinit record
    assert.deepEqual(names, ['control', 'lock', 'ok', 'pid', 'stat', 'status']);
    assert.equal(mode(path.join(d, 'control')), 'p600');
    assert.equal(mode(path.join(d, 'ok')), 'p600');
    assert.equal(mode(path.join(d, 'lock')), '-600');
    for (const f of ['pid', 'stat', 'status']) assert.equal(mode(path.join(d, f)), '-644');
    assert.equal(fs.statSync(path.join(d, 'status')).size, 20);
    assert.equal(fs.readFileSync(path.join(d, 'stat'), 'utf8'), 'run\n');
  }
  const st = readStatus(dir);
  assert.ok(st);
  assert.equal(fs.readFileSync(path.join(dir, 'supervise/pid'), 'utf8'), `${st.pid}\n`);
  assert.ok(runsvAlive(dir));

  // a second runsv on the same service: the lock says no
  const second = spawnSync(runsv, ['files'], { cwd: root, encoding: 'utf8' });
  assert.equal(second.status, 111);
  assert.equal(second.stderr, 'runsv files: fatal: unable to lock supervise/lock: temporary failure\n');

  control(dir, 'd');
  await waitFor('down', () => readStatus(dir)?.stateCode === 0);
  assert.equal(fs.readFileSync(path.join(dir, 'supervise/pid'), 'utf8'), '');
  assert.equal(fs.readFileSync(path.join(dir, 'supervise/stat'), 'utf8'), 'down\n');
  assert.equal(readStatus(dir)?.want, 'd');
  control(dir, 'x');
  assert.equal(await p.exited, 0);
  assert.equal(runsvAlive(dir), false);
  assert.equal(p.stderr(), '');
});

test('supervise and log/supervise as symlinks: their targets are created and used', async () => {
  const dir = makeService(root, 'links', { run: '#!/bin/sh\nexec sleep 1000\n', log: '#!/bin/sh\nexec cat >/dev/null\n' });
  dirs.push(dir);
  fs.symlinkSync('foo', path.join(dir, 'supervise'));
  fs.symlinkSync('bar', path.join(dir, 'log', 'supervise'));
  const p = startProc(runsv, ['links'], root);
  await waitFor('running', () => readStatus(dir)?.stateCode === 1 && readStatus(dir, true)?.stateCode === 1);
  assert.equal(mode(path.join(dir, 'foo')), 'd700');
  assert.equal(mode(path.join(dir, 'log', 'bar')), 'd700');
  assert.ok(fs.existsSync(path.join(dir, 'foo', 'status')));
  assert.ok(fs.existsSync(path.join(dir, 'log', 'bar', 'status')));
  control(dir, 'x');
  assert.equal(await p.exited, 0);
});

test('control replaced by a regular file: fatal at start, exit 111', () => {
  const dir = makeService(root, 'badfifo', { run: '#!/bin/sh\nexec sleep 1000\n' });
  fs.mkdirSync(path.join(dir, 'supervise'), { mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'supervise', 'control'), '');
  const r = spawnSync(runsv, ['badfifo'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 111);
  assert.equal(r.stderr, 'runsv badfifo: fatal: supervise/control exists but is not a fifo\n');
  // nothing was started
  assert.equal(readStatus(dir)?.stateCode ?? 0, 0);
});

test('garbage bytes on control are ignored; the service keeps running', async () => {
  const dir = makeService(root, 'garbage', { run: '#!/bin/sh\nexec sleep 1000\n' });
  dirs.push(dir);
  const p = startProc(runsv, ['garbage'], root);
  const st = await waitFor('running', () => {
    const s = readStatus(dir);
    return s?.stateCode === 1 ? s : undefined;
  });
  control(dir, 'zZ\n\u0000?!XyY*');
  control(dir, 'h'); // a real command after the garbage still works
  await new Promise((r) => setTimeout(r, 300));
  const now = readStatus(dir);
  assert.ok(now);
  // sleep has no HUP handler: h killed it, so the pid changed, and it is up again
  await waitFor('restarted after HUP', () => {
    const s = readStatus(dir);
    return s?.stateCode === 1 && s.pid !== st.pid;
  }, 60_000);
  assert.equal(fs.readFileSync(path.join(dir, 'supervise/stat'), 'utf8'), 'run\n');
  control(dir, 'x');
  assert.equal(await p.exited, 0);
  assert.equal(p.stderr(), '');
});

test('runsv exits 0 on SIGTERM after stopping the service', async () => {
  const dir = makeService(root, 'sigterm', { run: '#!/bin/sh\nexec sleep 1000\n', finish: '#!/bin/sh\necho "$@" >finish.args\n' });
  dirs.push(dir);
  const p = startProc(runsv, ['sigterm'], root);
  await waitFor('running', () => readStatus(dir)?.stateCode === 1);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
  assert.equal(fs.readFileSync(path.join(dir, 'finish.args'), 'utf8'), '-1 15\n');
});

test('SIGTERM at the moment supervise/stat says run: runsv stops the service and exits 0 (15 times)', async () => {
  // runsv once installed its SIGTERM handler only after starting the
  // service: a TERM in between killed runsv and orphaned ./run (12 of 40 on a
  // loaded machine).
  for (let i = 0; i < 15; i++) {
    const name = `early-term-${i}`;
    const dir = makeService(root, name, { run: '#!/bin/sh\nexec sleep 1000\n' });
    dirs.push(dir);
    const p = startProc(runsv, [name], root);
    // stat, status and pid are written one after the other: TERM as soon as
    // all say run (polled every turn of the loop, to hit the moment right after)
    let pid = 0;
    for (const end = Date.now() + 60_000; pid === 0; await new Promise((r) => setImmediate(r))) {
      if (Date.now() > end) throw new Error(`round ${i}: ${name} never ran`);
      const st = readStatus(dir);
      let stat = '';
      try {
        stat = fs.readFileSync(path.join(dir, 'supervise', 'stat'), 'utf8');
      } catch {
        // not written yet
      }
      if (stat === 'run\n' && st?.stateCode === 1 && st.pid > 0) pid = st.pid;
    }
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, `round ${i}: runsv did not exit 0 (${p.child.signalCode ?? 'no signal'})`);
    assert.throws(() => process.kill(pid, 0), `round ${i}: ./run (pid ${pid}) left running`);
  }
});

test("./log not a directory / a symlink loop: runit's warnings (same as Debian's), no log service", async () => {
  const { debianRunit } = await import('../../testkit/debian.ts');
  for (const [impl, bin] of [['ts', runsv], ['deb', debianRunit().runsv]] as const) {
    const plain = makeService(root, `${impl}-logfile`, { run: '#!/bin/sh\nexec sleep 1000\n' });
    fs.writeFileSync(path.join(plain, 'log'), '');
    const loop = makeService(root, `${impl}-logloop`, { run: '#!/bin/sh\nexec sleep 1000\n' });
    fs.symlinkSync('log', path.join(loop, 'log'));
    dirs.push(plain, loop);
    const a = startProc(bin, [`${impl}-logfile`], root);
    const b = startProc(bin, [`${impl}-logloop`], root);
    await waitFor('both running', () => readStatus(plain)?.stateCode === 1 && readStatus(loop)?.stateCode === 1);
    assert.equal(fs.existsSync(path.join(plain, 'log', 'supervise')), false);
    control(plain, 'x');
    control(loop, 'x');
    assert.equal(await a.exited, 0);
    assert.equal(await b.exited, 0);
    assert.equal(a.stderr(), `runsv ${impl}-logfile: warning: ./log: not a directory.\n`);
    assert.equal(b.stderr(), `runsv ${impl}-logloop: warning: unable to stat() ./log: : symbolic link loop\n`);
  }
});

test('log/supervise/lock held elsewhere: runsv waits for it (runit blocks in flock), then starts', async () => {
  const dir = makeService(root, 'loglock', { run: '#!/bin/sh\nexec sleep 1000\n', log: '#!/bin/sh\nexec cat >/dev/null\n' });
  dirs.push(dir);
  fs.mkdirSync(path.join(dir, 'log', 'supervise'), { mode: 0o700 });
  // The holder keeps the lock until we release it (no fixed hold time: a slow
  // runsv start on a loaded machine must still find the lock held).
  const release = path.join(root, 'loglock-release');
  const holder = startProc('flock', [path.join(dir, 'log', 'supervise', 'lock'), 'sh', '-c', `echo held; while [ ! -e '${release}' ]; do sleep 0.05; done`], root);
  await waitFor('lock held', () => holder.stdout().includes('held'), 60_000);
  const p = startProc(runsv, ['loglock'], root);
  // runsv has taken supervise/lock and is now trying log/supervise/lock: it
  // holds that file open (the descriptor it polls with flock).
  const logLock = fs.realpathSync(path.join(dir, 'log', 'supervise', 'lock'));
  await waitFor('runsv trying log/supervise/lock', () => fds(p.child.pid ?? 0).includes(logLock), 60_000);
  // main lock taken, nothing else yet: no control FIFO, no status
  assert.ok(fs.existsSync(path.join(dir, 'supervise', 'lock')));
  assert.equal(fs.existsSync(path.join(dir, 'supervise', 'control')), false);
  assert.equal(fs.existsSync(path.join(dir, 'supervise', 'status')), false);
  fs.writeFileSync(release, '');
  assert.equal(await holder.exited, 0);
  await waitFor('running after the lock is free', () => readStatus(dir)?.stateCode === 1 && readStatus(dir, true)?.stateCode === 1);
  control(dir, 'x');
  assert.equal(await p.exited, 0);
  assert.equal(p.stderr(), '');
});
