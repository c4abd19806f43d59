import test from 'node:test';
import assert from 'node:assert/strict';
import { getopt, newGetopt } from '../../src/util/getopt.ts';
import {
  aliasOf,
  niceArg,
  numberArg,
  parseCommandLine,
  programName,
  scanUlong,
  USAGE_MAIN,
  type Plan,
} from '../../src/chpst/options.ts';

const mainUsage = `usage: chpst${USAGE_MAIN}\n\n`;

function plan(argv0: string, args: string[]): Plan {
  const r = parseCommandLine(argv0, args);
  assert.equal(r.kind, 'run', r.kind === 'exit' ? r.stderr : '');
  if (r.kind !== 'run') throw new Error('unreachable');
  return r.plan;
}

function exit(argv0: string, args: string[]): { code: number; stderr: string } {
  const r = parseCommandLine(argv0, args);
  assert.equal(r.kind, 'exit');
  if (r.kind !== 'exit') throw new Error('unreachable');
  return r;
}

test('Debian usage text, exactly', () => {
  assert.equal(
    mainUsage,
    'usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog\n\n',
  );
  assert.deepEqual(exit('chpst', []), { kind: 'exit', code: 100, stderr: mainUsage });
});

test('-V prints the $Id line before the usage, exit 100', () => {
  assert.deepEqual(exit('chpst', ['-V', 'true']), {
    kind: 'exit',
    code: 100,
    stderr: `$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $\n${mainUsage}`,
  });
});

test('getopt messages: illegal option, missing argument (basename of argv0)', () => {
  assert.equal(exit('/usr/bin/chpst', ['-q', 'x']).stderr, `chpst: illegal option -- q\n${mainUsage}`);
  assert.equal(exit('chpst', ['-u']).stderr, `chpst: option requires an argument -- u\n${mainUsage}`);
  assert.equal(exit('chpst', ['-vn']).stderr, `chpst: option requires an argument -- n\n${mainUsage}`);
  // an illegal option at the end of a cluster is still "illegal"
  assert.equal(exit('chpst', ['-vq']).stderr, `chpst: illegal option -- q\n${mainUsage}`);
});

test('getopt: clusters, attached and separate arguments, -- and a lone -', () => {
  const argv = ['p', '-vPu', 'nobody', '-e/tmp', '--', '-x'];
  const st = newGetopt();
  const seen: string[] = [];
  for (;;) {
    const r = getopt(st, argv, 'u:e:vP', 'p');
    if (r.done) break;
    seen.push('arg' in r && r.arg !== undefined ? `${r.opt}=${r.arg}` : r.opt);
  }
  assert.deepEqual(seen, ['v', 'P', 'u=nobody', 'e=/tmp']);
  assert.equal(argv[st.optind], '-x');
  const p = plan('chpst', ['-', 'a']);
  assert.equal(p.progIndex, 0, 'a lone "-" is the program');
  assert.equal(plan('chpst', ['-v', 'prog', '-u', 'x']).progIndex, 1, 'options stop at the program');
});

test('every main option lands in the plan', () => {
  const p = plan('chpst', [
    '-u', 'nobody:nogroup', '-U', ':1:2', '-b', 'arg0', '-e', 'envd', '-/', '/r', '-C', '/w', '-n', '-5', '-l', 'lk',
    '-d', '1', '-o', '2', '-p', '3', '-f', '4', '-c', '5', '-r', '6', '-t', '7', '-vP012', 'prog', 'a',
  ]);
  assert.deepEqual(p.setUser, { spec: 'nobody:nogroup', extended: true });
  assert.deepEqual(p.envUser, { spec: ':1:2', extended: true });
  assert.equal(p.argv0, 'arg0');
  assert.equal(p.envDir, 'envd');
  assert.equal(p.envDirSkipsDirs, true);
  assert.equal(p.root, '/r');
  assert.equal(p.chdir, '/w');
  assert.equal(p.nice, -5n);
  assert.deepEqual(p.lock, { file: 'lk', wait: true, quiet: false });
  assert.deepEqual(
    [p.limits.data, p.limits.nofile, p.limits.nproc, p.limits.fsize, p.limits.core, p.limits.rss, p.limits.cpu],
    [1n, 2n, 3n, 4n, 5n, 6n, 7n],
  );
  assert.equal(p.limits.stack, -2n);
  assert.deepEqual([p.verbose, p.setsid, p.closeStdin, p.closeStdout, p.closeStderr], [true, true, true, true, true]);
  assert.equal(p.progIndex, 31);
});

test('-m sets data, stack, memlock and address space', () => {
  const l = plan('chpst', ['-m', '1000', 'x']).limits;
  assert.deepEqual([l.data, l.stack, l.memlock, l.as, l.nofile], [1000n, 1000n, 1000n, 1000n, -2n]);
});

test('-L does not wait; a second lock option is a usage error without getopt message', () => {
  assert.deepEqual(plan('chpst', ['-L', 'f', 'x']).lock, { file: 'f', wait: false, quiet: false });
  assert.deepEqual(exit('chpst', ['-l', 'a', '-L', 'b', 'x']), { kind: 'exit', code: 100, stderr: mainUsage });
});

test('numbers must be all digits (empty counts as 0), else usage', () => {
  assert.equal(exit('chpst', ['-m', '12k', 'x']).stderr, mainUsage);
  assert.equal(exit('chpst', ['-o', '-1', 'x']).stderr, mainUsage);
  assert.equal(exit('chpst', ['-n', '1.5', 'x']).stderr, mainUsage);
  assert.equal(exit('chpst', ['-n', '--3', 'x']).stderr, mainUsage);
  assert.equal(plan('chpst', ['-o', '', 'x']).limits.nofile, 0n);
  assert.equal(plan('chpst', ['-n', '+7', 'x']).nice, 7n);
  assert.equal(plan('chpst', ['-n', '0', 'x']).nice, 0n);
});

test('scan_ulong arithmetic: wraps at 2^64, then a C long', () => {
  assert.deepEqual(scanUlong('123abc'), { value: 123n, len: 3 });
  assert.equal(numberArg('18446744073709551615'), -1n); // 2^64-1 -> -1: "use the hard limit"
  assert.equal(numberArg('18446744073709551614'), -2n); // -> -2: left alone, as in runit
  assert.equal(numberArg('18446744073709551616'), 0n); // wrapped
  assert.equal(numberArg('9223372036854775808'), -9223372036854775808n);
  assert.equal(niceArg('-18446744073709551615'), 1n);
});

test('alias detection: basename, one leading d stripped', () => {
  assert.equal(programName('/usr/local/bin/dsetlock'), 'setlock');
  assert.equal(programName('ddenvdir'), 'denvdir');
  assert.equal(aliasOf(programName('envdir')), 'envdir');
  assert.equal(aliasOf(programName('denvdir')), 'envdir');
  assert.equal(aliasOf(programName('ddenvdir')), undefined);
  assert.equal(aliasOf(programName('xenvdir')), undefined);
  assert.equal(aliasOf(programName('chpst')), undefined);
  // not an alias: the main form, with that name in the usage
  assert.equal(exit('xenvdir', []).stderr, `usage: xenvdir${USAGE_MAIN}\n\n`);
});

test('setuidgid / envuidgid: plain account, usage texts', () => {
  assert.deepEqual(plan('setuidgid', ['nobody', 'id']).setUser, { spec: 'nobody', extended: false });
  assert.deepEqual(plan('envuidgid', ['nobody', 'env']).envUser, { spec: 'nobody', extended: false });
  assert.equal(plan('setuidgid', ['nobody', '-u', 'x']).progIndex, 1, 'no options after the account');
  assert.deepEqual(exit('setuidgid', ['nobody']), { kind: 'exit', code: 100, stderr: 'usage: setuidgid account child\n\n' });
  assert.equal(exit('denvuidgid', []).stderr, 'usage: envuidgid account child\n\n');
});

test('envdir: strict about subdirectories, no options', () => {
  const p = plan('envdir', ['-x', 'prog']);
  assert.equal(p.envDir, '-x');
  assert.equal(p.envDirSkipsDirs, false);
  assert.equal(exit('envdir', ['d']).stderr, 'usage: envdir dir child\n\n');
});

test('pgrphack: setsid then the child', () => {
  const p = plan('pgrphack', ['sleep', '1']);
  assert.equal(p.setsid, true);
  assert.equal(p.progIndex, 0);
  assert.equal(exit('pgrphack', []).stderr, 'usage: pgrphack child\n\n');
});

test('setlock: default and -N do not wait, -n waits (inverted quirk); -x/-X', () => {
  assert.deepEqual(plan('setlock', ['f', 'p']).lock, { file: 'f', wait: false, quiet: false });
  assert.deepEqual(plan('setlock', ['-n', 'f', 'p']).lock, { file: 'f', wait: true, quiet: false });
  assert.deepEqual(plan('setlock', ['-nN', 'f', 'p']).lock, { file: 'f', wait: false, quiet: false });
  assert.deepEqual(plan('setlock', ['-x', 'f', 'p']).lock, { file: 'f', wait: false, quiet: true });
  assert.deepEqual(plan('setlock', ['-xX', 'f', 'p']).lock, { file: 'f', wait: false, quiet: false });
  assert.equal(plan('setlock', ['-n', 'f', 'p', 'a']).progIndex, 2);
  const u = 'usage: setlock [ -nNxX ] file program [ arg ... ]\n\n';
  assert.equal(exit('setlock', ['f']).stderr, u);
  // getopt names the program by its real basename, the usage by the stripped one
  assert.equal(exit('dsetlock', ['-q']).stderr, `dsetlock: illegal option -- q\n${u}`);
});

test('softlimit: its options, "=" means the hard limit, bad numbers print chpst\'s usage', () => {
  const l = plan('softlimit', ['-a', '1', '-c', '2', '-d', '3', '-f', '4', '-l', '5', '-o', '6', '-p', '7', '-r', '8', '-s', '9', '-t', '=', 'x']).limits;
  assert.deepEqual([l.as, l.core, l.data, l.fsize, l.memlock, l.nofile, l.nproc, l.rss, l.stack, l.cpu], [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, -1n]);
  const m = plan('softlimit', ['-m', '=', 'x']).limits;
  assert.deepEqual([m.data, m.stack, m.memlock, m.as], [-1n, -1n, -1n, -1n]);
  const su =
    'usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child\n\n';
  assert.equal(exit('softlimit', ['-z', 'x']).stderr, `softlimit: illegal option -- z\n${su}`);
  assert.equal(exit('softlimit', ['-m', '1']).stderr, su);
  assert.equal(exit('softlimit', ['-m', 'abc', 'x']).stderr, `usage: softlimit${USAGE_MAIN}\n\n`);
});
