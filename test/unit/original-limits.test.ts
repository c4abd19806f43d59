// Which open-files soft limit children get back (Node raised tsinit's own).
import test from 'node:test';
import assert from 'node:assert/strict';
import { originalSoft, parseNofile } from '../../src/process/original-limits.ts';
import { readSetting } from '../../src/settings.ts';

const INF = 0xffffffffffffffffn;

test('parseNofile reads /proc/PID/limits', () => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 16384                files     \n';
  assert.deepEqual(parseNofile(text), { soft: 1024n, hard: 16384n });
  assert.deepEqual(parseNofile('Max open files            unlimited            unlimited            files\n'), { soft: INF, hard: INF });
  assert.equal(parseNofile('nothing'), undefined);
});

test('TSINIT_RLIMIT_NOFILE wins, capped at the hard limit; equal to ours means nothing to restore', () => {
  const own = { soft: 16384n, hard: 16384n };
  assert.equal(originalSoft(own, 1024n, { soft: 50n, hard: 16384n }), 1024n);
  assert.equal(originalSoft(own, 99999n, undefined), undefined);
  assert.equal(originalSoft(own, 2048n, undefined), 2048n);
  assert.equal(originalSoft(own, 'unlimited', undefined), undefined);
  assert.equal(originalSoft({ soft: 1024n, hard: 16384n }, 'unlimited', undefined), 16384n);
});

test('the parent\'s soft limit, when it shares our hard limit and was not raised itself', () => {
  const own = { soft: 16384n, hard: 16384n };
  assert.equal(originalSoft(own, null, { soft: 1024n, hard: 16384n }), 1024n);
  assert.equal(originalSoft(own, null, { soft: 16384n, hard: 16384n }), undefined, 'a raised (Node) parent tells nothing');
  assert.equal(originalSoft(own, null, { soft: 1024n, hard: 4096n }), undefined, 'another hard limit: not our lineage');
  assert.equal(originalSoft(own, null, undefined), undefined, 'PID 1: no parent to ask');
  // A bad value is what settings.ts warns about and replaces by the default (no value): the parent is asked.
  assert.equal(readSetting('rlimitNofile', { TSINIT_RLIMIT_NOFILE: 'junk' }), null);
});
