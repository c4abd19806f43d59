// tsinit's chpst (and its alias names) side by side with Debian's: for a table
// of option combinations (chpst-cases.ts) the program is a shell snippet that
// reports what it inherited (argv, pid relation, session, nice, ids, cwd,
// descriptors, lock, limits, environment); that report, stdout, stderr and the
// exit code must be the same for both. Debian's aliases are symlinks to its chpst.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fromSource } from '../helpers/tsinit.ts';
import { cases, envDir, holdLock, impls, lockFile, probe, shared, tmp, type Case } from '../helpers/chpst-cases.ts';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
  report: string;
}

function runCase(c: Case, impl: 'tsinit' | 'debian'): Result {
  const report = path.join(shared, 'report');
  fs.rmSync(report, { force: true });
  fs.rmSync(lockFile, { force: true });
  const bin = impls[impl](c.tool ?? 'chpst');
  const prog = c.nested ? [impls[impl]('chpst'), ...c.nested] : (c.prog ?? ['sh', '-c', probe, 'sh', report]);
  const release = c.holdLock ? holdLock(c.holdLock) : undefined;
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', PWD: tmp, LANG: 'C', ...c.env };
  if (env.PATH === '') delete env.PATH;
  // The caller exports its pid as P, then execs chpst: same pid expected.
  const r = spawnSync('/bin/sh', ['-c', 'P=$$; export P; exec "$@"', 'caller', bin, ...c.args, ...prog], {
    cwd: tmp,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  release?.();
  // the caller's pid differs from run to run
  let text = fs.existsSync(report) ? fs.readFileSync(report, 'latin1').replace(/^P=\d+$/m, 'P=<caller>') : '';
  if (fromSource) text = normaliseSourceWrapper(text);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: text };
}

/**
 * From source, tsinit runs behind a dash wrapper, which reorders the
 * environment and re-exports PWD; compare the environment as a sorted set
 * then (the built executable is compared exactly).
 */
function normaliseSourceWrapper(text: string): string {
  const at = text.indexOf('\nenv:\n');
  if (at === -1) return text;
  const head = text.slice(0, at + 6);
  const env = text.slice(at + 6).split('\n').filter((l) => l !== '');
  return `${head}${env.sort().join('\n')}\n`;
}

for (const c of cases) {
  test(`${c.tool ?? 'chpst'} ${c.name}`, () => {
    const theirs = runCase(c, 'debian');
    const ours = runCase(c, 'tsinit');
    if (fromSource) theirs.report = normaliseSourceWrapper(theirs.report);
    assert.deepEqual(ours, theirs);
  });
}

test('the probe really observed something (sanity of the comparison)', () => {
  const r = runCase({ name: 'x', args: ['-u', 'nobody', '-n', '4', '-o', '77', '-P', '-e', envDir, '-L', lockFile], env: { LOCKF: lockFile } }, 'tsinit');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.report, /pid: same as the caller/);
  assert.match(r.report, /session is self: y; nice: 4/);
  assert.match(r.report, /uid: 65534 gid: 65534 groups: 65534\n/);
  assert.match(r.report, /lock: held/);
  assert.match(r.report, /Max open files\s+77\s+/);
  assert.match(r.report, /\nA=value with trailing\n/);
  assert.match(r.report, /\nB=a\n/); // (its NUL-made newlines follow, unless sorted)
  assert.doesNotMatch(r.report, /\nHOME=/);
});

test('exec chpst keeps the pid: the caller\'s $! is the program\'s $$', () => {
  const out = path.join(tmp, 'pids');
  const script = `"$CHPST" sh -c 'echo $$ >"$OUT"; exec sleep 0.2' & echo $! >"$OUT.parent"; wait`;
  for (const impl of ['tsinit', 'debian'] as const) {
    fs.rmSync(out, { force: true });
    execFileSync('sh', ['-c', script], { env: { ...process.env, CHPST: impls[impl]('chpst'), OUT: out } });
    assert.equal(fs.readFileSync(out, 'utf8'), fs.readFileSync(`${out}.parent`, 'utf8'), impl);
  }
});
