// Issue 8, items 3, 4, 13: one budget bounds every phase of the shutdown,
// stage 1 included; any legal timer value works (no overflow to 1 ms, no
// spinning svlogd with t720h); settings not used as given are said once.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { fromSource, tool } from '../helpers/tsinit.ts';
import { repoRoot } from '../../testkit/debian.ts';

const IGNORES_TERM = "trap '' TERM; echo ready; while :; do sleep 0.1; done";

test('SIGTERM during a stage 1 that ignores TERM: stage 1 is killed within the budget, stage 3 runs, exit 0', async () => {
  const dir = runitDir({ '1': IGNORES_TERM, '2': 'echo "stage 2 ran"; exec sleep 1000', '3': 'echo "stage 3 ran"' });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_SHUTDOWN_TIMEOUT: '2' });
  await r.waitFor(/^ready$/m);
  await r.signal('SIGTERM');
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  assert.match(out, /stage 1 not terminated, sending sigkill/);
  assert.match(out, /stage 3 ran/);
  assert.doesNotMatch(out, /stage 2 ran/);
});

test('command mode: SIGTERM during a stage 1 that ignores TERM ends it within the budget; the command never starts', async () => {
  const dir = runitDir({ '1': IGNORES_TERM });
  for (const pidns of [true, false]) {
    const r = run([tsinit(), '--', 'sh', '-c', 'echo "command ran"'], { TSINIT_RUNIT_DIR: dir, TSINIT_SHUTDOWN_TIMEOUT: '2' }, { pidns });
    await r.waitFor(/^ready$/m);
    await r.signal('SIGTERM');
    const ex = await r.exit;
    assert.equal(ex.code, 143, r.output());
    assert.doesNotMatch(r.output(), /command ran/);
  }
});

test('a huge TSINIT_SHUTDOWN_TIMEOUT is a long budget, not 1 ms (Node timer overflow)', async () => {
  for (const budget of ['1e9', '5000000', '99999999999999999999']) {
    const dir = runitDir({ '2': 'echo up; exec sleep 1000', '3': 'sleep 0.5; echo "stage 3 finished"' });
    const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_SHUTDOWN_TIMEOUT: budget });
    await r.waitFor('up');
    await r.signal('SIGTERM');
    const ex = await r.exit;
    const out = r.output();
    assert.equal(ex.code, 0, `${budget}:\n${out}`);
    assert.match(out, /stage 3 finished/);
    assert.doesNotMatch(out, /sigkill|TimeoutOverflowWarning/i);
  }
});

test('settings not used as given get one warning each at start; JSON in capitals is JSON', async () => {
  const dir = runitDir({ '2': 'echo up; exec sleep 1000' });
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: dir,
    TSINIT_LOG_FORMAT: 'JSON',
    TSINIT_SHUTDOWN_TIMEOUT: '0x10',
    TSINIT_SHUTDOWN_TIMOUT: '3',
  });
  await r.waitFor('up');
  await r.signal('SIGTERM');
  assert.equal((await r.exit).code, 0);
  const lines = r.output().split('\n').filter((l) => l.startsWith('{'));
  const records = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
  assert.ok(records.length > 3, r.output());
  const warnings = records.filter((x) => x.level === 'warn').map((x) => x.msg);
  assert.equal(warnings.filter((m) => m.startsWith('TSINIT_SHUTDOWN_TIMEOUT=0x10: invalid')).length, 1, warnings.join('\n'));
  assert.equal(warnings.filter((m) => m === 'TSINIT_SHUTDOWN_TIMOUT: unknown variable, ignored').length, 1, warnings.join('\n'));
});

test('svlogd with t720h (a monthly rotation) neither spins nor warns', { timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-t720h-'));
  fs.writeFileSync(path.join(dir, 'config'), 't2592000\n');
  // From source, run Node without the wrapper's --no-warnings: the overflow warning must show if it happens.
  const argv = fromSource ? [process.execPath, path.join(repoRoot, 'src', 'main.ts'), 'svlogd', dir] : [tool('svlogd'), dir];
  const p = spawn(argv[0] as string, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
  let errOut = '';
  p.stderr?.on('data', (d: Buffer) => (errOut += d.toString()));
  p.stdin?.write('one line\n');
  const current = path.join(dir, 'current');
  for (const end = Date.now() + 30000; !(fs.existsSync(current) && fs.readFileSync(current, 'utf8').includes('one line')); ) {
    if (Date.now() > end) throw new Error(`no line logged; stderr: ${errOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Wake-ups of the main thread: an idle svlogd sleeps in epoll_wait; a timer
  // that overflowed to 1 ms wakes it about a thousand times a second.
  const wakeups = (): number => Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1]);
  const before = wakeups();
  // A window to observe, not a speed claim: load only makes a spin show less.
  await new Promise((r) => setTimeout(r, 1000));
  const used = wakeups() - before;
  p.stdin?.end();
  await new Promise((r) => p.on('exit', r));
  assert.doesNotMatch(errOut, /TimeoutOverflowWarning|warning/i, errOut.slice(0, 500));
  assert.ok(used < 100, `svlogd woke up ${used} times in 1 s while idle`);
});

test('stage mode: TSINIT_EXIT_REMAP and -e apply to the final exit code', async () => {
  const dir = runitDir({ '1': 'exit 3', '2': 'echo up; exec sleep 1000' });
  for (const [args, env, want] of [[[], {}, 1], [['-e', '1'], {}, 0], [[], { TSINIT_EXIT_REMAP: '1:42' }, 42], [['-e', '1'], { TSINIT_EXIT_REMAP: '1:42' }, 0]] as const) {
    const r = run([tsinit(), ...args], { TSINIT_RUNIT_DIR: dir, ...env });
    await r.waitFor('up');
    await r.signal('SIGTERM');
    assert.equal((await r.exit).code, want, `${args.join(' ')} ${JSON.stringify(env)}\n${r.output()}`);
  }
});
