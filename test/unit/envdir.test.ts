import test from 'node:test';
import assert from 'node:assert/strict';
import { applyEnvChanges, envdirValue, envEntry, envGet } from '../../src/chpst/envdir.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const empty = Buffer.alloc(0);

function value(content: string | null, previous = empty): string | null {
  const v = envdirValue(content === null ? null : b(content), previous).value;
  return v === null ? null : v.toString('latin1');
}

// The cases of the reference transcript (runit-behaviour.md 12.7).
test('first line only, trailing spaces and tabs removed', () => {
  assert.equal(value('value with trailing  \t \nsecond line\n'), 'value with trailing');
});

test('NUL bytes become newlines', () => {
  assert.equal(value('a\0b\0c'), 'a\nb\nc');
});

test('a 0-byte file removes the variable', () => {
  assert.equal(value(''), null);
});

test('a file holding just a newline sets the empty string', () => {
  assert.equal(value('\n'), '');
});

test('"=" inside the value is kept', () => {
  assert.equal(value('x=y\n'), 'x=y');
});

test('no newline at EOF: the whole content; leading spaces stay', () => {
  assert.equal(value('  lead\tin '), '  lead\tin');
  assert.equal(value(' \t '), '');
});

test('only spaces before the cut are trimmed, not after it', () => {
  assert.equal(value('a \nb  '), 'a');
});

test('non-UTF-8 bytes pass through untouched', () => {
  const v = envdirValue(Buffer.from([0xff, 0xfe, 0x0a]), empty).value;
  assert.deepEqual(v, Buffer.from([0xff, 0xfe]));
});

test('a file gone before it could be opened reuses the previous buffer (runit quirk)', () => {
  const first = envdirValue(b('abc\n'), empty);
  assert.equal(first.value?.toString(), 'abc');
  // the buffer now holds "abc\0": read again, its NUL becomes a newline
  assert.equal(envdirValue(null, first.buffer).value?.toString(), 'abc\n');
  // a previous value with a NUL-made newline is cut there
  const withNul = envdirValue(b('x\0y'), empty);
  assert.equal(envdirValue(null, withNul.buffer).value?.toString(), 'x');
  // nothing read before, or an empty file before: unset
  assert.equal(envdirValue(null, empty).value, null);
  const emptied = envdirValue(b(''), first.buffer);
  assert.equal(envdirValue(null, emptied.buffer).value, null);
});

test('changes: existing variable removed by moving the last into its slot, new one appended', () => {
  const env = ['A=1', 'B=2', 'C=3', 'D=4'].map(b);
  const out = applyEnvChanges(env, [envEntry('B', 'x')]).map((e) => e.toString());
  assert.deepEqual(out, ['A=1', 'D=4', 'C=3', 'B=x']);
});

test('changes: unset removes only the first match; unknown names are no-ops', () => {
  const env = ['A=1', 'A=2', 'B=3'].map(b);
  assert.deepEqual(applyEnvChanges(env, [envEntry('A', null)]).map(String), ['B=3', 'A=2']);
  assert.deepEqual(applyEnvChanges(env, [envEntry('Z', null)]).map(String), ['A=1', 'A=2', 'B=3']);
});

test('changes: prefix names do not match (AB vs A), entries without "=" are not variables', () => {
  const env = ['AB=1', 'A', 'A=2'].map(b);
  assert.deepEqual(applyEnvChanges(env, [envEntry('A', 'n')]).map(String), ['AB=1', 'A', 'A=n']);
});

test('changes: a file name with "=" splits at its first "=" (runit does not validate)', () => {
  const env = ['A=old', 'K=1'].map(b);
  assert.deepEqual(applyEnvChanges(env, [envEntry('A=B', 'x')]).map(String), ['K=1', 'A=B=x']);
});

test('changes apply in order: later ones see earlier ones', () => {
  const env = ['PATH=/bin'].map(b);
  const out = applyEnvChanges(env, [envEntry('X', '1'), envEntry('GID', '5'), envEntry('X', null), envEntry('UID', '6')]);
  assert.deepEqual(out.map(String), ['PATH=/bin', 'GID=5', 'UID=6']); // GID moved into X's slot
});

test('env_get finds the first NAME= entry', () => {
  const env = ['PATHX=1', 'PATH=/a', 'PATH=/b'].map(b);
  assert.equal(envGet(env, 'PATH')?.toString(), '/a');
  assert.equal(envGet(env, 'HOME'), undefined);
});
