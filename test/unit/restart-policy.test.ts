// tsinit's opt-in policy in the service machine, on a fake clock:
// restart-backoff (interruptible pauses), down-signal, timeout-kill, essential.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/service-machine.ts';
import { NO_POLICY, backoffPause, essentialVerdict, type MachinePolicy } from '../../src/supervise/restart-policy.ts';
import { decodeWaitStatus, shellExitCode } from '../../src/process/wait-status.ts';

const code = (n: number): number => n << 8;
const policy = (p: Partial<MachinePolicy>): MachinePolicy => ({ ...NO_POLICY, ...p });
const backoff1_2_60_30 = { initialMs: 1000, factor: 2, capMs: 60_000, resetAfterMs: 30_000 };

test('backoffPause: initial * factor^(n-1), capped, no overflow', () => {
  const b = backoff1_2_60_30;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffPause(b, n)), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.equal(backoffPause(b, 1e9), 60000);
  assert.equal(backoffPause({ initialMs: 0, factor: 2, capMs: 10, resetAfterMs: 0 }, 5), 0);
});

test('exit codes for the container: the code, or 128 + signal', () => {
  assert.equal(shellExitCode(decodeWaitStatus(1, code(7))), 7);
  assert.equal(shellExitCode(decodeWaitStatus(1, 9)), 137);
  assert.equal(shellExitCode(decodeWaitStatus(1, 15)), 143);
});

test('backoff: pauses grow while it crashes, the crash count and pause are exposed, reset after the uptime', () => {
  const h = new Harness({ policy: policy({ restartBackoff: backoff1_2_60_30 }) });
  h.start();
  assert.deepEqual(h.take(), ['script u', 'spawn main ./run', 'status main run 100 -u- +pid']);
  const pauses: number[] = [];
  let pid = 100;
  for (let i = 0; i < 8; i++) {
    h.advance(100);
    h.exit(pid, code(1));
    const b = h.machine.p.backoff;
    assert.ok(b, 'a pause is in progress');
    assert.equal(b.crashes, i + 1);
    assert.equal(h.machine.p.crashes, i + 1);
    pauses.push(b.pauseMs);
    // nothing starts before the pause is over
    h.tick(b.pauseMs - 1);
    assert.equal(h.s.main.pid, 0);
    h.tick(1);
    pid++;
    assert.equal(h.s.main.pid, pid);
    assert.equal(h.machine.p.backoff, null);
  }
  assert.deepEqual(pauses, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.deepEqual(
    h.notes.filter((n) => n.kind === 'restarting').map((n) => (n.kind === 'restarting' ? n.pauseMs : 0)),
    pauses,
  );
  assert.equal(h.machine.p.restarts, 8);
  // 30 s up: back to the initial pause, crash count 0
  h.take();
  h.advance(30_000);
  h.exit(pid, code(1));
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'timer backoff 1000']);
  assert.equal(h.machine.p.crashes, 0);
  assert.equal(h.machine.p.backoff?.pauseMs, 1000);
  assert.deepEqual(h.machine.p.lastExit, { code: 1 });
});

test('backoff: commands are handled during the pause (no blocking sleep); sv up restarts at once', () => {
  const h = new Harness({ policy: policy({ restartBackoff: { ...backoff1_2_60_30, initialMs: 50_000, capMs: 60_000 } }) });
  h.start();
  h.take();
  h.advance(10);
  h.exit(100, code(1));
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'timer backoff 50000']);
  assert.equal(h.driver.blocked, false);
  h.ctl('u');
  assert.deepEqual(h.take(), ['status main down 0 -u-', 'cancel-timer backoff', 'script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
  assert.equal(h.machine.p.backoff, null);
  // a stale timer firing later changes nothing
  h.driver.post({ type: 'timer', name: 'backoff', gen: 1 });
  assert.deepEqual(h.take(), []);
});

test('backoff: sv down and the shutdown (x) are not delayed by a pending pause', () => {
  const h = new Harness({ policy: policy({ restartBackoff: { ...backoff1_2_60_30, initialMs: 50_000 } }) });
  h.start();
  h.advance(10);
  h.exit(100, code(1));
  h.take();
  h.ctl('d');
  assert.deepEqual(h.take(), ['cancel-timer backoff', 'status main down 0 -d-']);
  h.tick(60_000);
  assert.equal(h.s.main.pid, 0, 'no start after the cancelled pause');
  const h2 = new Harness({ policy: policy({ restartBackoff: { ...backoff1_2_60_30, initialMs: 50_000 } }) });
  h2.start();
  h2.advance(10);
  h2.exit(100, code(1));
  h2.take();
  h2.driver.post({ type: 'term' });
  assert.deepEqual(h2.take(), ['cancel-timer backoff', 'status main down 0 -d-', 'exit 0']);
  assert.equal(h2.s.exited, true);
});

test('backoff: a restart asked for (sv restart) is not a crash and has no pause', () => {
  const h = new Harness({ policy: policy({ restartBackoff: backoff1_2_60_30 }) });
  h.start();
  h.take();
  h.advance(10);
  h.ctl('t');
  h.exit(100, 15);
  assert.equal(h.machine.p.crashes, 0);
  assert.equal(h.s.main.pid, 101);
});

test('without policy the 1 s pause is still runit\'s blocking sleep, shown as a pause', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.advance(100);
  h.exit(100, code(1));
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'sleep 1000']);
  assert.equal(h.machine.p.backoff?.pauseMs, 1000);
  assert.equal(h.machine.p.crashes, 1);
  assert.deepEqual(h.notes, [{ kind: 'restarting', pauseMs: 1000, crashes: 1 }]);
  h.releaseSleep();
  assert.equal(h.machine.p.backoff, null);
});

test('down-signal replaces TERM for sv down, restart and exit; CONT still follows', () => {
  for (const [cmd, expected] of [
    ['d', ['status main run 100 -d-', 'script t', 'script d', 'kill main 100 QUIT', 'status main run 100 -dT', 'kill main 100 CONT']],
    ['t', ['script t', 'kill main 100 QUIT', 'status main run 100 -uT']],
    ['x', ['status main run 100 -d-', 'script t', 'script x', 'kill main 100 QUIT', 'status main run 100 -dT', 'kill main 100 CONT']],
  ] as const) {
    const h = new Harness({ policy: policy({ downSignal: 'QUIT' }) });
    h.start();
    h.take();
    h.ctl(cmd);
    assert.deepEqual(h.take(), expected, cmd);
  }
  const h = new Harness({ policy: policy({ downSignal: 'QUIT' }) });
  h.start();
  h.take();
  h.driver.post({ type: 'term' });
  assert.ok(h.take().includes('kill main 100 QUIT'));
});

test('down-signal: control/t or control/d exiting 0 still wins (no signal)', () => {
  const h = new Harness({ policy: policy({ downSignal: 'QUIT' }) });
  h.scripts.d = true;
  h.start();
  h.take();
  h.ctl('d');
  assert.deepEqual(h.take(), ['status main run 100 -d-', 'script t', 'script d', 'kill main 100 CONT']);
  const h2 = new Harness({ policy: policy({ downSignal: 'WINCH' }) });
  h2.scripts.t = true;
  h2.start();
  h2.take();
  h2.ctl('t');
  assert.deepEqual(h2.take(), ['script t']);
});

test('timeout-kill: KILL after the time when still running; none when it stopped in time', () => {
  const h = new Harness({ policy: policy({ timeoutKillMs: 3000 }) });
  h.start();
  h.take();
  h.ctl('d');
  assert.deepEqual(h.take(), ['status main run 100 -d-', 'script t', 'kill main 100 TERM', 'status main run 100 -dT', 'timer kill 3000', 'kill main 100 CONT', 'script d']);
  h.tick(2999);
  assert.deepEqual(h.take(), []);
  h.tick(1);
  assert.deepEqual(h.take(), ['kill main 100 KILL']);
  h.exit(100, 9);
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -d- +pid']);

  const h2 = new Harness({ policy: policy({ timeoutKillMs: 3000 }) });
  h2.start();
  h2.take();
  h2.driver.post({ type: 'term' });
  h2.take();
  h2.tick(1500);
  h2.exit(100, 15);
  assert.ok(h2.take().includes('cancel-timer kill'));
  assert.equal(h2.timers.size, 0);
  assert.equal(h2.s.exited, true);
});

test('timeout-kill on a restart: the KILL reaches only the old process', () => {
  const h = new Harness({ policy: policy({ timeoutKillMs: 1000, downSignal: 'INT' }) });
  h.start();
  h.take();
  h.advance(5000);
  h.ctl('t');
  assert.deepEqual(h.take(), ['script t', 'kill main 100 INT', 'status main run 100 -uT', 'timer kill 1000']);
  h.tick(500);
  h.exit(100, 2); // died of INT in time
  h.take();
  assert.equal(h.s.main.pid, 101);
  // a stale timer event for the old process kills nothing
  h.driver.post({ type: 'timer', name: 'kill', gen: 1 });
  assert.deepEqual(h.take(), []);
});

test('essential: an exit while wanted up ends the container with its code, and it is not restarted', () => {
  const h = new Harness({ policy: policy({ essential: 'always' }) });
  h.start();
  h.take();
  h.advance(2000);
  h.exit(100, code(7));
  assert.deepEqual(h.notes.filter((n) => n.kind === 'essential-ended'), [{ kind: 'essential-ended', code: 7, reason: './run ended (exit 7)' }]);
  assert.equal(h.s.main.want, 'down');
  assert.equal(h.s.main.pid, 0);

  const sig = new Harness({ policy: policy({ essential: 'always' }) });
  sig.start();
  sig.advance(2000);
  sig.exit(100, 9);
  assert.equal(sig.notes.find((n) => n.kind === 'essential-ended')?.kind === 'essential-ended' && (sig.notes.find((n) => n.kind === 'essential-ended') as { code: number }).code, 137);
});

test('essential on-failure: exit 0 is ignored (restarted), non-zero ends', () => {
  const h = new Harness({ policy: policy({ essential: 'on-failure' }) });
  h.start();
  h.advance(2000);
  h.exit(100, 0);
  assert.equal(h.notes.some((n) => n.kind === 'essential-ended'), false);
  assert.equal(h.s.main.pid, 101);
  h.advance(2000);
  h.exit(101, code(3));
  assert.deepEqual(h.notes.filter((n) => n.kind === 'essential-ended').map((n) => (n as { code: number }).code), [3]);
});

test('essential: a crash loop (deaths within 1 s) ends the container after N attempts', () => {
  const h = new Harness({ policy: policy({ essential: 'always', essentialAttempts: 3 }) });
  h.start();
  let pid = 100;
  for (let i = 1; i <= 3; i++) {
    h.advance(100);
    h.exit(pid, code(5));
    const ended = h.notes.filter((n) => n.kind === 'essential-ended');
    assert.equal(ended.length, i === 3 ? 1 : 0, `attempt ${i}`);
    if (h.sleeping) h.releaseSleep();
    pid++;
  }
  assert.equal(h.s.main.pid, 0);
  assert.equal(h.s.main.want, 'down');
});

test('essential: an exec failure ends it at once; sv down, restart and shutdown do not', () => {
  const h = new Harness({ policy: policy({ essential: 'always' }) });
  h.failSpawn = true;
  h.start();
  assert.deepEqual(h.notes.filter((n) => n.kind === 'essential-ended').map((n) => (n as { code: number }).code), [111]);

  const h2 = new Harness({ policy: policy({ essential: 'always' }) });
  h2.start();
  h2.advance(2000);
  h2.ctl('t');
  h2.exit(100, 15);
  h2.advance(2000);
  h2.ctl('d');
  h2.exit(101, 15);
  h2.ctl('u');
  h2.advance(2000);
  h2.driver.post({ type: 'term' });
  h2.exit(102, 15);
  assert.equal(h2.notes.some((n) => n.kind === 'essential-ended'), false);
});

test('essentialVerdict: not essential, or not unexpected: nothing', () => {
  const end = { wstat: code(1), execFailed: false, livedMs: 5000, unexpected: true, quickDeaths: 0 };
  assert.equal(essentialVerdict(null, 3, end).kind, 'none');
  assert.equal(essentialVerdict('always', 3, { ...end, unexpected: false }).kind, 'none');
  assert.equal(essentialVerdict('always', 1, { ...end, livedMs: 10 }).kind, 'ended');
});
