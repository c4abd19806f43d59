// In-process logging: a log/run that is the usual svlogd one-liner runs
// inside tsinit, with the files svlogd would write, sv still driving it, and
// no process of its own. Also TSINIT_LOG_PREFIX for services without log/.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { tool, toolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function script(file: string, body: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const read = (f: string): string => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

function sv(...args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(tool('sv'), args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout + r.stderr };
}

test('50 services with log services add no process beyond the services themselves', { timeout: 600_000 }, async () => {
  const svc = tmp('tsinit-inlog-');
  for (let i = 0; i < 50; i++) {
    script(path.join(svc, `s${i}`, 'run'), `echo "s${i} says hello"; exec sleep 1000`);
    script(path.join(svc, `s${i}`, 'log', 'run'), 'exec svlogd -tt ./main');
    fs.mkdirSync(path.join(svc, `s${i}`, 'log', 'main'));
  }
  const stages = runitDir({
    '3': 'echo "processes at stage 3: $(ls -d /proc/[0-9]* | wc -l)"',
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: stages, TSINIT_SERVICE_DIR: svc, PATH: `${toolBin()}:${process.env.PATH}` });
  for (let i = 0; i < 50; i++) {
    await until(() => read(path.join(svc, `s${i}`, 'log', 'main', 'current')).includes(`s${i} says hello`), `s${i} logged`);
  }
  const init = await r.initPid();
  // Every process of the namespace: tsinit and the 50 sleeps, nothing else.
  const inNs = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readlinkSync(`/proc/${p}/ns/pid`) === fs.readlinkSync(`/proc/${init}/ns/pid`);
    } catch {
      return false;
    }
  });
  const comms = inNs.map((p) => read(`/proc/${p}/comm`).trim());
  assert.equal(comms.filter((c) => c === 'sleep').length, 50, comms.join(' '));
  assert.equal(inNs.length, 51, `processes: ${comms.join(' ')}`);
  // sv sees the log services running, with tsinit's pid.
  const st = sv('status', path.join(svc, 's7'));
  assert.match(st.stdout, /^run: .*\/s7: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\n$/);
  // Its pid is tsinit's own: PID 1 inside the namespace.
  assert.equal(read(path.join(svc, 's7', 'log', 'supervise', 'pid')), '1\n');
  void init;
  await r.signal('SIGTERM');
  assert.equal((await r.exit).code, 0, r.output());
  // Closed cleanly: current has its owner-execute bit, as svlogd leaves it.
  assert.equal(fs.statSync(path.join(svc, 's3', 'log', 'main', 'current')).mode & 0o777, 0o744);
});

test('the same files as Debian svlogd for the same service output and config', { timeout: 600_000 }, async () => {
  const deb = debianRunit();
  const lines = Array.from({ length: 60 }, (_, i) => `${i % 3 === 0 ? 'noise' : 'keep'} line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`);
  const results: Record<string, Record<string, string>> = {};
  for (const mode of ['inprocess', 'debian'] as const) {
    const svc = tmp(`tsinit-cmp-${mode}-`);
    const dataFile = path.join(svc, 'data');
    fs.writeFileSync(dataFile, `${lines.join('\n')}\n`);
    script(path.join(svc, 'web', 'run'), `cat ${dataFile}; echo done; exec sleep 1000`);
    script(path.join(svc, 'web', 'log', 'run'), 'exec svlogd -tt ./main');
    fs.mkdirSync(path.join(svc, 'web', 'log', 'main'));
    fs.writeFileSync(path.join(svc, 'web', 'log', 'main', 'config'), 's3000\nn3\n-noise*\npweb: \n');
    const env = mode === 'inprocess'
      ? { PATH: `${toolBin()}:${process.env.PATH}` }
      : { PATH: `${deb.bin}:${toolBin()}:${process.env.PATH}`, TSINIT_INPROCESS_LOG: '0' };
    const r = run([tool('runsvdir'), svc], env, { pidns: false });
    const logged = (): string => fs.readdirSync(path.join(svc, 'web', 'log', 'main')).map((f) => read(path.join(svc, 'web', 'log', 'main', f))).join('');
    await until(() => logged().includes('web: done'), `${mode} logged`);
    if (mode === 'debian') {
      const logPid = Number(read(path.join(svc, 'web', 'log', 'supervise', 'pid')));
      assert.equal(read(`/proc/${logPid}/comm`).trim(), 'svlogd', 'a real svlogd process with TSINIT_INPROCESS_LOG=0');
    }
    r.proc.kill('SIGTERM');
    await r.exit;
    const dir = path.join(svc, 'web', 'log', 'main');
    const files: Record<string, string> = {};
    const names = fs.readdirSync(dir).sort();
    names.forEach((n, i) => {
      const key = n.startsWith('@') ? `@${i}${n.slice(-2)}` : n;
      const mode8 = (fs.statSync(path.join(dir, n)).mode & 0o777).toString(8);
      files[key] = `${mode8} ${fs.readFileSync(path.join(dir, n), 'utf8').replace(/^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} /gm, 'TS ')}`;
    });
    results[mode] = files;
  }
  assert.deepEqual(results.inprocess, results.debian);
  const all = Object.entries(results.inprocess ?? {}).filter(([k]) => k !== 'config').map(([, v]) => v).join('');
  assert.match(all, /TS web: keep line 001 x+\n/);
  assert.doesNotMatch(all, /noise/);
  assert.ok(Object.keys(results.inprocess ?? {}).some((k) => k.endsWith('.s')), 'rotated by size');
});

test('sv drives the in-process logger: t, d, u, pause, cont, kill; no line lost across 20 restarts', { timeout: 600_000 }, async (t) => {
  const svc = tmp('tsinit-inlog-sv-');
  const n = 400;
  script(path.join(svc, 'web', 'run'), `i=0; while [ $i -lt ${n} ]; do echo "n=$i"; i=$((i+1)); sleep 0.02; done; exec sleep 1000`);
  script(path.join(svc, 'web', 'log', 'run'), 'exec svlogd ./main');
  fs.mkdirSync(path.join(svc, 'web', 'log', 'main'));
  const r = run([tool('runsvdir'), svc], { PATH: `${toolBin()}:${process.env.PATH}` }, { pidns: false });
  t.after(() => r.proc.kill('SIGKILL'));
  const logDir = path.join(svc, 'web', 'log');
  await until(() => read(path.join(logDir, 'supervise', 'stat')) === 'run\n', 'log running');
  for (let i = 0; i < 20; i++) {
    assert.equal(sv('t', logDir).status, 0);
    await new Promise((res) => setTimeout(res, 150));
  }
  // Let every queued `t` be applied: a `t` that comes during runsv's 1 s
  // restart pause waits for it, and each one applied ends a logger that ran
  // less than 1 s, so another pause follows (on a slow machine the 20 make a
  // chain of pauses well after the loop). A `d` sent during a pause is applied
  // after sv has already seen "down", and the `u` after it is then skipped by
  // sv's rule (want is still up): the logger stays down (runit does the same).
  // Queued commands are applied at once while the logger runs, so a logger up
  // for 2 s has none left.
  await until(() => /^run: [^:]*: \(pid \d+\) ([2-9]|\d\d+)s/.test(sv('status', logDir).stdout), 'log up for 2 s, no `t` left', 120_000);
  assert.match(sv('-w', '60', 'down', logDir).stdout, /^ok: down: /);
  assert.match(sv('-w', '60', 'up', logDir).stdout, /^ok: run: /);
  assert.equal(sv('pause', logDir).status, 0);
  await until(() => read(path.join(logDir, 'supervise', 'stat')) === 'run, paused\n', 'paused');
  assert.equal(sv('cont', logDir).status, 0);
  assert.equal(sv('kill', logDir).status, 0);
  const all = (): string => fs.readdirSync(path.join(logDir, 'main')).filter((f) => f === 'current' || f.startsWith('@')).map((f) => read(path.join(logDir, 'main', f))).join('');
  await until(() => all().includes(`n=${n - 1}\n`), 'every line logged', 180_000);
  const got = all().split('\n').filter((l) => l.startsWith('n='));
  const want = Array.from({ length: n }, (_, i) => `n=${i}`);
  assert.deepEqual([...new Set(got)].sort(), [...want].sort(), 'every line present');
  assert.equal(got.length, n, 'no line twice');
  // the killed logger is started again, after runsv's 1 s pause if it ran less
  // than that (the last lines may have been logged before the kill)
  await until(() => /; run: log: \(pid \d+\)/.test(sv('status', path.join(svc, 'web')).stdout), 'the log running again after kill');
  r.proc.kill('SIGTERM');
  await r.exit;
});

test('chpst -u USER svlogd: the files belong to USER', async () => {
  const svc = tmp('tsinit-inlog-user-');
  script(path.join(svc, 'web', 'run'), 'echo as nobody; exec sleep 1000');
  script(path.join(svc, 'web', 'log', 'run'), 'exec chpst -u nobody svlogd ./main');
  fs.mkdirSync(path.join(svc, 'web', 'log', 'main'));
  const nobody = Number(/^nobody:[^:]*:(\d+):/m.exec(fs.readFileSync('/etc/passwd', 'utf8'))?.[1]);
  // nobody's svlogd needs a directory it may write (inprocess-log-owner.test.ts: otherwise refused)
  fs.chownSync(path.join(svc, 'web', 'log', 'main'), nobody, nobody);
  const r = run([tool('runsvdir'), svc], { PATH: `${toolBin()}:${process.env.PATH}` }, { pidns: false });
  const cur = path.join(svc, 'web', 'log', 'main', 'current');
  await until(() => read(cur).includes('as nobody'), 'logged');
  assert.equal(fs.statSync(cur).uid, nobody);
  assert.equal(fs.statSync(path.join(svc, 'web', 'log', 'main', 'lock')).uid, nobody);
  r.proc.kill('SIGTERM');
  await r.exit;
});

test('TSINIT_LOG_PREFIX=1: whole lines, prefixed with the service name, never mixed mid-line', { timeout: 600_000 }, async () => {
  const svc = tmp('tsinit-prefix-');
  const long = 'y'.repeat(3000);
  for (const name of ['alpha', 'beta']) {
    script(path.join(svc, name, 'run'), `i=0; while [ $i -lt 200 ]; do printf '%s ${long} %s\\n' ${name} $i; i=$((i+1)); done; printf 'no newline at end'; echo to-stderr >&2; exec sleep 1000`);
  }
  const stages = runitDir({});
  // stdout and stderr into one pipe, as with `docker run -t`: the strictest case.
  const r = run(['sh', '-c', `exec ${tsinit()} 2>&1`], { TSINIT_RUNIT_DIR: stages, TSINIT_SERVICE_DIR: svc, TSINIT_LOG_PREFIX: '1' });
  // stderr comes after the 200 lines of each service (plain strings: a regex
  // over a megabyte of output on every chunk would be slow).
  await r.waitFor('alpha: to-stderr\n');
  await r.waitFor('beta: to-stderr\n');
  await r.signal('SIGTERM');
  assert.equal((await r.exit).code, 0);
  const out = r.output();
  for (const line of out.split('\n').filter((l) => l.includes('yyyy'))) {
    assert.match(line, /^(alpha: alpha|beta: beta) y{3000} \d+$/, 'a line mixed with another');
  }
  assert.equal(out.match(/^alpha: alpha y+ \d+$/gm)?.length, 200);
  assert.match(out, /^alpha: to-stderr$/m);
  assert.match(out, /^alpha: no newline at end$/m, 'the unterminated last line is written when the service ends');
});

test('a log directory whose current cannot be opened does not stop the supervisor (no blocking 3 s retry loop)', { timeout: 600_000 }, async () => {
  const svc = tmp('tsinit-inlog-block-');
  script(path.join(svc, 'a', 'run'), 'echo from a; exec sleep 1000');
  script(path.join(svc, 'a', 'log', 'run'), 'exec svlogd ./main');
  fs.mkdirSync(path.join(svc, 'a', 'log', 'main', 'current'), { recursive: true });
  script(path.join(svc, 'b', 'run'), 'exec sleep 1000');
  const r = run([tool('runsvdir'), svc], { PATH: `${toolBin()}:${process.env.PATH}` }, { pidns: false });
  try {
    await until(() => /unable to open current: \.\/main/.test(r.output()), 'the failure reported');
    await until(() => read(path.join(svc, 'b', 'supervise', 'stat')) === 'run\n', 'b running');
    // the supervisor still acts: b restarts while a's logger keeps failing
    const res = sv('-w', '10', 'restart', path.join(svc, 'b'));
    assert.match(res.stdout, /^ok: run: /, res.stdout);
    await until(() => (r.output().match(/unable to open current: \.\/main/g) ?? []).length >= 2, 'the logger restarted by runsv');
  } finally {
    // a blocked supervisor (the defect this test is about) never exits on TERM
    r.proc.kill('SIGTERM');
    const killer = setTimeout(() => r.proc.kill('SIGKILL'), 20_000);
    await r.exit;
    clearTimeout(killer);
  }
});
