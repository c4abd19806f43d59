// Once a stop is requested (SIGTERM to runsv = 'term', tsinit's shutdown =
// 'shutdown'), the service machine starts nothing again: not after a crash,
// not on `sv up`/`sv once`, not when a pause or timer ends. ./finish runs
// once per end of ./run. Fake clock, fake processes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/service-machine.ts';
import { NO_POLICY, type MachinePolicy } from '../../src/supervise/restart-policy.ts';

const exitCode = (n: number): number => n << 8;
const SIGINT_RAW = 2;
const spawns = (actions: string[]): string[] => actions.filter((a) => a.startsWith('spawn'));
const policy = (p: Partial<MachinePolicy>): MachinePolicy => ({ ...NO_POLICY, ...p });

test('sv up and sv once while ./finish runs after the stop: ignored, runsv exits after finish', () => {
  for (const cmd of ['u', 'o']) {
    const h = new Harness();
    h.finishExists = true;
    h.start();
    h.advance(2000);
    h.take();
    h.driver.post({ type: 'term' });
    h.exit(100, 15);
    assert.deepEqual(spawns(h.take()), ['spawn main ./finish -1 15']);
    h.ctl(cmd);
    assert.deepEqual(h.take(), [], `${cmd} after the stop changes nothing`);
    assert.equal(h.s.main.want, 'exit');
    h.exit(101, 0);
    const after = h.take();
    assert.deepEqual(spawns(after), [], `${cmd}: no ./run after the stop`);
    assert.ok(after.includes('exit 0'), `${cmd}: runsv exits: ${after.join(', ')}`);
  }
});

test('sv down after the stop does not turn want exit into want down (runsv still exits)', () => {
  const h = new Harness();
  h.start();
  h.advance(2000);
  h.driver.post({ type: 'term' });
  h.ctl('d');
  h.take();
  assert.equal(h.s.main.want, 'exit');
  h.exit(100, 15);
  assert.ok(h.take().includes('exit 0'));
});

test('a crash after tsinit\'s shutdown began (service not told to stop yet): finish once, no restart, no pause', () => {
  const h = new Harness();
  h.finishExists = true;
  h.start();
  h.advance(300);
  h.take();
  h.driver.post({ type: 'shutdown' });
  assert.deepEqual(h.take(), [], 'shutdown alone signals nothing');
  // the terminal's ^C, or someone's kill: the service dies by itself
  h.exit(100, SIGINT_RAW);
  assert.deepEqual(spawns(h.take()), ['spawn main ./finish -1 2']);
  h.advance(100);
  h.exit(101, 0);
  const after = h.take();
  assert.deepEqual(spawns(after), []);
  assert.ok(!after.some((a) => a.startsWith('sleep')), `no restart pause: ${after.join(', ')}`);
  assert.ok(!h.notes.some((n) => n.kind === 'restarting'), 'no restarting note');
  h.ctl('u');
  assert.deepEqual(spawns(h.take()), []);
  // its turn in the stop order comes: runsv exits
  h.driver.post({ type: 'term' });
  assert.ok(h.take().includes('exit 0'));
});

test('the stop arrives during runit\'s 1 s restart pause: nothing is started when it ends', () => {
  for (const ev of ['term', 'shutdown'] as const) {
    const h = new Harness();
    h.start();
    h.advance(100);
    h.exit(100, exitCode(1));
    h.take();
    assert.ok(h.sleeping);
    h.driver.post({ type: ev });
    h.ctl('u');
    h.releaseSleep();
    assert.deepEqual(spawns(h.take()), [], ev);
    assert.equal(h.s.main.pid, 0);
  }
});

test('the stop arrives while control/u runs: ./run is not spawned after it', () => {
  const h = new Harness();
  h.scripts = { u: true };
  h.holdScripts = true;
  h.start();
  assert.deepEqual(h.take(), ['script u']);
  h.driver.post({ type: 'term' });
  h.releaseScript(true);
  const after = h.take();
  assert.deepEqual(spawns(after), []);
  assert.ok(after.includes('exit 0'), after.join(', '));
});

test('a failed fork retried every 5 s: no retry of ./run after the stop', () => {
  const h = new Harness();
  h.forkFailures = 1;
  h.start();
  assert.deepEqual(h.take(), ['script u', 'spawn main ./run', 'sleep 5000']);
  h.driver.post({ type: 'shutdown' });
  h.releaseSleep();
  assert.deepEqual(spawns(h.take()), []);
});

test('restart-backoff: the stop cancels the pause and its timer starts nothing', () => {
  const h = new Harness({ policy: policy({ restartBackoff: { initialMs: 1000, factor: 2, capMs: 60_000, resetAfterMs: 30_000 } }) });
  h.start();
  h.advance(100);
  h.exit(100, exitCode(1));
  h.take();
  assert.ok(h.timers.has('backoff'));
  const gen = h.timers.get('backoff')?.gen ?? 0;
  h.driver.post({ type: 'shutdown' });
  // even a timer that fires anyway (already queued by the effect layer) starts nothing
  h.driver.post({ type: 'timer', name: 'backoff', gen });
  h.tick(120_000);
  assert.deepEqual(spawns(h.take()), []);
  assert.equal(h.machine.p.backoff, null);
});

test('dependency hold: a release after the shutdown does not start the held ./run', () => {
  const h = new Harness({ hold: true });
  h.start();
  h.take();
  h.driver.post({ type: 'shutdown' });
  h.driver.post({ type: 'release' });
  assert.deepEqual(spawns(h.take()), []);
});

test('the log service is not restarted after the stop; runsv exits once both are down', () => {
  const h = new Harness({ log: { down: false } });
  h.start();
  h.advance(2000);
  assert.deepEqual(spawns(h.take()), ['spawn log ./run', 'spawn main ./run']);
  h.driver.post({ type: 'term' });
  h.take();
  // the logger is killed from outside while ./run still stops
  h.exit(100, 9);
  assert.deepEqual(spawns(h.take()), [], 'no log restart');
  h.exit(101, 15);
  const after = h.take();
  assert.deepEqual(spawns(after), []);
  assert.ok(after.includes('exit 0'), after.join(', '));
});

test('a health restart (t) after the shutdown began: TERM, but no new ./run', () => {
  const h = new Harness();
  h.start();
  h.advance(2000);
  h.take();
  h.driver.post({ type: 'shutdown' });
  h.ctl('t');
  assert.deepEqual(h.take(), ['script t', 'kill main 100 TERM', 'status main run 100 -uT']);
  h.exit(100, 15);
  assert.deepEqual(spawns(h.take()), []);
});

test('an essential service ending during the shutdown is no failure that sets the exit code', () => {
  const h = new Harness({ policy: policy({ essential: 'always' }) });
  h.start();
  h.advance(2000);
  h.driver.post({ type: 'shutdown' });
  h.exit(100, SIGINT_RAW);
  assert.ok(!h.notes.some((n) => n.kind === 'essential-ended'));
});
