// Container policy with tsinit as PID 1 of a PID namespace: essential
// services and the exit code, tsinit halt, restart-backoff, down-signal and
// timeout-kill, on real processes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { tool, toolBin } from '../helpers/tsinit.ts';
import { serviceDir, waitFile, type ServiceSpec } from '../helpers/services.ts';

let current: ReturnType<typeof run> | undefined;
test.afterEach(() => {
  // a failed test leaves no tsinit behind
  if (current && current.proc.exitCode === null) current.proc.kill('SIGKILL');
  current = undefined;
});

function boot(services: Record<string, ServiceSpec & { files?: Record<string, string> }>, env: NodeJS.ProcessEnv = {}) {
  const svc = serviceDir(services);
  for (const [name, s] of Object.entries(services)) {
    for (const [f, text] of Object.entries(s.files ?? {})) fs.writeFileSync(path.join(svc, name, f), text);
  }
  const control = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-control-'));
  fs.rmdirSync(control); // PID 1 creates it, mode 0700
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: runitDir({}),
    TSINIT_SERVICE_DIR: svc,
    TSINIT_RUN_DIR: control,
    PATH: `${toolBin()}:${process.env.PATH}`,
    ...env,
  });
  current = r;
  return { svc, r, control };
}

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 15000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const lines = (file: string): string[] => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
};

test('essential: an exit 7 ends the container with 7; the log says who set it; others are stopped', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const { r } = boot({
    job: { run: `sleep 1.5; exit 7`, files: { essential: '' } },
    other: { run: 'exec sleep 1000', finish: `echo "$1 $2" > ${marks}/other.finish` },
  });
  const ex = await r.exit;
  assert.equal(ex.code, 7, r.output());
  assert.match(r.output(), /exit code 7 set by essential service job/);
  assert.equal(fs.readFileSync(path.join(marks, 'other.finish'), 'utf8'), '-1 15\n');
});

test('essential: a signal death gives 128+n', async () => {
  const { r } = boot({ job: { run: 'sleep 1.5; kill -9 $$', files: { essential: 'always\n' } } });
  const ex = await r.exit;
  assert.equal(ex.code, 137, r.output());
});

test('essential on-failure: exit 0 restarts, a failure ends the container', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const count = path.join(marks, 'starts');
  const { r } = boot({
    job: {
      run: `echo x >> ${count}; n=$(wc -l < ${count}); sleep 1.2; [ "$n" -ge 2 ] && exit 4; exit 0`,
      files: { essential: 'on-failure\n' },
    },
  });
  const ex = await r.exit;
  assert.equal(ex.code, 4, r.output());
  assert.equal(lines(count).length, 2, 'exit 0 was restarted, exit 4 ended it');
});

test('essential: a crash loop (dying within 1 s) ends the container after N attempts', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const count = path.join(marks, 'starts');
  const { r } = boot({ job: { run: `echo x >> ${count}; exit 5`, files: { essential: '' } } }, { TSINIT_ESSENTIAL_ATTEMPTS: '3' });
  const ex = await r.exit;
  assert.equal(ex.code, 5, r.output());
  assert.equal(lines(count).length, 3);
  assert.match(r.output(), /died within 1 s 3 times in a row/);
});

test('tsinit halt 3 from a finish script: the container exits 3; the first code set wins', async () => {
  const { r } = boot({
    job: { run: 'sleep 0.5; exit 0', finish: 'tsinit halt 3; tsinit halt 9' },
    other: { run: 'exec sleep 1000' },
  });
  const ex = await r.exit;
  assert.equal(ex.code, 3, r.output());
  assert.match(r.output(), /exit code 3 set by tsinit halt \(pid \d+, parent \d+ \S+, cwd \S+\/job\)/);
});

test('tsinit halt without a code: shutdown with the usual code; a bad code is refused', async () => {
  const { r } = boot({ job: { run: 'sleep 0.5; tsinit halt; exec sleep 1000' } });
  const ex = await r.exit;
  assert.equal(ex.code, 0, r.output());
  assert.match(r.output(), /shutdown requested: halt by tsinit halt/);
  assert.equal(spawnSync(tool('tsinit'), ['halt', '256']).status, 100);
});

test('restart-backoff: pauses grow as configured; sv up and the shutdown do not wait for a pending pause', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const starts = path.join(marks, 'starts');
  const { svc, r } = boot({
    crashy: { run: `date +%s%N >> ${starts}; exit 1`, files: { 'restart-backoff': '0.3 2 30 60\n' } },
  });
  await waitUntil(() => lines(starts).length >= 4, 'four starts');
  const t = lines(starts).map((l) => Number(BigInt(l) / 1_000_000n));
  const gaps = t.slice(1).map((x, i) => x - (t[i] as number));
  // lower bounds only: a loaded machine may be slower, never quicker
  assert.ok((gaps[0] as number) >= 290, `gaps ${gaps.join(' ')}`);
  assert.ok((gaps[1] as number) >= 590, `gaps ${gaps.join(' ')}`);
  assert.ok((gaps[2] as number) >= 1190, `gaps ${gaps.join(' ')}`);
  // the next pause is 2.4 s, then 4.8 s ...: wait for 6 starts to be in a long pause
  await waitUntil(() => lines(starts).length >= 6, 'six starts', 30000);
  const before = lines(starts).length;
  // now in a 9.6 s pause, shown with the crash count in supervise/tsinit-status.json
  const record = path.join(svc, 'crashy', 'supervise', 'tsinit-status.json');
  await waitUntil(() => {
    try {
      return JSON.parse(fs.readFileSync(record, 'utf8')).backoff?.pauseMs === 9600;
    } catch {
      return false;
    }
  }, 'the 9.6 s pause in the record');
  const ext = JSON.parse(fs.readFileSync(record, 'utf8'));
  assert.equal(ext.backoff.crashes, 6);
  assert.equal(ext.crashes, 6);
  assert.equal(ext.restarts, 5);
  assert.deepEqual(ext.lastExit, { code: 1 });
  // sv up starts it at once
  const up = spawnSync(tool('sv'), ['up', path.join(svc, 'crashy')], { encoding: 'utf8' });
  assert.equal(up.status, 0, up.stdout + up.stderr);
  await waitUntil(() => lines(starts).length > before, 'the start after sv up', 5000);
  // and the shutdown during the next (long) pause is immediate
  await new Promise((res) => setTimeout(res, 200));
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.equal(ex.code, 0, r.output());
  assert.doesNotMatch(r.output(), /services not terminated/);
});

test('down-signal QUIT reaches the service on sv down, restart and shutdown', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const got = path.join(marks, 'got');
  const { svc, r } = boot({
    web: {
      run: `trap 'echo QUIT >> ${got}; exit 0' QUIT; trap 'echo TERM >> ${got}; exit 0' TERM; echo up >> ${got}; while :; do sleep 0.1; done`,
      files: { 'down-signal': 'QUIT\n' },
    },
  });
  const dir = path.join(svc, 'web');
  await waitUntil(() => lines(got).length === 1, 'first start');
  const down = spawnSync(tool('sv'), ['-w', '10', 'down', dir], { encoding: 'utf8' });
  assert.match(down.stdout, /^ok: down/, down.stdout + down.stderr);
  assert.deepEqual(lines(got), ['up', 'QUIT']);
  spawnSync(tool('sv'), ['up', dir]);
  await waitUntil(() => lines(got).length === 3, 'second start');
  spawnSync(tool('sv'), ['restart', dir]);
  await waitUntil(() => lines(got).length === 5, 'restart');
  assert.deepEqual(lines(got), ['up', 'QUIT', 'up', 'QUIT', 'up']);
  await waitFile(path.join(dir, 'supervise', 'stat'), 'run\n');
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.equal(ex.code, 0, r.output());
  assert.deepEqual(lines(got), ['up', 'QUIT', 'up', 'QUIT', 'up', 'QUIT']);
});

test('timeout-kill: a service ignoring its down signal gets KILL after its time (sv down and shutdown)', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const { svc, r } = boot(
    {
      stubborn: {
        run: `trap '' TERM; echo up > ${marks}/up; while :; do sleep 0.1; done`,
        finish: `echo "$1 $2" >> ${marks}/finish`,
        files: { 'timeout-kill': '700\n' },
      },
    },
    { TSINIT_SHUTDOWN_TIMEOUT: '30' },
  );
  const dir = path.join(svc, 'stubborn');
  await waitFile(path.join(marks, 'up'), 'up\n');
  const down = spawnSync(tool('sv'), ['-w', '10', 'down', dir], { encoding: 'utf8' });
  assert.match(down.stdout, /^ok: down/, down.stdout + down.stderr);
  assert.deepEqual(lines(path.join(marks, 'finish')), ['-1 9']);
  fs.rmSync(path.join(marks, 'up'));
  spawnSync(tool('sv'), ['up', dir]);
  await waitFile(path.join(marks, 'up'), 'up\n');
  const sent = Date.now();
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.equal(ex.code, 0, r.output());
  // killed by timeout-kill, long before the budget's KILL at 15 s
  assert.doesNotMatch(r.output(), /services not terminated/);
  assert.ok(Date.now() - sent < 15000);
  assert.deepEqual(lines(path.join(marks, 'finish')), ['-1 9', '-1 9']);
});

test('essential under a runsvdir started by /etc/runit/2: the container still exits with its code', async () => {
  const svc = serviceDir({ job: { run: 'sleep 1.5; exit 6' } });
  fs.writeFileSync(path.join(svc, 'job', 'essential'), '');
  const control = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-control-')), 'ctl');
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: runitDir({ '2': `exec runsvdir -P ${svc}` }),
    TSINIT_RUN_DIR: control,
    PATH: `${toolBin()}:${process.env.PATH}`,
  });
  current = r;
  const ex = await r.exit;
  assert.equal(ex.code, 6, r.output());
  assert.match(r.output(), /exit code 6 set by essential service job \(runsvdir /);
});
