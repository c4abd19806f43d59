// tsinit as PID 1 with the built-in supervisor as stage 2 (no /etc/runit/2):
// services start, sv drives them, and shutdown stops them all in parallel.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, shutdownMs, TIMER_SLACK_MS, tsinit } from '../helpers/pidns.ts';
import { tool, toolBin } from '../helpers/tsinit.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';

test('built-in supervisor: services run, sv works from outside, TERM stops all with finish scripts, exit 0', async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-marks-'));
  const services: Record<string, { run: string; finish?: string; log?: string }> = {};
  for (let i = 0; i < 5; i++) {
    services[`s${i}`] = { run: `echo "s${i} up"; exec sleep 1000`, finish: `echo "$1 $2" > ${marks}/s${i}.finish` };
  }
  services.logged = { run: 'echo "to the log"; exec sleep 1000', log: `exec cat > ${marks}/logged.out` };
  const svc = serviceDir(services);
  const stages = runitDir({ '3': 'echo "stage 3 ran"' });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: stages, TSINIT_SERVICE_DIR: svc, PATH: `${toolBin()}:${process.env.PATH}` });
  for (const name of Object.keys(services)) await waitFile(path.join(svc, name, 'supervise', 'stat'), 'run\n');
  await waitFile(path.join(svc, 'logged', 'log', 'supervise', 'stat'), 'run\n');

  // sv from outside the namespace drives the in-process supervisor.
  const st = spawnSync(tool('sv'), ['status', path.join(svc, 's0'), path.join(svc, 'logged')], { encoding: 'utf8' });
  assert.equal(st.status, 0, st.stdout + st.stderr);
  assert.match(st.stdout, /^run: .*\/s0: \(pid \d+\) \d+s\n/m);
  assert.match(st.stdout, /^run: .*\/logged: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\n/m);
  const down = spawnSync(tool('sv'), ['-w', '60', 'down', path.join(svc, 's1')], { encoding: 'utf8' });
  assert.equal(down.status, 0, down.stdout);
  assert.match(down.stdout, /^ok: down: /);
  assert.equal(fs.readFileSync(path.join(marks, 's1.finish'), 'utf8'), '-1 15\n');
  fs.rmSync(path.join(marks, 's1.finish'));

  await r.signal('SIGTERM');
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  assert.ok(shutdownMs(out) <= 9000 + TIMER_SLACK_MS, 'within the default budget');
  assert.match(out, /stage 3 ran/);
  for (const i of [0, 2, 3, 4]) assert.equal(fs.readFileSync(path.join(marks, `s${i}.finish`), 'utf8'), '-1 15\n', `finish of s${i}`);
  assert.equal(fs.existsSync(path.join(marks, 's1.finish')), false, 's1 was already down');
  assert.equal(fs.readFileSync(path.join(marks, 'logged.out'), 'utf8'), 'to the log\n');
});

test('built-in supervisor: a service that ignores TERM is killed within the budget', async () => {
  const svc = serviceDir({
    stubborn: { run: "trap '' TERM; echo stubborn up; while :; do sleep 0.2; done" },
    polite: { run: 'exec sleep 1000' },
  });
  const stages = runitDir({ '3': 'echo "stage 3 ran"' });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: stages, TSINIT_SERVICE_DIR: svc, TSINIT_SHUTDOWN_TIMEOUT: '3' });
  await r.waitFor('stubborn up');
  await waitFile(path.join(svc, 'polite', 'supervise', 'stat'), 'run\n');
  await r.signal('SIGTERM');
  const ex = await r.exit;
  const tookMs = shutdownMs(r.output());
  assert.equal(ex.code, 0, r.output());
  assert.match(r.output(), /services not terminated, sending sigkill/);
  assert.match(r.output(), /stage 3 ran/);
  assert.ok(tookMs <= 3000 + TIMER_SLACK_MS, `took ${tookMs} ms with a 3 s budget`);
});
