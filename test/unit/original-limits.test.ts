// Which open-files soft limit children get back (Node raised tsinit's own).
import test from 'node:test';
import assert from 'node:assert/strict';
import { originalSoft, parseNofile } from '../../src/process/original-limits.ts';

const INF = 0xffffffffffffffffn;

test('parseNofile reads /proc/PID/limits', () => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 16384                files     \n';
  assert.deepEqual(parseNofile(text), { soft: 1024n, hard: 16384n });
  assert.deepEqual(parseNofile('Max open files            unlimited            unlimited            files\n'), { soft: INF, hard: INF });
  assert.equal(parseNofile('nothing'), undefined);
});

test('TSINIT_RLIMIT_NOFILE wins, capped at the hard limit; equal to ours means nothing to restore', () => {
  const own = { soft: 16384n, hard: 16384n };
  assert.equal(originalSoft(own, '1024', { soft: 50n, hard: 16384n }), 1024n);
  assert.equal(originalSoft(own, '99999', undefined), undefined);
  assert.equal(originalSoft(own, ' 2048\n', undefined), 2048n);
  assert.equal(originalSoft(own, 'unlimited', undefined), undefined);
  assert.equal(originalSoft({ soft: 1024n, hard: 16384n }, 'unlimited', undefined), 16384n);
});

test('the parent\'s soft limit, when it shares our hard limit and was not raised itself', () => {
  const own = { soft: 16384n, hard: 16384n };
  assert.equal(originalSoft(own, undefined, { soft: 1024n, hard: 16384n }), 1024n);
  assert.equal(originalSoft(own, undefined, { soft: 16384n, hard: 16384n }), undefined, 'a raised (Node) parent tells nothing');
  assert.equal(originalSoft(own, undefined, { soft: 1024n, hard: 4096n }), undefined, 'another hard limit: not our lineage');
  assert.equal(originalSoft(own, undefined, undefined), undefined, 'PID 1: no parent to ask');
  assert.equal(originalSoft(own, 'junk', { soft: 1024n, hard: 16384n }), undefined, 'a bad variable is not a reason to guess');
});
