// runsvchdir: upstream's runsvchdir.check, then every message and exit code
// side by side with Debian's binary. Debian's is hard-wired to
// /etc/runit/runsvdir, so both run in a private mount namespace with an
// overlay on /etc; tsinit's RUNSVDIR override (runit 2.3.0) is tested apart.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromSource, tool, toolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runsvchdir-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sh(script: string, binDir: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('sh', ['-c', script], {
    env: { ...process.env, ...env, PATH: `${binDir}:${process.env.PATH}` },
    encoding: 'utf8',
  });
}

test('runsvchdir.check: usage, exit 1', () => {
  const check = 'runsvchdir 2>&1; echo $?';
  const expected = 'usage: runsvchdir dir\n\n1\n';
  assert.equal(sh(check, toolBin()), expected);
  assert.equal(sh(check, path.dirname(debianRunit().runsvchdir)), expected);
});

// Runs in /etc/runit/runsvdir of a private overlay; prints what runsvchdir
// printed (both streams), its exit code, and the links it left.
const scenario = `
set -u
exec 2>&1
mkdir -p /etc/runit/runsvdir && cd /etc/runit/runsvdir
mkdir default single && ln -s default current && touch afile
r() { runsvchdir "$@"; echo "exit $?"; }
show() { echo "current -> $(readlink current 2>/dev/null)"; echo "previous -> $(readlink previous 2>/dev/null)"; ls -A | tr '\\n' ' '; echo; }
r .hidden
r nosuch
r ''
r afile
r default
show
r single
show
r /etc/runit/runsvdir/default
show
ln -s nowhere current.new
r single
show
mv current cur.saved
r default
mv cur.saved current
rmdir default
r default
r single
show
`;

function inNamespace(binDir: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'ns-'));
  fs.mkdirSync(path.join(dir, 'u'));
  fs.mkdirSync(path.join(dir, 'w'));
  const r = spawnSync(
    'unshare',
    ['--mount', 'sh', '-c', `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/u,workdir=${dir}/w /etc && sh -c "$SCENARIO"`],
    { env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, SCENARIO: scenario }, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('messages, exit codes and links equal Debian runsvchdir', (t) => {
  const ours = inNamespace(toolBin());
  const theirs = inNamespace(path.dirname(debianRunit().runsvchdir));
  assert.equal(ours, theirs);
  // and what that is, spelled out for the main cases
  for (const line of [
    'runsvchdir: fatal: .hidden: must not start with a dot.',
    'runsvchdir: fatal: nosuch: file does not exist',
    'runsvchdir: fatal: afilenot a directory.',
    'runsvchdir: default: current.',
    'runsvchdir: single: now current.',
    'current -> single',
    'previous -> default',
    'runsvchdir: fatal: unable to stat: current: file does not exist',
  ]) {
    assert.ok(ours.includes(`${line}\n`), `missing: ${line}\n${ours}`);
  }
  t.diagnostic(ours);
});

test('RUNSVDIR overrides /etc/runit/runsvdir (runit 2.3.0 extension)', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'svdir-'));
  fs.mkdirSync(path.join(dir, 'a'));
  fs.mkdirSync(path.join(dir, 'b'));
  fs.symlinkSync('a', path.join(dir, 'current'));
  const r = spawnSync(tool('runsvchdir'), ['b'], { env: { ...process.env, RUNSVDIR: dir }, encoding: 'utf8' });
  assert.equal(r.stdout, 'runsvchdir: b: now current.\n');
  assert.equal(r.status, 0);
  assert.equal(fs.readlinkSync(path.join(dir, 'current')), 'b');
  assert.equal(fs.readlinkSync(path.join(dir, 'previous')), 'a');
  const env = { ...process.env, RUNSVDIR: path.join(dir, 'nope') };
  const missing = spawnSync(tool('runsvchdir'), ['b'], { env, encoding: 'utf8', argv0: 'runsvchdir' });
  assert.equal(missing.stderr, `runsvchdir: fatal: unable to chdir: ${path.join(dir, 'nope')}: file does not exist\n`);
  assert.equal(missing.status, 111);
  if (!fromSource) {
    // as runit: fatal messages start with argv[0] exactly as invoked
    const full = spawnSync(tool('runsvchdir'), ['b'], { env, encoding: 'utf8' });
    assert.equal(full.stderr, `${tool('runsvchdir')}: fatal: unable to chdir: ${path.join(dir, 'nope')}: file does not exist\n`);
  }
});
