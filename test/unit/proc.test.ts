import test from 'node:test';
import assert from 'node:assert/strict';
import { descendantsOf, parseProcStat, type ProcEntry } from '../../src/process/proc.ts';

test('parses /proc/PID/stat with spaces and parentheses in comm', () => {
  const e = parseProcStat('1234 (my (odd) prog) S 1 1234 1200 0 -1 4194560 97 0 0 0');
  assert.deepEqual(e, { pid: 1234, ppid: 1, pgrp: 1234, session: 1200, state: 'S', comm: 'my (odd) prog' });
  assert.equal(parseProcStat('garbage'), undefined);
});

test('descendants follow the ppid chain and exclude unrelated trees', () => {
  const p = (pid: number, ppid: number): ProcEntry => ({ pid, ppid, pgrp: pid, session: pid, state: 'S', comm: 'x' });
  const procs = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(30, 99), p(31, 30)];
  assert.deepEqual(descendantsOf(10, procs).sort((a, b) => a - b), [11, 12]);
  assert.deepEqual(descendantsOf(1, procs).sort((a, b) => a - b), [10, 11, 12, 20]);
  assert.deepEqual(descendantsOf(99, procs).sort((a, b) => a - b), [30, 31]);
  assert.deepEqual(descendantsOf(12, procs), []);
});
