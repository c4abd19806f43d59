import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const root = path.join(import.meta.dirname, '../..');

test('the bundle is ASCII only (a single character beyond Latin-1 doubles the main script in every process)', () => {
  execFileSync(process.execPath, [path.join(root, 'build.mjs'), '--bundle'], { cwd: root, stdio: 'ignore' });
  const bytes = fs.readFileSync(path.join(root, 'build', 'tsinit.cjs'));
  const at = bytes.findIndex((b) => b > 0x7f);
  assert.equal(at, -1, `a byte beyond ASCII at ${at}: ${bytes.subarray(Math.max(0, at - 60), at + 20).toString('utf8')}`);
});
