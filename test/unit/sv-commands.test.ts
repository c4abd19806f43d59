// sv's command table, the skip rule and the per-character checks of the
// waiting loop (reference spec 4.3-4.5), against fake status records.
import test from 'node:test';
import assert from 'node:assert/strict';
import { checkAll, checkChar, resolveCommand, skipSend, type CheckContext } from '../../src/sv/commands.ts';
import { taiOfUnix } from '../../src/sv/status-line.ts';
import { rawStatus, type RawStatus } from '../helpers/status-record.ts';

const T0 = 1_800_000_000; // sv's start, unix seconds

function rec(r: Partial<RawStatus>): Buffer {
  return rawStatus({ ...r, sec: r.sec ?? T0 });
}

/** A check context whose ./check answers from a list and counts its runs. */
function ctx(answers: boolean[] = []): CheckContext & { runs: number } {
  const c = {
    startTai: taiOfUnix(T0),
    runs: 0,
    runCheckScript: async () => {
      c.runs++;
      return answers.length ? (answers.shift() as boolean) : true;
    },
  };
  return c;
}

test('command table: every command word of spec 4.3', () => {
  const table: Array<[string, string, string, boolean, boolean]> = [
    // word, act, acts, waits (without -v), kill
    ['status', 'status', 's', false, false],
    ['s', 'status', 's', false, false],
    ['sxyz', 'status', 's', false, false],
    ['up', 'control', 'u', false, false],
    ['down', 'control', 'd', false, false],
    ['once', 'control', 'o', false, false],
    ['pause', 'control', 'p', false, false],
    ['cont', 'control', 'c', false, false],
    ['hup', 'control', 'h', false, false],
    ['alarm', 'control', 'a', false, false],
    ['interrupt', 'control', 'i', false, false],
    ['quit', 'control', 'q', false, false],
    ['1', 'control', '1', false, false],
    ['2', 'control', '2', false, false],
    ['term', 'control', 't', false, false],
    ['t', 'control', 't', false, false],
    ['kill', 'control', 'k', false, false],
    ['exit', 'control', 'x', false, false],
    ['e', 'control', 'x', false, false],
    ['x', 'control', 'x', false, false],
    ['E', 'control', 'x', true, true],
    ['X', 'control', 'x', true, true],
    ['D', 'control', 'd', true, true],
    ['T', 'control', 'tc', true, true],
    ['start', 'control', 'u', true, false],
    ['stop', 'control', 'd', true, false],
    ['shutdown', 'control', 'x', true, false],
    ['reload', 'control', 'h', true, false],
    ['restart', 'control', 'tcu', true, false],
    ['try-restart', 'control', 'tc', true, false],
    ['check', 'none', 'C', true, false],
    ['force-reload', 'control', 'tc', true, true],
    ['force-restart', 'control', 'tcu', true, true],
    ['force-shutdown', 'control', 'x', true, true],
    ['force-stop', 'control', 'd', true, true],
  ];
  for (const [word, act, acts, wait, kill] of table) {
    assert.deepEqual(resolveCommand(word, false, false), { act, acts, wait, kill }, word);
  }
});

test('-v makes the plain signal commands wait, but not status', () => {
  for (const w of ['up', 'down', 'once', 'pause', 'cont', 'hup', 'term', 'kill', 'exit', '1']) {
    assert.equal(resolveCommand(w, false, true)?.wait, true, w);
  }
  assert.equal(resolveCommand('status', false, true)?.wait, false);
});

test('usage errors: unknown first chars, r/f words, case sensitivity, LSB s-words', () => {
  for (const w of ['', 'zap', 'rel', 'restar', 'force', 'force-up', 'Up', 'S', 'Status', 'checkx2']) {
    const c = resolveCommand(w, false, false);
    if (w === 'checkx2') assert.deepEqual(c, { act: 'control', acts: 'c', wait: false, kill: false });
    else assert.equal(c, undefined, w);
  }
  assert.equal(resolveCommand('sxyz', true, false), undefined);
  assert.equal(resolveCommand('s', true, false), undefined);
  assert.equal(resolveCommand('status', true, false)?.act, 'status');
  assert.equal(resolveCommand('start', true, false)?.acts, 'u');
});

test('skip rule: up is not re-sent to a want-up service, down only until TERM was sent', () => {
  assert.equal(skipSend('u', rec({ want: 'u' })), true);
  // tsinit: u during a restart-backoff pause is sent (it ends the pause)
  assert.equal(skipSend('u', rec({ want: 'u' }), true), false);
  assert.equal(skipSend('d', rec({ want: 'd', term: 1 }), true), true);
  assert.equal(skipSend('u', rec({ want: 'd' })), false);
  assert.equal(skipSend('d', rec({ want: 'd', term: 0 })), false);
  assert.equal(skipSend('d', rec({ want: 'd', term: 1 })), true);
  assert.equal(skipSend('tcu', rec({ want: 'u' })), false);
  assert.equal(skipSend('x', rec({ want: 'd' })), false);
  assert.equal(skipSend('k', rec({ want: 'd', term: 1 })), false);
});

test('u: waits through down, finish and a failing ./check, then passes', async () => {
  const c = ctx([false, true]);
  const seq = [
    rec({ want: 'u' }),
    rec({ pid: 40, state: 2, want: 'u' }),
    rec({ pid: 41, state: 1 }), // ./check says no
    rec({ pid: 41, state: 1 }), // ./check says yes
  ];
  const results = [];
  for (const st of seq) results.push(await checkAll('u', st, c));
  assert.deepEqual(results, [false, false, false, true]);
  assert.equal(c.runs, 2, './check only runs once the process is up');
});

test('d: pid 0 and state down', async () => {
  const c = ctx();
  assert.equal(await checkChar('d', rec({ pid: 9, state: 1, want: 'd', term: 1 }), c), false);
  assert.equal(await checkChar('d', rec({ pid: 9, state: 2, want: 'd' }), c), false);
  assert.equal(await checkChar('d', rec({ pid: 0, state: 0, want: 'd' }), c), true);
});

test('x never passes while runsv answers', async () => {
  assert.equal(await checkAll('x', rec({ want: 'd' }), ctx()), false);
});

test('restart (tcu): old process, TERM sent, new process after sv started', async () => {
  const c = ctx();
  const seq = [
    rec({ sec: T0 - 100, pid: 10, state: 1 }), // not yet restarted
    rec({ sec: T0 - 100, pid: 10, state: 1, term: 1 }), // got TERM
    rec({ sec: T0, pid: 11, state: 1, paused: 1 }), // restarted, but still paused: c fails
    rec({ sec: T0 + 1, pid: 11, state: 1 }),
  ];
  const results = [];
  for (const st of seq) results.push(await checkAll('tcu', st, c));
  assert.deepEqual(results, [false, false, false, true]);
});

test('t passes at once for a service that is down and wanted down', async () => {
  const c = ctx();
  assert.equal(await checkAll('tc', rec({ sec: T0 - 100, want: 'd' }), c), true);
  assert.equal(c.runs, 0);
  assert.equal(await checkAll('tc', rec({ sec: T0 - 100, want: 'u' }), c), false);
});

test('o: a down service must have changed since sv started; a running one must be want down', async () => {
  const c = ctx();
  assert.equal(await checkChar('o', rec({ sec: T0 - 5, want: 'd' }), c), false);
  assert.equal(await checkChar('o', rec({ sec: T0, want: 'd' }), c), true);
  assert.equal(await checkChar('o', rec({ pid: 3, state: 1, want: 'u' }), c), false);
  assert.equal(await checkChar('o', rec({ pid: 3, state: 1, want: 'd' }), c), true);
});

test('p and c follow the paused flag of a running service only', async () => {
  const c = ctx();
  assert.equal(await checkChar('p', rec({ pid: 3, state: 1 }), c), false);
  assert.equal(await checkChar('p', rec({ pid: 3, state: 1, paused: 1 }), c), true);
  assert.equal(await checkChar('p', rec({}), c), true);
  assert.equal(await checkChar('c', rec({ pid: 3, state: 1, paused: 1 }), c), false);
  assert.equal(await checkChar('c', rec({ pid: 3, state: 1 }), c), true);
});

test('C (sv check), 2.1.2 semantics: down passes without ./check, running needs ./check', async () => {
  const c = ctx([false, true]);
  assert.equal(await checkChar('C', rec({ want: 'u' }), c), true);
  assert.equal(c.runs, 0);
  assert.equal(await checkChar('C', rec({ pid: 5, state: 1 }), c), false);
  assert.equal(await checkChar('C', rec({ pid: 5, state: 1 }), c), true);
  assert.equal(c.runs, 2);
});

test('signal characters without a check pass at once', async () => {
  for (const ch of 'hai12q') assert.equal(await checkChar(ch, rec({ pid: 1, state: 1 }), ctx()), true, ch);
});
