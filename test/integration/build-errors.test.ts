// build.mjs on a machine that lacks something: one line naming what is missing
// (and the Debian package that has it), exit 1, no stack trace. README's
// fresh-machine command depends on these lines to tell a new user what to do.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';
import { nodeBinOf } from '../../testkit/dist.ts';

const buildScript = path.join(repoRoot, 'build.mjs');

function build(node: string, args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(node, [buildScript, ...args], { cwd: repoRoot, encoding: 'utf8', env, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('no gcc in PATH: one line naming gcc and its package, exit 1', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-build-path-'));
  try {
    // node by its absolute path; PATH holds nothing, so gcc is not found
    const r = build(process.execPath, ['--helper'], { PATH: empty, HOME: os.tmpdir() });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, `build.mjs: gcc not found, needed to build the exec helper for ${os.arch()}: apt-get install gcc\n`);
    assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at /, 'no stack trace');
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('CC_TSINIT_EXEC naming a missing compiler: the line says where the name came from', () => {
  const r = build(process.execPath, ['--helper'], { PATH: process.env.PATH, HOME: os.tmpdir(), CC_TSINIT_EXEC: '/nonexistent/cc' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `build.mjs: /nonexistent/cc not found, needed to build the exec helper for ${os.arch()} (set by CC_TSINIT_EXEC)\n`);
});

test('a Node older than 24 runs build.mjs: one line saying to use npm run build', () => {
  const node22 = path.join(nodeBinOf(22), 'node');
  const r = build(node22, ['--helper'], { PATH: process.env.PATH, HOME: os.tmpdir() });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^build\.mjs: Node 24 is needed, this is Node 22\.\d+\.\d+: run `npm ci` and then `npm run build` \(npm scripts use node_modules\/\.bin\/node\)\n$/);
});
