import test from 'node:test';
import assert from 'node:assert/strict';
import { parseRunsvdirArgs } from '../../src/supervise/runsvdir-main.ts';

test('plain dir, dir and log', () => {
  assert.deepEqual(parseRunsvdirArgs(['/etc/service']), { sessionMode: false, dir: '/etc/service', log: undefined, beforeLog: ['/etc/service'] });
  assert.deepEqual(parseRunsvdirArgs(['/s', 'log: ....']), { sessionMode: false, dir: '/s', log: 'log: ....', beforeLog: ['/s'] });
});

test('-P (any -P...) is session mode and is skipped; -- (any --...) is skipped', () => {
  assert.deepEqual(parseRunsvdirArgs(['-P', '/s', 'log: ....']), { sessionMode: true, dir: '/s', log: 'log: ....', beforeLog: ['-P', '/s'] });
  assert.equal(parseRunsvdirArgs(['-Pxyz', '/s'])?.sessionMode, true);
  assert.deepEqual(parseRunsvdirArgs(['--', '-s']), { sessionMode: false, dir: '-s', log: undefined, beforeLog: ['--', '-s'] });
  assert.equal(parseRunsvdirArgs(['--foo', '/s'])?.dir, '/s');
});

test('only the first argument is looked at: any other -X is the directory, and the real one the log', () => {
  assert.deepEqual(parseRunsvdirArgs(['-X', '/s']), { sessionMode: false, dir: '-X', log: '/s', beforeLog: ['-X'] });
  assert.equal(parseRunsvdirArgs(['/s', '-P'])?.log, '-P');
  assert.equal(parseRunsvdirArgs(['-P', '-P'])?.dir, '-P');
});

test('no directory: usage', () => {
  assert.equal(parseRunsvdirArgs([]), undefined);
  assert.equal(parseRunsvdirArgs(['-P']), undefined);
  assert.equal(parseRunsvdirArgs(['--']), undefined);
});
