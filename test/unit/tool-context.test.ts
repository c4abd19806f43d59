// A tool is a function of its context: run through a ToolContext (its own
// environment, directory and descriptors) it leaves this process alone - no
// chdir, nothing on this process's stdout/stderr, process.env not consulted.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../../src/tool.ts';
import { main as runsvchdir } from '../../src/tools/runsvchdir.ts';
import { main as utmpset } from '../../src/tools/utmpset.ts';
import { main as health } from '../../src/observe/health-main.ts';
import { main as check } from '../../src/check/main.ts';

interface Run {
  ctx: ToolContext;
  stdout(): string;
  stderr(): string;
  close(): void;
}

/** A context whose stdout and stderr are files in dir (not this process's 1 and 2). */
function context(dir: string, argv0: string, args: string[], env: Record<string, string>): Run {
  const o = path.join(dir, `${argv0}.out`);
  const e = path.join(dir, `${argv0}.err`);
  const stdout = fs.openSync(o, 'w+');
  const stderr = fs.openSync(e, 'w+');
  return {
    ctx: { argv0, args, env, cwd: dir, stdin: stdout, stdout, stderr, uid: os.userInfo().uid, gid: os.userInfo().gid },
    stdout: () => fs.readFileSync(o, 'utf8'),
    stderr: () => fs.readFileSync(e, 'utf8'),
    close: () => {
      fs.closeSync(stdout);
      fs.closeSync(stderr);
    },
  };
}

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-toolctx-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('runsvchdir through its context: RUNSVDIR relative to the context directory, output to its stdout, no chdir', (t) => {
  const dir = tmp(t);
  const tree = path.join(dir, 'runsvdir');
  fs.mkdirSync(path.join(tree, 'a'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'b'));
  fs.symlinkSync('a', path.join(tree, 'current'));
  const before = process.cwd();
  delete process.env.RUNSVDIR;
  const r = context(dir, 'runsvchdir', ['b'], { RUNSVDIR: 'runsvdir' });
  try {
    assert.equal(runsvchdir(r.ctx), 0, r.stderr());
    assert.equal(r.stdout(), 'runsvchdir: b: now current.\n');
    assert.equal(fs.readlinkSync(path.join(tree, 'current')), 'b');
    assert.equal(fs.readlinkSync(path.join(tree, 'previous')), 'a');
    assert.equal(runsvchdir(r.ctx), 0);
    assert.equal(r.stdout(), 'runsvchdir: b: now current.\nrunsvchdir: b: current.\n');
    // runit's messages for a tree that is not there
    const bad = context(dir, 'runsvchdir', ['b'], { RUNSVDIR: 'missing' });
    assert.equal(runsvchdir(bad.ctx), 111);
    assert.equal(bad.stderr(), 'runsvchdir: fatal: unable to chdir: missing: file does not exist\n');
    bad.close();
  } finally {
    r.close();
  }
  assert.equal(process.cwd(), before);
});

test('utmpset through its context: usage on its stderr', (t) => {
  const dir = tmp(t);
  const r = context(dir, 'utmpset', [], {});
  try {
    assert.equal(utmpset(r.ctx), 1);
    assert.equal(r.stderr(), 'usage: utmpset [-w] line\n\n');
    assert.equal(r.stdout(), '');
  } finally {
    r.close();
  }
});

test('tsinit health through its context: the service directory from its environment and directory', (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/bin/sh\n', { mode: 0o755 });
  const r = context(dir, 'health', [], { TSINIT_SERVICE_DIR: 'svc' });
  try {
    assert.equal(health(r.ctx), 1);
    assert.match(r.stdout(), /^web: /);
    const empty = context(dir, 'health-empty', [path.join(dir, 'runsvdir-none')], {});
    fs.mkdirSync(path.join(dir, 'runsvdir-none'));
    assert.equal(health(empty.ctx), 0);
    assert.equal(empty.stdout(), '');
    empty.close();
    const bad = context(dir, 'health-bad', ['--bogus'], {});
    assert.equal(health(bad.ctx), 100);
    assert.match(bad.stderr(), /unknown argument: --bogus/);
    bad.close();
  } finally {
    r.close();
  }
});

test('tsinit check through its context: the report on its stdout', (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
  const r = context(dir, 'check', ['--json'], { TSINIT_SERVICE_DIR: path.join(dir, 'svc'), PATH: '/usr/bin:/bin' });
  try {
    const code = check(r.ctx);
    const report = JSON.parse(r.stdout()) as { errors: number; warnings: number };
    assert.equal(code, report.errors > 0 ? 2 : 0);
    assert.equal(r.stderr(), '');
  } finally {
    r.close();
  }
});
