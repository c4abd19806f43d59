import test from 'node:test';
import assert from 'node:assert/strict';
import { ProcTitleLog } from '../../src/supervise/proctitle-log.ts';

test('each byte shifts index 6.. left by one and lands last; the first five stay', () => {
  const shown: string[] = [];
  const t = new ProcTitleLog('log: .........', (s) => shown.push(s));
  t.push(Buffer.from('ab'));
  assert.equal(t.text(), 'log: .......ab');
  assert.deepEqual(shown, ['log: .......ab']);
  t.push(Buffer.from('cdefghijkl'));
  // 12 bytes through a 9-byte window: the last 9 remain, the size never changes
  assert.equal(t.text(), 'log: defghijkl');
});

test('index 5 is overwritten by the first shift (runit keeps characters 0-4 only)', () => {
  const t = new ProcTitleLog('abcdeXYZ', () => {});
  t.push(Buffer.from('1'));
  assert.equal(t.text(), 'abcdeYZ1');
});

test('NUL bytes are dropped, newlines kept', () => {
  const shown: string[] = [];
  const t = new ProcTitleLog('log: ....', (s) => shown.push(s));
  t.push(Buffer.from([0, 0]));
  assert.deepEqual(shown, []);
  t.push(Buffer.from('a\n'));
  assert.equal(t.text(), 'log: ..a\n');
});

test('fewer than seven characters is refused', () => {
  assert.throws(() => new ProcTitleLog('log: x', () => {}), RangeError);
});
