// `--help` beside Debian's runit 2.1.2: a lone `--help` gives tsinit's help
// with runit's stream and exit code (stderr, nothing on stdout); `--help`
// followed by more words stays runit's end of options and does exactly what
// Debian's tool does. tsinit's own commands: help on stdout, exit 0.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debianRunit } from '../../testkit/debian.ts';
import { tool } from '../helpers/tsinit.ts';

const deb = debianRunit();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-help-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runIt(file: string, args: string[], input = ''): Result {
  const r = spawnSync(file, args, { cwd: tmp, encoding: 'utf8', input, timeout: 60000, env: { PATH: '/usr/bin:/bin', SVDIR: tmp } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A link named `name` to `target` (Debian's chpst reads its alias name from argv[0]). */
function named(dir: string, name: string, target: string): string {
  fs.mkdirSync(path.join(tmp, dir), { recursive: true });
  const p = path.join(tmp, dir, name);
  if (!fs.existsSync(p)) fs.symlinkSync(target, p);
  return p;
}

// Debian prints its usage for a lone --help (too few arguments or an unknown option).
const usageTools = [
  ['sv', deb.sv],
  ['chpst', deb.chpst],
  ['svlogd', deb.svlogd],
  ['runsvdir', deb.runsvdir],
  ['utmpset', deb.utmpset],
  ['envdir', deb.chpst],
  ['envuidgid', deb.chpst],
  ['setuidgid', deb.chpst],
  ['softlimit', deb.chpst],
  ['setlock', deb.chpst],
] as const;

for (const [name, debBinary] of usageTools) {
  test(`${name} --help: tsinit's help where Debian prints its usage, same stream and exit code`, () => {
    const d = runIt(named('debian', name, debBinary), ['--help']);
    const t = runIt(named('tsinit', name, tool(name)), ['--help']);
    assert.match(d.stderr, /^usage: /, `Debian's ${name} prints its usage`);
    assert.equal(t.status, d.status, t.stderr);
    assert.equal(t.stdout, d.stdout);
    assert.match(t.stderr, new RegExp(`^usage: ${name} `));
    assert.ok(t.stderr.length > d.stderr.length && t.stderr.includes('docs/reference.md'), `more than the usage line:\n${t.stderr}`);
  });
}

test('sv --help shows --json; the usage of a real usage error stays runit\'s', () => {
  const t = runIt(tool('sv'), ['--help']);
  assert.match(t.stderr, /--json/);
  const d = runIt(deb.sv, []);
  assert.equal(runIt(tool('sv'), []).stderr, d.stderr);
  assert.equal(runIt(tool('sv'), ['-x']).stderr, runIt(deb.sv, ['-x']).stderr);
});

test('--help followed by more words is the end of the options, as in runit', () => {
  const cases: [string, string, string[]][] = [
    [deb.sv, tool('sv'), ['--help', 'status', 'nonexistent']],
    [deb.chpst, tool('chpst'), ['--help', 'echo', 'hi']],
    [deb.svlogd, tool('svlogd'), ['--help', path.join(tmp, 'no-such-log-dir')]],
  ];
  for (const [d, t, args] of cases) {
    const dr = runIt(d, args);
    const tr = runIt(t, args);
    assert.deepEqual(tr, dr, `${path.basename(t)} ${args.join(' ')}`);
  }
});

test("tsinit's own commands and tsinit itself: --help on stdout, exit 0", () => {
  for (const args of [['--help'], ['-h'], ['check', '--help'], ['health', '--help'], ['events', '--help'], ['halt', '--help'], ['install', '--help']]) {
    const r = runIt(tool('tsinit'), args);
    assert.equal(r.status, 0, `tsinit ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^usage: tsinit/);
  }
  const all = runIt(tool('tsinit'), ['--help']).stdout;
  for (const name of ['health', 'events', 'check', 'halt', 'install', 'sv', 'runsv', 'runsvdir', 'chpst', 'svlogd', 'runsvchdir', 'utmpset', 'runit', 'runit-init', 'envdir', 'setlock']) {
    assert.match(all, new RegExp(`\\b${name}\\b`), name);
  }
  // `install --help` is help, not a directory named --help
  assert.equal(fs.existsSync(path.join(tmp, '--help')), false);
});

test('runsv, runsvchdir, pgrphack, runit: help (with their usage exit code) where Debian would take --help for an operand', () => {
  for (const [name, code] of [['runsv', 1], ['runsvchdir', 1], ['pgrphack', 100], ['runit', 111]] as const) {
    const r = runIt(named('tsinit', name, tool(name)), ['--help']);
    assert.equal(r.status, code, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^usage: ${name}`));
  }
});
