// runsv's service machine against a fake clock and fake processes: the
// order of actions is runit 2.1.2's (reference spec 3.2-3.5).
import test from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from '../helpers/service-machine.ts';
import { finishArgs } from '../../src/supervise/service-machine.ts';

const SIGKILL_RAW = 9;
const exitCode = (n: number): number => n << 8;

test('start: control/u, spawn ./run, status run with the pid written', () => {
  const h = new Harness();
  h.start();
  assert.deepEqual(h.take(), ['script u', 'spawn main ./run', 'status main run 100 -u- +pid']);
  assert.equal(h.s.main.state, 'run');
});

test('a down file keeps the service down at start', () => {
  const h = new Harness({ down: true });
  h.start();
  assert.deepEqual(h.take(), []);
  assert.equal(h.s.main.want, 'down');
});

test('restart pause: 1 s sleep only when ./run lived less than 1 s, then restart', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.advance(500);
  h.exit(100, exitCode(1));
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'sleep 1000']);
  assert.ok(h.sleeping);
  // a command during the pause waits for it, like runit's blocking sleep,
  // and is read before the restart (h on a down service does nothing)
  h.ctl('h');
  assert.deepEqual(h.take(), []);
  h.releaseSleep();
  assert.deepEqual(h.take(), ['script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
  // lived 1.2 s: restarted at once
  h.advance(1200);
  h.exit(101, exitCode(0));
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'script u', 'spawn main ./run', 'status main run 102 -u- +pid']);
});

test('d during the pause of a crash-looping service: no further start', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.advance(100);
  h.exit(100, exitCode(1));
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'sleep 1000']);
  h.ctl('du');
  h.releaseSleep();
  // d is read before the loop would restart; u comes one iteration later
  assert.deepEqual(h.take(), ['status main down 0 -d-', 'status main down 0 -u-', 'script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
  const h2 = new Harness();
  h2.start();
  h2.advance(100);
  h2.exit(100, exitCode(1));
  h2.ctl('d');
  h2.take();
  h2.releaseSleep();
  assert.deepEqual(h2.take(), ['status main down 0 -d-']);
  assert.equal(h2.s.main.pid, 0);
});

test('the pause is measured from the start of ./run, also across ./finish', () => {
  const h = new Harness();
  h.finishExists = true;
  h.start();
  h.take();
  h.advance(600);
  h.exit(100, exitCode(2));
  assert.deepEqual(h.take(), ['has-finish', 'status main finish 0 -u- +pid', 'spawn main ./finish 2 0', 'status main finish 101 -u- +pid']);
  h.advance(300);
  h.exit(101, 0);
  assert.deepEqual(h.take(), ['status main down 0 -u- +pid', 'sleep 1000']);
  const h2 = new Harness();
  h2.finishExists = true;
  h2.start();
  h2.advance(600);
  h2.exit(100, 0);
  h2.advance(500);
  h2.take();
  h2.exit(101, 0);
  assert.deepEqual(h2.take(), ['status main down 0 -u- +pid', 'script u', 'spawn main ./run', 'status main run 102 -u- +pid']);
});

test('the status start time: set on run start and on going down, kept through finish', () => {
  const h = new Harness();
  h.finishExists = true;
  h.start();
  const runStart = h.s.main.start;
  h.advance(2000);
  h.exit(100, 0);
  assert.deepEqual(h.s.main.start, runStart);
  assert.equal(h.s.main.state, 'finish');
  h.advance(1000);
  h.exit(101, 0);
  assert.notDeepEqual(h.s.main.start, runStart);
});

test('once: runs ./run once and leaves it down', () => {
  const h = new Harness({ down: true });
  h.start();
  h.ctl('o');
  assert.deepEqual(h.take(), ['status main down 0 -d-', 'script u', 'spawn main ./run', 'status main run 100 -d- +pid']);
  h.advance(2000);
  h.exit(100, 0);
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -d- +pid']);
  assert.equal(h.s.main.state, 'down');
});

test('pause and cont: STOP/CONT and the paused flag; p sets the flag even when down', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.ctl('p');
  assert.deepEqual(h.take(), ['script p', 'kill main 100 STOP', 'status main run 100 Pu-']);
  h.ctl('c');
  assert.deepEqual(h.take(), ['script c', 'kill main 100 CONT', 'status main run 100 -u-']);
  const d = new Harness({ down: true });
  d.start();
  d.ctl('p');
  assert.deepEqual(d.take(), ['status main down 0 Pd-']);
  assert.equal(d.s.main.paused, true);
  // a start clears the flag
  d.ctl('u');
  assert.equal(d.s.main.paused, false);
});

test('d while ./finish runs: no signal to finish, stays down afterwards', () => {
  const h = new Harness();
  h.finishExists = true;
  h.start();
  h.advance(3000);
  h.exit(100, SIGKILL_RAW);
  h.take();
  assert.equal(h.s.main.state, 'finish');
  h.ctl('d');
  assert.deepEqual(h.take(), ['status main finish 101 -d-']);
  h.ctl('t');
  assert.deepEqual(h.take(), []);
  h.exit(101, 0);
  assert.deepEqual(h.take(), ['status main down 0 -d- +pid']);
});

test('d on a running service: status, control/t, TERM, got TERM, CONT, control/d', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.ctl('d');
  assert.deepEqual(h.take(), [
    'status main run 100 -d-',
    'script t',
    'kill main 100 TERM',
    'status main run 100 -dT',
    'kill main 100 CONT',
    'script d',
  ]);
  assert.equal(h.s.main.termSent, true);
  h.advance(2000);
  h.exit(100, 15);
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -d- +pid']);
  assert.equal(h.s.main.termSent, false);
});

test('t restarts a wanted-up service without CONT; term flag cleared by the exit', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.ctl('t');
  assert.deepEqual(h.take(), ['script t', 'kill main 100 TERM', 'status main run 100 -uT']);
  h.advance(1500);
  h.exit(100, 15);
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
});

test('sv restart writes "tcu": one byte per iteration, restart happens on the exit', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.ctl('tcu');
  assert.deepEqual(h.take(), [
    'script t',
    'kill main 100 TERM',
    'status main run 100 -uT',
    'script c',
    'kill main 100 CONT',
    'status main run 100 -uT',
    'status main run 100 -uT',
  ]);
});

test('control/t exiting 0 replaces TERM; CONT and control/d still follow', () => {
  const h = new Harness();
  h.scripts = { t: true, d: false };
  h.start();
  h.take();
  h.ctl('d');
  assert.deepEqual(h.take(), ['status main run 100 -d-', 'script t', 'kill main 100 CONT', 'script d']);
  assert.equal(h.s.main.termSent, false);
});

test('control/k exiting 0 replaces SIGKILL; non-zero lets runsv send it', () => {
  const h = new Harness();
  h.scripts = { k: true, h: false };
  h.start();
  h.take();
  h.ctl('h');
  assert.deepEqual(h.take(), ['script h', 'kill main 100 HUP']);
  h.ctl('k');
  assert.deepEqual(h.take(), ['script k']);
  assert.equal(h.s.main.state, 'down');
});

test('k marks the service down at once, without a status write; reaped later', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.ctl('k');
  assert.deepEqual(h.take(), ['script k', 'kill main 100 KILL']);
  assert.equal(h.s.main.state, 'down');
  assert.equal(h.s.main.pid, 100);
  h.advance(2000);
  h.exit(100, SIGKILL_RAW);
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -u- +pid', 'script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
});

test('k with want exit: runsv exits at once (the process is left running)', () => {
  const h = new Harness();
  h.scripts = { t: true };
  h.start();
  h.ctl('x');
  h.take();
  assert.equal(h.s.exited, false);
  h.ctl('k');
  assert.deepEqual(h.take(), ['script k', 'kill main 100 KILL', 'exit 0']);
  assert.equal(h.s.exited, true);
});

test('signals h a i q 1 2 only while running; no status write', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.ctl('haiq12');
  assert.deepEqual(h.take(), [
    'script h', 'kill main 100 HUP', 'script a', 'kill main 100 ALRM', 'script i', 'kill main 100 INT',
    'script q', 'kill main 100 QUIT', 'script 1', 'kill main 100 USR1', 'script 2', 'kill main 100 USR2',
  ]);
  const d = new Harness({ down: true });
  d.start();
  d.ctl('haiq12');
  assert.deepEqual(d.take(), []);
});

test('garbage bytes are ignored', () => {
  const h = new Harness();
  h.start();
  h.take();
  for (const b of [0, 10, 0x7a, 0xff, 0x55]) h.driver.post({ type: 'control', side: 'main', byte: b });
  assert.deepEqual(h.take(), []);
  assert.equal(h.errors.length, 0);
});

test('x with a log: TERM main, then close the log pipe, exit when the logger is gone', () => {
  const h = new Harness({ log: { down: false } });
  h.start();
  assert.deepEqual(h.take(), ['spawn log ./run', 'status log run 100 -u- +pid', 'script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
  h.ctl('x');
  assert.deepEqual(h.take(), [
    'status main run 101 -d-',
    'script t',
    'kill main 101 TERM',
    'status main run 101 -dT',
    'kill main 101 CONT',
    'script x',
  ]);
  assert.equal(h.s.main.want, 'exit');
  h.advance(2000);
  h.exit(101, 15);
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -d- +pid', 'status log run 100 -d-', 'close-log-pipe']);
  assert.equal(h.s.exited, false);
  h.exit(100, 0);
  assert.deepEqual(h.take(), ['status log down 0 -d- +pid', 'exit 0']);
  assert.equal(h.s.exited, true);
  // nothing happens after the exit
  h.ctl('u');
  assert.deepEqual(h.take(), []);
});

test('the log service ignores x and never runs control scripts', () => {
  const h = new Harness({ log: { down: false } });
  h.scripts = { t: true };
  h.start();
  h.take();
  h.ctl('x', 'log');
  assert.deepEqual(h.take(), []);
  h.ctl('t', 'log');
  assert.deepEqual(h.take(), ['kill log 100 TERM', 'status log run 100 -uT']);
});

test('term (SIGTERM) acts as x on the main service', () => {
  const h = new Harness();
  h.start();
  h.take();
  h.driver.post({ type: 'term' });
  assert.deepEqual(h.take(), ['status main run 100 -d-', 'script t', 'kill main 100 TERM', 'status main run 100 -dT', 'kill main 100 CONT', 'script x']);
  h.exit(100, 15);
  // runit's runsv sleeps 1 s here (./run lived < 1 s) before it exits; no
  // start can follow a stop request in tsinit, so neither does the pause.
  assert.deepEqual(h.take(), ['has-finish', 'status main down 0 -d- +pid', 'exit 0']);
});

test('a running control script blocks only its service: later events queue', () => {
  const h = new Harness();
  h.scripts = { t: false };
  h.holdScripts = true;
  h.start();
  h.take();
  h.ctl('t');
  assert.deepEqual(h.take(), ['script t']);
  h.ctl('p');
  h.exit(100, 15);
  assert.deepEqual(h.take(), []);
  assert.ok(h.driver.blocked);
  h.releaseScript(false);
  // then p (no control/p), then the queued exit
  assert.deepEqual(h.take(), [
    'kill main 100 TERM',
    'status main run 100 -uT',
    'script p',
    'kill main 100 STOP',
    'status main run 100 PuT',
    'has-finish',
    'status main down 0 Pu- +pid',
    'sleep 1000',
  ]);
});

test('finish arguments: -1 and the signal when killed, the exit code and 0 otherwise', () => {
  assert.deepEqual(finishArgs(9), ['-1', '9']);
  assert.deepEqual(finishArgs(3 << 8), ['3', '0']);
  assert.deepEqual(finishArgs(111 << 8), ['111', '0']);
  assert.deepEqual(finishArgs(6 | 0x80), ['-1', '134']);
});

test('a failed spawn behaves like a child exiting 111: finish gets "111 0", retried after 1 s', () => {
  const h = new Harness();
  h.failSpawn = true;
  h.finishExists = true;
  h.start();
  const a = h.take();
  assert.deepEqual(a, [
    'script u',
    'spawn main ./run',
    'status main run 0 -u- +pid',
    'has-finish',
    'status main finish 0 -u- +pid',
    'spawn main ./finish 111 0',
    'status main finish 100 -u- +pid',
  ]);
  h.exit(100, 0);
  assert.deepEqual(h.take(), ['status main down 0 -u- +pid', 'sleep 1000']);
  h.releaseSleep();
  assert.deepEqual(h.take().slice(0, 2), ['script u', 'spawn main ./run']);
});

test('a fake (failed) pid is never signalled', () => {
  const h = new Harness();
  h.failSpawn = true;
  h.holdScripts = true;
  h.scripts = { u: true };
  h.start();
  // control/u is held: queue a d behind it
  h.ctl('d');
  h.releaseScript(true);
  const acts = h.take();
  assert.ok(!acts.some((x) => x.startsWith('kill')), acts.join('\n'));
});

test('fork failure: sleep 5 s and try again (runit: "unable to fork, sleeping")', () => {
  const h = new Harness();
  h.forkFailures = 2;
  h.start();
  assert.deepEqual(h.take(), ['script u', 'spawn main ./run', 'sleep 5000']);
  h.releaseSleep();
  assert.deepEqual(h.take(), ['spawn main ./run', 'sleep 5000']);
  h.releaseSleep();
  assert.deepEqual(h.take(), ['spawn main ./run', 'status main run 100 -u- +pid']);
});

// tsinit's dependencies.d/: a held first start (the supervisor releases it).

test('held: the first ./run waits for release; the log service starts at once', () => {
  const h = new Harness({ hold: true, log: { down: false } });
  h.start();
  assert.deepEqual(
    h.take().filter((a) => a.startsWith('spawn')),
    ['spawn log ./run'],
  );
  assert.equal(h.s.main.pid, 0);
  assert.equal(h.s.main.want, 'up');
  // Other commands do not start it (alarm on a down service does nothing).
  h.ctl('a');
  assert.deepEqual(h.take().filter((a) => a.startsWith('spawn')), []);
  h.driver.post({ type: 'release' });
  assert.deepEqual(h.take(), ['script u', 'spawn main ./run', 'status main run 101 -u- +pid']);
});

test('held: sv up starts it anyway (runit meaning); a later release changes nothing', () => {
  const h = new Harness({ hold: true });
  h.start();
  assert.deepEqual(h.take(), []);
  h.ctl('u');
  assert.deepEqual(h.take().filter((a) => a.startsWith('spawn')), ['spawn main ./run']);
  h.driver.post({ type: 'release' });
  assert.deepEqual(h.take(), []);
});

test('held: sv down before the release keeps it down; a crash-restart after the release is not held', () => {
  const h = new Harness({ hold: true });
  h.start();
  h.ctl('d');
  h.take();
  h.driver.post({ type: 'release' });
  assert.deepEqual(h.take(), []);
  h.ctl('u');
  assert.deepEqual(h.take().filter((a) => a.startsWith('spawn')), ['spawn main ./run']);
  h.advance(2000);
  h.exit(100, 1 << 8);
  assert.deepEqual(h.take().filter((a) => a.startsWith('spawn')), ['spawn main ./run'], 'restarted at once');
});
