// tsinit as PID 1 in a PID namespace: stages, orphans, shutdown triggers,
// the shutdown budget, stage 2 restarts.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, runitDir, shutdownMs, TIMER_SLACK_MS, tsinit } from '../helpers/pidns.ts';

const BUDGET_S = 9;

test('stages run in order with their output visible, and SIGTERM runs stage 3 and exits 0', async () => {
  const dir = runitDir({
    '1': 'echo "stage one says hi"',
    '2': 'echo "stage two says hi"; exec sleep 1000',
    '3': 'echo "stage three says bye"',
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir });
  await r.waitFor('stage two says hi');
  await r.signal('SIGTERM');
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  const order = ['stage one says hi', `leave stage: ${dir}/1`, `enter stage: ${dir}/2`, 'stage two says hi', 'shutdown requested: SIGTERM', `leave stage: ${dir}/2`, `enter stage: ${dir}/3`, 'stage three says bye'];
  let at = -1;
  for (const s of order) {
    const i = out.indexOf(s, at + 1);
    assert.ok(i > at, `"${s}" out of order in:\n${out}`);
    at = i;
  }
  assert.match(out, /- tsinit: enter stage: .*\/1\n/);
});

test('a workload that leaves 2,000 orphans ends with no zombie', { timeout: 120000 }, async () => {
  // Each subshell starts a sleep and exits at once: the sleep is orphaned and
  // adopted by PID 1, which must reap it. Stage 2 then counts zombies.
  const dir = runitDir({
    '2': `
i=0
while [ $i -lt 2000 ]; do (sleep 0.05 &) ; i=$((i+1)); done
n=1; tries=0
while [ $tries -lt 100 ]; do
  n=$(grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l)
  [ "$n" -eq 0 ] && break
  sleep 0.1; tries=$((tries+1))
done
echo "zombies=$n"
left=$(ls -d /proc/[0-9]* | wc -l)
echo "processes=$left"
exit 0`,
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_LOG_LEVEL: 'debug' });
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out.slice(-2000));
  assert.match(out, /zombies=0\n/);
  const reaped = out.match(/reaped orphan/g)?.length ?? 0;
  assert.ok(reaped >= 2000, `only ${reaped} orphans logged as reaped`);
});

for (const trigger of ['SIGTERM', 'SIGCONT+stopit', 'SIGINT+ctrlaltdel', 'SIGPWR'] as const) {
  test(`${trigger} runs stage 3 and exits 0 within the budget`, async () => {
    const dir = runitDir({
      '2': 'echo ready; exec sleep 1000',
      '3': 'echo "stage 3 ran"',
      ctrlaltdel: 'echo "ctrlaltdel ran"',
    });
    if (trigger === 'SIGCONT+stopit') fs.writeFileSync(path.join(dir, 'stopit'), '', { mode: 0o100 });
    const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_LOG_LEVEL: 'debug' });
    await r.waitFor(/^ready$/m);
    // SIGCONT without the stop file must not stop anything (tsinit says when it has decided).
    if (trigger === 'SIGCONT+stopit') {
      fs.chmodSync(path.join(dir, 'stopit'), 0o000);
      await r.signal('SIGCONT');
      await r.waitFor('SIGCONT without an executable stopit file: ignored');
      assert.doesNotMatch(r.output(), /shutdown requested/);
      fs.chmodSync(path.join(dir, 'stopit'), 0o100);
    }
    await r.signal(trigger === 'SIGCONT+stopit' ? 'SIGCONT' : trigger === 'SIGINT+ctrlaltdel' ? 'SIGINT' : trigger);
    const ex = await r.exit;
    const out = r.output();
    const tookMs = shutdownMs(out);
    assert.equal(ex.code, 0, out);
    assert.match(out, /stage 3 ran/);
    if (trigger === 'SIGINT+ctrlaltdel') assert.match(out, /ctrl-alt-del request[\s\S]*ctrlaltdel ran[\s\S]*stage 3 ran/);
    if (trigger === 'SIGCONT+stopit') assert.equal(fs.statSync(path.join(dir, 'stopit')).mode & 0o777, 0, 'stopit chmodded to 0 as runit does');
    assert.ok(tookMs < BUDGET_S * 1000, `shutdown took ${tookMs} ms`);
  });
}

test('a stage 2 that ignores TERM is killed and the exit still comes within the budget', async () => {
  const dir = runitDir({
    '2': "trap '' TERM; echo ready; while :; do sleep 1; done",
    '3': 'echo "stage 3 ran"',
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_SHUTDOWN_TIMEOUT: '3' });
  await r.waitFor(/^ready$/m);
  await r.signal('SIGTERM');
  const ex = await r.exit;
  const out = r.output();
  const tookMs = shutdownMs(out);
  assert.equal(ex.code, 0, out);
  assert.match(out, /stage 2 not terminated, sending sigkill/);
  assert.match(out, /stage 3 ran/);
  assert.ok(tookMs <= 3000 + TIMER_SLACK_MS, `shutdown took ${tookMs} ms with a 3 s budget`);
});

test('a second SIGTERM during shutdown skips straight to KILL', async () => {
  const dir = runitDir({
    '2': 'echo ready; exec sleep 1000',
    '3': "trap '' TERM; echo 'stage 3 slow'; sleep 30",
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_SHUTDOWN_TIMEOUT: '20' });
  await r.waitFor(/^ready$/m);
  await r.signal('SIGTERM');
  await r.waitFor('stage 3 slow');
  const sent = Date.now();
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.ok(Date.now() - sent < 15000, 'did not wait for the 20 s budget');
  assert.match(r.output(), /second shutdown request: sending KILL/);
  assert.equal(ex.code, 0);
});

test('stage 2 exiting 111 is restarted; a crashed stage 2 too', { timeout: 60000 }, async () => {
  const dir = runitDir({});
  const counter = path.join(dir, 'count');
  fs.writeFileSync(
    path.join(dir, '2'),
    `#!/bin/sh
n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}
echo "stage 2 run $n"
sleep 1000 &
[ $n -eq 1 ] && exit 111
[ $n -eq 2 ] && kill -KILL $$
exec sleep 1000
`,
    { mode: 0o755 },
  );
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir });
  await r.waitFor('stage 2 run 3', 30000);
  const out = r.output();
  assert.match(out, /child failed: .*\/2[\s\S]*killing all processes in stage 2\.\.\.[\s\S]*restarting\./);
  assert.match(out, /child crashed: .*\/2/);
  await r.signal('SIGTERM');
  assert.equal((await r.exit).code, 0);
});

test('stage 1 exit 100 skips stage 2; a failing stage 1 gives exit code 1 after stages 2 and 3', async () => {
  const skip = runitDir({ '1': 'exit 100', '2': 'echo "stage 2 ran"', '3': 'echo "stage 3 ran"' });
  const r1 = run([tsinit()], { TSINIT_RUNIT_DIR: skip });
  const e1 = await r1.exit;
  assert.equal(e1.code, 0);
  assert.match(r1.output(), /skipping stage 2/);
  assert.doesNotMatch(r1.output(), /stage 2 ran/);
  assert.match(r1.output(), /stage 3 ran/);

  const fail = runitDir({ '1': 'exit 3', '2': 'echo "stage 2 ran"', '3': 'echo "stage 3 ran"' });
  const r2 = run([tsinit()], { TSINIT_RUNIT_DIR: fail });
  const e2 = await r2.exit;
  assert.equal(e2.code, 1, r2.output());
  assert.match(r2.output(), /child failed: .*\/1/);
  assert.match(r2.output(), /stage 2 ran[\s\S]*stage 3 ran/);

  const fail3 = runitDir({ '2': 'exit 0', '3': 'exit 4' });
  const r3 = run([tsinit()], { TSINIT_RUNIT_DIR: fail3 });
  assert.equal((await r3.exit).code, 2, r3.output());
});

test('JSON log lines with TSINIT_LOG_FORMAT=json', async () => {
  const dir = runitDir({ '2': 'exit 0' });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_LOG_FORMAT: 'json' });
  assert.equal((await r.exit).code, 0);
  const lines = r.output().trim().split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length >= 3, r.output());
  for (const l of lines) {
    const o = JSON.parse(l) as { level: string; msg: string; time: string };
    assert.equal(typeof o.msg, 'string');
    assert.ok(['info', 'warn', 'debug', 'error'].includes(o.level));
  }
  assert.ok(lines.some((l) => (JSON.parse(l) as { msg: string }).msg === `enter stage: ${dir}/2`));
});

test('services inherit a blocking stdout and stderr (Node must not make them non-blocking)', async () => {
  // O_NONBLOCK is 04000 in /proc/PID/fdinfo flags (octal). A service with a
  // non-blocking stdout loses output with EAGAIN when its reader is slow.
  const dir = runitDir({
    '1': "echo \"stage1 fd1 $(awk '/flags/ {print $2}' /proc/self/fdinfo/1) fd2 $(awk '/flags/ {print $2}' /proc/self/fdinfo/2)\"",
    '2': "echo \"stage2 fd1 $(awk '/flags/ {print $2}' /proc/self/fdinfo/1) fd2 $(awk '/flags/ {print $2}' /proc/self/fdinfo/2)\"",
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_LOG_LEVEL: 'debug' });
  assert.equal((await r.exit).code, 0);
  const flags = [...r.output().matchAll(/stage\d fd1 (\d+) fd2 (\d+)/g)].flatMap((m) => [m[1], m[2]]);
  assert.equal(flags.length, 4, r.output());
  for (const f of flags) assert.equal(parseInt(f as string, 8) & 0o4000, 0, `O_NONBLOCK set: ${f}`);
});
