// The init's command line (src/init/args.ts) and exit-code remapping
// (src/init/exit-remap.ts).
import test from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { parseInitArgs, parseSignal } from '../../src/init/args.ts';
import { combineRemaps, remapExitCode } from '../../src/init/exit-remap.ts';
import { forwardedSignal, foregroundGroup } from '../../src/init/command-mode.ts';
import { commandModeSignals, FORWARDED_SIGNALS } from '../../src/init/signals.ts';

const S = os.constants.signals;

test('-g, -c and -r need a command; -g alone is an error, not stage mode', () => {
  for (const args of [['-g'], ['-c'], ['-r', '15:0'], ['-g', '-e', '143']]) {
    const r = parseInitArgs(args);
    assert.ok('error' in r, args.join(' '));
    assert.match(r.error, /needs a command/);
  }
});

test('-e CODE (repeatable), -p SIG, -r FROM:TO in their spellings', () => {
  const r = parseInitArgs(['-e', '143', '-e130', '-p', 'SIGKILL', '-r', 'TERM:QUIT', '--rewrite=2:0', '--rewrite', '10:12', '-c', '--', 'cmd', '-e', '1']);
  assert.ok(!('error' in r));
  assert.equal(r.mode, 'command');
  assert.deepEqual(r.command, ['cmd', '-e', '1']);
  assert.deepEqual(r.exitZero, [143, 130]);
  assert.equal(r.pdeathSignal, S.SIGKILL);
  assert.deepEqual([...(r.rewrite ?? [])], [[S.SIGTERM, S.SIGQUIT], [2, 0], [10, 12]]);
  assert.equal(r.keepLeftovers, true);
  // stage mode takes -e and -p
  const s = parseInitArgs(['-e', '1', '-p', 'term']);
  assert.ok(!('error' in s));
  assert.equal(s.mode, 'stages');
  assert.equal(s.pdeathSignal, S.SIGTERM);
  for (const bad of [['-e'], ['-e', '256'], ['-e', 'x'], ['-p', 'NOPE'], ['-r', '15'], ['-r', 'TERM:NOPE', '--', 'x'], ['--rewritex']]) {
    assert.ok('error' in parseInitArgs(bad), bad.join(' '));
  }
});

test('signals by number, name or SIG-name', () => {
  assert.equal(parseSignal('15'), 15);
  assert.equal(parseSignal('term'), S.SIGTERM);
  assert.equal(parseSignal('SIGUSR1'), S.SIGUSR1);
  assert.equal(parseSignal('0'), undefined);
  assert.equal(parseSignal('99'), undefined);
});

test('exit remap: -e on top of TSINIT_EXIT_REMAP, one step, others unchanged', () => {
  const m = combineRemaps(new Map([[143, 1], [1, 0]]), [143]);
  assert.equal(remapExitCode(143, m), 0);
  assert.equal(remapExitCode(1, m), 0);
  assert.equal(remapExitCode(2, m), 2);
  assert.equal(remapExitCode(143, new Map([[143, 1], [1, 0]])), 1, 'no chains');
});

test('rewrite: a rewritten signal, 0 drops it, others pass', () => {
  const rw = new Map([[S.SIGTERM, S.SIGQUIT], [S.SIGINT, 0]]);
  assert.equal(forwardedSignal(S.SIGTERM, rw), S.SIGQUIT);
  assert.equal(forwardedSignal(S.SIGINT, rw), 0);
  assert.equal(forwardedSignal(S.SIGHUP, rw), S.SIGHUP);
});

test('job-control signals are forwarded, so they never stop tsinit', () => {
  for (const s of ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const) assert.ok(FORWARDED_SIGNALS.includes(s), s);
});

test('terminal hand-over only from the foreground process group', () => {
  assert.equal(foregroundGroup('12 (tsinit) S 1 12 12 34816 12 4194560 0'), 12);
  assert.equal(foregroundGroup('12 (ts init) S 1 12 12 34816 40 4194560 0'), undefined);
  assert.equal(foregroundGroup('12 (x) S 1 12 12 0 -1 4194560 0'), undefined);
});

test('--rewrite: FROM must be a signal tsinit can catch, TO in range; each error says why (issue 16)', () => {
  const error = (v: string): string => {
    const r = parseInitArgs(['-r', v, '--', 'x']);
    assert.ok('error' in r, `${v} accepted`);
    return r.error;
  };
  // dumb-init's FROM range is 1..31, TO 0..31; tsinit also sends real-time signals
  assert.match(error('1:32'), /TO must be 0 \(not forwarded\), 1\.\.31 or 34\.\.64 \(SIGRTMIN\.\.SIGRTMAX\), not 32$/);
  assert.match(error('1:33'), /not 33$/);
  assert.match(error('1:65'), /not 65$/);
  assert.match(error('34:15'), /FROM must be a signal 1\.\.31 that tsinit can catch, not 34: real-time signals cannot be caught/);
  assert.match(error('0:1'), /FROM must be a signal 1\.\.31 that tsinit can catch, not 0$/);
  assert.match(error('99:1'), /not 99$/);
  assert.match(error('KILL:1'), /not 9 \(SIGKILL\): SIGKILL cannot be caught/);
  assert.match(error('19:1'), /not 19 \(SIGSTOP\): SIGSTOP cannot be caught/);
  assert.match(error('CHLD:HUP'), /not 17 \(SIGCHLD\): tsinit reaps with SIGCHLD/);
  for (const f of ['SEGV', 'BUS', 'FPE', 'ILL']) assert.match(error(`${f}:HUP`), new RegExp(`SIG${f}\\): tsinit leaves SIG${f} to the kernel`));
  for (const ok of ['SYS:HUP', 'TRAP:0', 'ABRT:TERM', '15:37', 'TERM:64', '31:31', 'USR1:0']) {
    assert.ok(!('error' in parseInitArgs(['-r', ok, '--', 'x'])), ok);
  }
});

test('every --rewrite source is listened to in command mode, forwarded or not', () => {
  const sigs = commandModeSignals(new Map([[S.SIGSYS, S.SIGHUP], [S.SIGTRAP, 0], [S.SIGABRT, S.SIGTERM], [S.SIGTERM, S.SIGQUIT]]));
  for (const s of [...FORWARDED_SIGNALS, 'SIGSYS', 'SIGTRAP', 'SIGABRT'] as const) assert.ok(sigs.includes(s), s);
  assert.equal(new Set(sigs).size, sigs.length);
  assert.deepEqual(commandModeSignals(undefined), [...FORWARDED_SIGNALS]);
});
