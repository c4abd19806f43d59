// chpst's fast path decisions (pure, with a fake system): which one-liners
// qualify, the helper's operation list in runit's order, and every case that
// must fall back to a real chpst.
import test from 'node:test';
import assert from 'node:assert/strict';
import { planFastChpst, shellLookup, type FastPlanSystem } from '../../src/chpst/fast-plan.ts';
import { parseExecOneLiner } from '../../src/supervise/run-script.ts';
import type { AccountDb } from '../../src/chpst/ids.ts';

const TSINIT = '/usr/bin/tsinit';
const links = new Set(['/bin/chpst', '/bin/setuidgid', '/bin/envdir', '/bin/softlimit', '/bin/setlock', '/bin/pgrphack', '/bin/envuidgid', TSINIT]);
const programs = new Set(['/usr/bin/prog', '/bin/sh', '/srv/app/local']);

const db: AccountDb = {
  user: (name) => ({ app: { uid: 1000, gid: 1001 }, nobody: { uid: 65534, gid: 65534 } })[name],
  group: (name) => ({ adm: 4, app: 1001 })[name],
};

function sys(over: Partial<FastPlanSystem> = {}): FastPlanSystem {
  return {
    cwd: '/srv/app',
    probe: (file) => {
      if (links.has(file)) return { executable: true, tsinit: true, otherExec: true };
      if (programs.has(file)) return { executable: true, tsinit: false, otherExec: true };
      return undefined;
    },
    db,
    readEnvdir: (_base, dir) => {
      if (dir !== './env') throw new Error('unable to switch to directory');
      return [Buffer.from('FOO=bar'), Buffer.from('GONE'), Buffer.from([0x4c, 0x3d, 0xe9])];
    },
    hardLimit: () => 4096n,
    nice: 0,
    root: true,
    ...over,
  };
}

const ENV = ['PATH=/bin:/usr/bin', 'HOME=/'];
const plan = (line: string, s = sys(), env = ENV): string[] | undefined => planFastChpst(line.split(' '), env, s);
/** The operations without the errno table and the M (message) operations. */
function bare(ops: string[] | undefined): string[] | undefined {
  if (!ops) return undefined;
  const out: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as string;
    if (op === '--') return [...out, ...ops.slice(i)];
    if (op === 'T') i += 1;
    else if (op === 'M') i += 2;
    else out.push(op);
  }
  return out;
}

test('one-liner parsing: shebang, comments, set -e, exec 2>&1; anything else is not it', () => {
  assert.deepEqual(parseExecOneLiner('#!/bin/sh\n# x\nset -e\nexec 2>&1\nexec chpst -u app prog\n'), {
    interpreter: '/bin/sh',
    words: ['chpst', '-u', 'app', 'prog'],
    stderrToStdout: true,
  });
  assert.equal(parseExecOneLiner('#!/bin/bash -e\nexec prog a\n')?.interpreterArg, '-e');
  for (const bad of ['#!/bin/sh\nX=1\nexec prog\n', '#!/bin/sh\nexec prog "$@"\n', '#!/bin/sh\nexec prog >x\n', '#!/usr/bin/python\nexec prog\n', '#!/bin/sh\nexec prog\necho after\n', '#!/bin/sh\nprog\n']) {
    assert.equal(parseExecOneLiner(bad), undefined, bad);
  }
});

test('chpst -u: setgroups, setgid, setuid with runit\'s messages, then the PATH candidates and argv', () => {
  const ops = plan('chpst -u app:adm prog a b') as string[];
  // user:group replaces the groups by that group (runit's uidgids_get)
  assert.deepEqual(bare(ops), ['G', '1', '4', 'g', '4', 'u', '1000', 'X', '/bin/prog', 'X', '/usr/bin/prog', '--', 'prog', 'a', 'b']);
  const msg = (before: string): string => ops[ops.indexOf(before) - 1] as string;
  assert.equal(msg('G'), 'chpst: fatal: unable to setgroups: ');
  assert.equal(msg('g'), 'chpst: fatal: unable to setgid: ');
  assert.equal(msg('u'), 'chpst: fatal: unable to setuid: ');
  assert.equal(ops[ops.indexOf('X') - 1], 'chpst: fatal: unable to run: prog: ');
  assert.equal(ops[ops.indexOf('X') - 2], '111');
  assert.match(ops[1] as string, /^1 permission denied$/m);
});

test('runit\'s order whatever the option order: setsid, envdir, chroot, chdir, nice, env ids, ids, lock, close, limits', () => {
  const ops = bare(plan('chpst -o 10 -2 -L lk -u app -U nobody -n 3 -C /w -/ /r -e ./env -P -b shown prog'));
  assert.deepEqual(ops, [
    's', 'c', '/r', 'r', 'c', '/w', 'p', '3', 'G', '1', '1001', 'g', '1001', 'u', '1000',
    'O', 'lk', 'F', '6', 'x', '2', 'l', '7', '10', '4096',
    'e', 'FOO=bar', 'e', 'GONE', 'h', '4c3de9', 'e', 'GID=65534', 'e', 'UID=65534',
    'X', '/bin/prog', 'X', '/usr/bin/prog', '--', 'shown',
  ]);
});

test('limits: above the hard limit or negative becomes the hard limit; -m sets four', () => {
  assert.deepEqual(bare(plan('softlimit -o = -d 99999 prog')), ['l', '2', '4096', '4096', 'l', '7', '4096', '4096', 'X', '/bin/prog', 'X', '/usr/bin/prog', '--', 'prog']);
  assert.deepEqual(bare(plan('chpst -m 100 prog'))?.filter((o) => o === 'l').length, 4);
});

test('nice: relative to the current value, clamped to -20..19', () => {
  assert.deepEqual(bare(plan('chpst -n 50 prog'))?.slice(0, 2), ['p', '19']);
  assert.deepEqual(bare(plan('chpst -n -3 prog', sys({ nice: 5 })))?.slice(0, 2), ['p', '2']);
  assert.equal(plan('chpst -n -3 prog', sys({ root: false })), undefined, 'lowering needs root: a real chpst reports it');
});

test('setlock: -n waits, -x fails silently with exit 0', () => {
  const ops = plan('setlock -nx lk prog') as string[];
  assert.deepEqual(bare(ops), ['O', 'lk', 'F', '2', 'X', '/bin/prog', 'X', '/usr/bin/prog', '--', 'prog']);
  assert.deepEqual(ops.slice(ops.indexOf('O') - 3, ops.indexOf('O')), ['M', '0', '']);
  assert.deepEqual(ops.slice(ops.indexOf('X') - 3, ops.indexOf('X')), ['M', '0', '']);
});

test('chains of chpst and aliases become one operation list; the next PATH is the changed environment\'s', () => {
  assert.deepEqual(bare(plan('chpst -P setuidgid app softlimit -o 5 pgrphack prog x')), [
    's', 'G', '1', '1001', 'g', '1001', 'u', '1000', 'l', '7', '5', '4096', 's',
    'X', '/bin/prog', 'X', '/usr/bin/prog', '--', 'prog', 'x',
  ]);
  // each chpst searches the PATH it was started with: the envdir's PATH is the next one's
  const s2 = sys({ readEnvdir: () => [Buffer.from('PATH=/nowhere')] });
  assert.deepEqual(bare(plan('envdir ./env chpst prog', s2)), ['e', 'PATH=/nowhere', 'X', '/nowhere/prog', '--', 'prog']);
  // envdir read after dropping privileges must fall back (root could read what app cannot)
  assert.equal(plan('chpst -u app envdir ./env prog'), undefined);
  const ok = bare(plan('envdir ./env setuidgid app softlimit -o 5 pgrphack prog x'));
  assert.deepEqual(ok, [
    'e', 'FOO=bar', 'e', 'GONE', 'h', '4c3de9',
    'G', '1', '1001', 'g', '1001', 'u', '1000',
    'l', '7', '5', '4096',
    's',
    'X', '/bin/prog', 'X', '/usr/bin/prog', '--', 'prog', 'x',
  ]);
});

test('the program found through PATH is what the shell would run; not tsinit means not ours', () => {
  assert.equal(shellLookup('chpst', ['PATH=/nowhere:/bin'], sys()), '/bin/chpst');
  assert.equal(shellLookup('chpst', ['HOME=/'], sys()), undefined, 'PATH unset: the shell\'s default is its own');
  assert.equal(plan('chpst prog', sys(), ['PATH=/usr/bin']), undefined, 'no chpst in that PATH');
  assert.equal(plan('prog -u app'), undefined);
  assert.equal(plan('sv status x'), undefined);
  assert.deepEqual(bare(plan('/bin/chpst ./local'))?.slice(0, 4), ['X', './local', '--', './local']);
});

test('falls back for what a real chpst must print or cannot be reproduced', () => {
  for (const line of ['chpst -q prog', 'chpst -u nosuch prog', 'chpst -u app:nosuch prog', 'chpst -e ./missing prog', 'chpst -o 12x prog', 'chpst -/ /r chpst prog', 'chpst -C /w setuidgid app prog', 'setuidgid', 'chpst']) {
    assert.equal(plan(line), undefined, line);
  }
});

test('-v: the envdir warnings are written by the helper in order', () => {
  const s = sys({ readEnvdir: (_b, _d, _skip, verbose, warn) => (verbose ? (warn('unable to read ./env/SUB: is a directory'), []) : []) });
  const ops = plan('chpst -v -e ./env prog', s) as string[];
  assert.deepEqual(ops.slice(ops.indexOf('W'), ops.indexOf('W') + 2), ['W', 'chpst: warning: unable to read ./env/SUB: is a directory\n']);
});
