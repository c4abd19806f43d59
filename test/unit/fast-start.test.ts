// fast-start.ts: a start script is read once (readStartScript) and the text
// handed to fastChpstStart; log/run's start uses it for both the in-process
// svlogd look and the chpst fast path (it read the file twice before).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execHelperPath } from '../../native/exec-helper.ts';
import { fastChpstStart, readStartScript } from '../../src/supervise/fast-start.ts';

function tmp(t: test.TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fast-start-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('readStartScript: the text of a regular executable file of at most 4096 bytes, else null', (t) => {
  const dir = tmp(t);
  const run = path.join(dir, 'run');
  fs.writeFileSync(run, '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
  assert.equal(readStartScript(run), '#!/bin/sh\nexec sleep 1\n');
  const plain = path.join(dir, 'plain');
  fs.writeFileSync(plain, '#!/bin/sh\nexec sleep 1\n', { mode: 0o644 });
  assert.equal(readStartScript(plain), null);
  const big = path.join(dir, 'big');
  fs.writeFileSync(big, `#!/bin/sh\n${'#'.repeat(4096)}\n`, { mode: 0o755 });
  assert.equal(readStartScript(big), null);
  assert.equal(readStartScript(dir), null);
  assert.equal(readStartScript(path.join(dir, 'missing')), null);
});

test('fastChpstStart: given the text it plans from it without reading the file; given null, no fast start', (t) => {
  // no fast start at all without the exec helper (build/tsinit-exec from a checkout)
  if (execHelperPath() === undefined) {
    t.skip('the exec helper is not built: node build.mjs --helper');
    return;
  }
  const dir = tmp(t);
  // "tsinit's chpst" is this very executable (probeFile compares with process.execPath)
  fs.symlinkSync(process.execPath, path.join(dir, 'chpst'));
  const text = '#!/bin/sh\nexec 2>&1\nexec chpst -u nobody sleep 1\n';
  const run = path.join(dir, 'run');
  fs.writeFileSync(run, text, { mode: 0o755 });
  const env = [`PATH=${dir}:/usr/bin:/bin`];
  const fromFile = fastChpstStart(run, dir, env);
  assert.equal(typeof fromFile, 'object', 'the one-liner has a fast start');
  assert.deepEqual(fastChpstStart(path.join(dir, 'missing'), dir, env, text), fromFile);
  assert.equal(fastChpstStart(run, dir, env, null), undefined);
});
