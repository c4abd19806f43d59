// Arguments that are not UTF-8 are recovered from the command line's bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { rawArgs, rawNames } from '../../src/util/raw-argv.ts';

const cmdline = (...words: Buffer[]): Buffer => Buffer.concat(words.flatMap((w) => [w, Buffer.alloc(1)]));

test('the bytes of an argument Node decoded with U+FFFD', () => {
  const cafe = Buffer.from('caf\xe9', 'latin1');
  const line = cmdline(Buffer.from('/usr/bin/sv'), Buffer.from('status'), cafe, Buffer.from('web'));
  const args = ['status', cafe.toString(), 'web'];
  assert.equal(args[1], 'caf\uFFFD');
  assert.deepEqual(rawArgs(args, line), [Buffer.from('status'), cafe, Buffer.from('web')]);
  const m = rawNames(args, line);
  assert.deepEqual([...m.keys()], ['caf\uFFFD']);
  assert.deepEqual(m.get('caf\uFFFD'), cafe);
});

test('nothing when the command line does not match (a changed process title) or all is UTF-8', () => {
  const cafe = Buffer.from('caf\xe9', 'latin1');
  assert.equal(rawArgs(['status', 'caf\uFFFD'], cmdline(Buffer.from('renamed process'))), undefined);
  assert.equal(rawArgs(['x', 'caf\uFFFD'], cmdline(Buffer.from('sv'), Buffer.from('status'), cafe)), undefined);
  assert.equal(rawNames(['status', 'caf\u00e9'], cmdline(Buffer.from('sv'), Buffer.from('status'), Buffer.from('caf\u00e9'))).size, 0);
});
