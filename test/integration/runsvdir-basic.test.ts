// runsvdir as a tool: scanning, pick-up of new and removed services, signals.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fromSource, tool, toolBin } from '../helpers/tsinit.ts';
import { alive, cleanup, makeService, pidOf, readOr, startRunsvdir, statOf, tempDir, waitFor, type Running } from '../helpers/runsvdir.ts';

const tmp: string[] = [];
const running: Running[] = [];
const services: string[] = [];
after(async () => {
  for (const r of running) await cleanup(r, services);
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

function track(r: Running): Running {
  running.push(r);
  return r;
}

test('upstream runsvdir.check: usage line, blank line, exit 1', () => {
  const out = execFileSync('sh', ['-c', 'runsvdir; echo $?'], {
    env: { PATH: `${toolBin()}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // the check script runs with 2>&1; here stdout holds only the exit code
  assert.equal(out, '1\n');
  const both = execFileSync('sh', ['-c', 'runsvdir 2>&1; echo $?'], {
    env: { PATH: `${toolBin()}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
  assert.equal(both, 'usage: runsvdir [-P] dir\n\n1\n');
});

test('-P or -- alone is still a usage error; any other -X becomes the directory', async () => {
  // runit prints argv[0] as given: the full path here (the from-source
  // wrapper runs `main.ts runsvdir`, so there it is "runsvdir")
  const argv0 = fromSource ? 'runsvdir' : tool('runsvdir');
  for (const args of [['-P'], ['--'], ['-Pfoo']]) {
    const r = startRunsvdir(args);
    const { code } = await r.exited;
    assert.equal(code, 1, `runsvdir ${args.join(' ')}`);
    assert.equal(r.stderr(), `usage: ${argv0} [-P] dir\n\n`);
  }
  const cwd = tempDir('runsvdir-x-');
  tmp.push(cwd);
  const r = track(startRunsvdir(['-X'], { cwd }));
  await waitFor('the warning about -X', () => r.stderr().includes('\n'));
  assert.equal(r.stderr().split('\n')[0], 'runsvdir -X: warning: unable to stat -X: file does not exist');
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('scans: services reach run, dot entries and files ignored, dangling symlink warned', async () => {
  const sd = tempDir('runsvdir-scan-');
  tmp.push(sd);
  const a = makeService(sd, 'a', 'exec sleep 1000');
  const b = makeService(sd, 'b', 'exec sleep 1000');
  const hidden = makeService(sd, '.hidden', 'exec sleep 1000');
  fs.writeFileSync(path.join(sd, 'file'), 'x');
  fs.symlinkSync('/nonexistent/target', path.join(sd, 'dangling'));
  services.push(a, b);
  const r = track(startRunsvdir([sd]));
  await waitFor('a and b running', () => statOf(a) === 'run' && statOf(b) === 'run');
  await waitFor('the dangling warning', () => r.stderr().includes('dangling'));
  assert.ok(r.stderr().split('\n').includes(`runsvdir ${sd}: warning: unable to stat dangling: file does not exist`));
  assert.equal(fs.existsSync(path.join(hidden, 'supervise')), false, '.hidden is not a service');
  assert.equal(fs.existsSync(path.join(sd, 'file')), true);
  assert.ok(alive(pidOf(a)) && alive(pidOf(b)));

  // `x` to a runsv (sv exit): runsvdir starts it again at its next scan.
  const before = pidOf(a);
  fs.writeFileSync(path.join(a, 'supervise', 'control'), 'x');
  await waitFor('a restarted with a new pid', () => statOf(a) === 'run' && pidOf(a) !== before && pidOf(a) !== 0 && pidOf(a), 60_000);
  assert.equal(alive(before), false);

  r.child.kill('SIGTERM');
  const { code } = await r.exited;
  assert.equal(code, 0);
  // tsinit stops its services on SIGTERM (runit would leave runsv's running)
  assert.equal(statOf(a), 'down');
  assert.equal(statOf(b), 'down');
  assert.equal(alive(pidOf(b) || before), false);
});

test('a new service is picked up within about a second; a removed one is stopped, finish runs', async () => {
  const sd = tempDir('runsvdir-pickup-');
  const staging = tempDir('runsvdir-staging-');
  tmp.push(sd, staging);
  const keep = makeService(sd, 'keep', 'exec sleep 1000');
  services.push(keep);
  const r = track(startRunsvdir([sd]));
  await waitFor('keep running', () => statOf(keep) === 'run');

  // Debian's way (update-service): the service lives elsewhere, a symlink
  // in the service directory enables it, removing the link disables it.
  const marker = path.join(staging, 'finished');
  const real = makeService(staging, 'new', 'exec sleep 1000', `echo "$1 $2" > '${marker}'`);
  services.push(real);
  const link = path.join(sd, 'new');
  const t0 = Date.now();
  fs.symlinkSync(real, link);
  await waitFor('new running', () => statOf(real) === 'run', 60_000, 10);
  const pickup = Date.now() - t0;
  console.log(`# new service running ${pickup} ms after it appeared`);
  assert.ok(pickup < 3000, `picked up in ${pickup} ms, well before runsvdir's 5 s check`);

  const pid = pidOf(real);
  assert.ok(alive(pid));
  const t1 = Date.now();
  fs.unlinkSync(link);
  await waitFor('the removed service stopped', () => !alive(pid) && readOr(marker) !== '', 60_000, 10);
  console.log(`# removed service stopped ${Date.now() - t1} ms after it disappeared`);
  assert.equal(readOr(marker), '-1 15\n', 'finish saw run killed by TERM');
  const gone = real;
  await waitFor('removed service recorded down', () => statOf(gone) === 'down');
  assert.equal(statOf(keep), 'run', 'the other service is untouched');
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('SIGALRM forces a rescan and writes .forced-rescan (TAI64N label, 25 bytes)', async () => {
  const sd = tempDir('runsvdir-alrm-');
  tmp.push(sd);
  const a = makeService(sd, 'a', 'exec sleep 1000');
  services.push(a);
  const r = track(startRunsvdir([sd]));
  await waitFor('a running', () => statOf(a) === 'run');
  const file = path.join(sd, '.forced-rescan');
  assert.equal(fs.existsSync(file), false, 'only a forced rescan writes it');
  const before = Math.floor(Date.now() / 1000);
  r.child.kill('SIGALRM');
  const label = await waitFor('.forced-rescan', () => readOr(file) || undefined);
  assert.equal(label.length, 25);
  assert.match(label, /^@4[0-9a-f]{23}$/);
  const sec = Number(BigInt(`0x${label.slice(1, 17)}`) - 4611686018427387914n);
  assert.ok(Math.abs(sec - before) <= 2, `label time ${sec} vs now ${before}`);
  assert.equal(fs.statSync(file).mode & 0o777, 0o644 & ~process.umask());
  assert.equal(statOf(a), 'run', 'the rescan leaves running services alone');
  assert.equal(r.child.exitCode, null, 'SIGALRM does not end runsvdir');
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('SIGHUP: every service is stopped, exit 111', async () => {
  const sd = tempDir('runsvdir-hup-');
  tmp.push(sd);
  const a = makeService(sd, 'a', 'exec sleep 1000');
  const b = makeService(sd, 'b', 'exec sleep 1000');
  services.push(a, b);
  const r = track(startRunsvdir([sd]));
  await waitFor('a and b running', () => statOf(a) === 'run' && statOf(b) === 'run');
  const pids = [pidOf(a), pidOf(b)];
  r.child.kill('SIGHUP');
  const { code } = await r.exited;
  assert.equal(code, 111);
  for (const pid of pids) assert.equal(alive(pid), false);
});

test('log argument shorter than seven characters: two warnings, runsvdir goes on', async () => {
  const sd = tempDir('runsvdir-shortlog-');
  tmp.push(sd);
  const r = track(startRunsvdir([sd, 'log: ']));
  await waitFor('both warnings', () => r.stderr().split('\n').length >= 3);
  assert.equal(
    r.stderr(),
    `runsvdir ${sd}: warning: log must have at least seven characters.\nrunsvdir ${sd}: warning: log service disabled.\n`,
  );
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('a TERM sent the moment the first warning appears ends runsvdir by its handler (exit 0), every time', async () => {
  const sd = tempDir('runsvdir-earlyterm-');
  tmp.push(sd);
  for (let i = 0; i < 20; i++) {
    const r = track(startRunsvdir([sd, 'log: ']));
    await waitFor('the first warning', () => r.stderr().includes('warning:'));
    r.child.kill('SIGTERM');
    const st = await r.exited;
    assert.equal(st.code, 0, `run ${i}: ended by ${JSON.stringify(st)}`);
  }
});

test('log argument: service stderr scrolls through the process title', async () => {
  const sd = tempDir('runsvdir-title-');
  tmp.push(sd);
  const a = makeService(sd, 'a', 'echo hello-from-a >&2\nexec sleep 1000');
  services.push(a);
  const log = `log: ${'.'.repeat(60)}`;
  const r = track(startRunsvdir([sd, log]));
  const pid = r.child.pid ?? 0;
  const title = await waitFor('the title to show a\'s stderr', () => {
    const t = readOr(`/proc/${pid}/cmdline`);
    return t.includes('hello-from-a') ? t : undefined;
  });
  // the window keeps its size: "log: " + the last 60 bytes written to stderr
  const tail = title.slice(title.indexOf('log: '));
  assert.match(tail, /^log: \.+hello-from-a\n/);
  assert.equal(r.stderr(), '', 'stderr now goes to the title, not the caller');
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('-P: runsvdir leads its own session, and each service one of its own (runit: each runsv)', async () => {
  const sd = tempDir('runsvdir-sess-');
  tmp.push(sd);
  const a = makeService(sd, 'a', 'exec sleep 1000');
  services.push(a);
  const r = track(startRunsvdir(['-P', sd]));
  await waitFor('a running', () => statOf(a) === 'run');
  const pid = r.child.pid ?? 0;
  const sid = (p: number): number => Number(readOr(`/proc/${p}/stat`).replace(/^.*\) /, '').split(' ')[3]);
  assert.equal(sid(pid), pid);
  assert.equal(sid(pidOf(a)), pidOf(a));
  assert.notEqual(sid(process.pid), pid);
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('SIGTERM waits for services to stop; a second SIGTERM leaves at once', async () => {
  const sd = tempDir('runsvdir-stubborn-');
  tmp.push(sd);
  // ./trapped tells that TERM is ignored: `run` in supervise/stat comes
  // before the trap line has run, and a loaded machine can deliver TERM in between.
  const a = makeService(sd, 'a', "trap '' TERM\n: >trapped\nexec sleep 1000");
  services.push(a);
  const r = track(startRunsvdir([sd]));
  await waitFor('a running with TERM ignored', () => statOf(a) === 'run' && fs.existsSync(path.join(a, 'trapped')));
  const pid = pidOf(a);
  r.child.kill('SIGTERM');
  // the first SIGTERM has reached the service (runsv sent TERM), which ignores it
  await waitFor('TERM sent to a', () => /got TERM/.test(statOf(a)));
  assert.equal(r.child.exitCode, null, 'still waiting for a, which ignores TERM');
  assert.ok(alive(pid));
  r.child.kill('SIGTERM');
  const { code } = await r.exited;
  assert.equal(code, 0);
  assert.ok(alive(pid), 'the stubborn service was left behind (cleaned up by the test)');
  process.kill(pid, 'SIGKILL');
});

test('the directory itself replaced (runsvchdir switching `current`): the new set of services is taken', async () => {
  const root = tempDir('runsvdir-chdir-');
  tmp.push(root);
  const sv = path.join(root, 'sv');
  const common = makeService(sv, 'common', 'exec sleep 1000');
  const only1 = makeService(sv, 'only1', 'exec sleep 1000');
  const only2 = makeService(sv, 'only2', 'exec sleep 1000');
  services.push(common, only1, only2);
  for (const [level, names] of [['rl1', ['common', 'only1']], ['rl2', ['common', 'only2']]] as const) {
    fs.mkdirSync(path.join(root, level));
    for (const n of names) fs.symlinkSync(path.join(sv, n), path.join(root, level, n));
  }
  const current = path.join(root, 'current');
  fs.symlinkSync('rl1', current);
  const r = track(startRunsvdir([current]));
  await waitFor('rl1 running', () => statOf(common) === 'run' && statOf(only1) === 'run');
  const commonPid = pidOf(common);
  const only1Pid = pidOf(only1);
  fs.symlinkSync('rl2', `${current}.new`);
  fs.renameSync(`${current}.new`, current);
  await waitFor('rl2 running, only1 stopped', () => statOf(only2) === 'run' && statOf(only1) === 'down', 60_000, 50);
  assert.equal(alive(only1Pid), false);
  assert.equal(pidOf(common), commonPid, 'a service in both levels (same dev/ino) keeps running');
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
});

test('a broken service directory does not stop the others; runsv\'s fatal line is shown, runsvdir goes on', async () => {
  const sd = tempDir('runsvdir-broken-');
  tmp.push(sd);
  const good = makeService(sd, 'good', 'exec sleep 1000');
  const broken = makeService(sd, 'broken', 'exec sleep 1000');
  fs.writeFileSync(path.join(broken, 'supervise'), 'not a directory');
  services.push(good);
  const r = track(startRunsvdir([sd]));
  await waitFor('good running', () => statOf(good) === 'run');
  await waitFor('the fatal line', () => r.stderr().includes('\n'));
  assert.equal(r.stderr().split('\n')[0], 'runsv broken: fatal: unable to open supervise/lock: not a directory');
  assert.equal(r.child.exitCode, null);
  r.child.kill('SIGTERM');
  assert.equal((await r.exited).code, 0);
  assert.equal(statOf(good), 'down');
});
