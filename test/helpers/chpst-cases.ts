// The table of chpst option combinations compared with Debian's chpst, and
// its fixtures: run directly (chpst-compare.test.ts) and as supervised
// one-liners through the fast path (chpst-fastpath.test.ts).
import { after } from 'node:test';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from './tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chpst-interop-'));
fs.chmodSync(tmp, 0o755);
// reports and locks must be writable after -u nobody
export const shared = path.join(tmp, 'shared');
fs.mkdirSync(shared);
fs.chmodSync(shared, 0o1777);
export const background: number[] = [];
after(() => {
  for (const pid of background) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

export const aliases = ['envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock'] as const;
export type Name = 'chpst' | (typeof aliases)[number];

// Debian's chpst under every name.
const debBin = path.join(tmp, 'debian-bin');
fs.mkdirSync(debBin);
for (const n of ['chpst', ...aliases]) fs.symlinkSync(debianRunit().chpst, path.join(debBin, n));
export const impls: Record<'tsinit' | 'debian', (n: Name) => string> = {
  tsinit: (n) => tool(n),
  debian: (n) => path.join(debBin, n),
};

// The envdir of the reference transcript (12.7), plus a dangling symlink.
export const envDir = path.join(tmp, 'env');
fs.mkdirSync(path.join(envDir, 'SUBDIR'), { recursive: true });
fs.writeFileSync(path.join(envDir, 'A'), 'value with trailing  \t \nsecond line\n');
fs.writeFileSync(path.join(envDir, 'B'), 'a\0b\0c');
fs.writeFileSync(path.join(envDir, 'HOME'), '');
fs.writeFileSync(path.join(envDir, 'C'), '\n');
fs.writeFileSync(path.join(envDir, 'D'), 'x=y\n');
fs.writeFileSync(path.join(envDir, '.HIDDEN'), 'no\n');
fs.writeFileSync(path.join(envDir, 'KEEP'), 'replaced\n');
fs.writeFileSync(path.join(envDir, 'LATIN'), Buffer.from([0xe9, 0x74, 0xe9, 0x0a]));
fs.symlinkSync('/nonexistent', path.join(envDir, 'DANGLING'));
const flatEnvDir = path.join(tmp, 'flatenv');
fs.mkdirSync(flatEnvDir);
fs.writeFileSync(path.join(flatEnvDir, 'FOO'), 'bar\n');
fs.writeFileSync(path.join(flatEnvDir, 'PATH'), '/nowhere\n'); // the search still uses chpst's own PATH
const aliasEnvDir = path.join(tmp, 'aliasenv');
fs.mkdirSync(aliasEnvDir);
fs.writeFileSync(path.join(aliasEnvDir, 'FOO'), 'bar\n');
fs.writeFileSync(path.join(aliasEnvDir, 'LANG'), '');

// An envdir whose file only root may read.
const secretEnvDir = path.join(tmp, 'secretenv');
fs.mkdirSync(secretEnvDir);
fs.writeFileSync(path.join(secretEnvDir, 'SECRET'), 'x\n', { mode: 0o600 });

// A tiny root for -/: dash as /bin/sh, id, their libraries, its own passwd/group.
export const root = path.join(tmp, 'root');
function buildRoot(): void {
  const files = new Set<string>(['/usr/bin/dash', '/usr/bin/id']);
  for (const bin of ['/usr/bin/dash', '/usr/bin/id']) {
    for (const m of execFileSync('ldd', [bin], { encoding: 'utf8' }).matchAll(/(\/\S+)/g)) files.add(m[1] as string);
  }
  for (const f of files) {
    const dest = path.join(root, f);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(f, dest);
    fs.chmodSync(dest, 0o755);
  }
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.symlinkSync('/usr/bin/dash', path.join(root, 'bin/sh'));
  fs.symlinkSync('/usr/bin/id', path.join(root, 'bin/id'));
  fs.mkdirSync(path.join(root, 'etc'));
  fs.mkdirSync(path.join(root, 'work'));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\nchrootuser:x:4242:4343::/:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ncgroup:x:4444:\n');
}
buildRoot();

// PATH search material: a non-executable `probe-x` first, an executable one later.
const pathA = path.join(tmp, 'path-a');
const pathB = path.join(tmp, 'path-b');
fs.mkdirSync(pathA);
fs.mkdirSync(pathB);
fs.writeFileSync(path.join(pathA, 'probe-x'), '#!/bin/sh\necho from-a\n', { mode: 0o644 });
fs.writeFileSync(path.join(pathB, 'probe-x'), '#!/bin/sh\necho from-b "$0"\n', { mode: 0o755 });
fs.writeFileSync(path.join(pathA, 'noexec'), 'x', { mode: 0o644 });
fs.mkdirSync(path.join(pathA, 'isdir'));
fs.writeFileSync(path.join(pathA, 'noshebang'), 'echo hi\n', { mode: 0o755 });

// What the program reports. $1 = report file (so -1/-2 do not hide it).
export const probe = `
o=$1
ls /proc/$$/fd >"$o.fds" 2>&1
{
echo "cmdline: $(tr '\\0' ' ' </proc/$$/cmdline)"
[ "$$" = "$P" ] && echo "pid: same as the caller" || echo "pid: another"
set -- $(cut -d' ' -f1,5,6,19 /proc/$$/stat)
echo "pgrp is self: $([ "$1" = "$2" ] && echo y || echo n); session is self: $([ "$1" = "$3" ] && echo y || echo n); nice: $4"
echo "uid: $(id -u) gid: $(id -g) groups: $(id -G)"
echo "cwd: $(pwd -P) umask: $(umask)"
grep -E '^Sig(Blk|Ign)' /proc/self/status
echo "fds: $(sort -n "$o.fds" | tr '\\n' ' ')"
if [ -n "$LOCKF" ]; then flock -n "$LOCKF" true && echo "lock: free" || echo "lock: held"; fi
echo "limits:"; cat /proc/$$/limits
echo "env:"; env
} >"$o" 2>&1
`;

export interface Case {
  name: string;
  tool?: Name;
  /** arguments before the program */
  args: string[];
  /** the program and its arguments; default: the probe */
  prog?: string[];
  env?: Record<string, string>;
  /** hold this lock (flock(1) in the background) while running */
  holdLock?: string;
  /** the program is the same implementation's chpst again, with these arguments */
  nested?: string[];
}

export const lockFile = path.join(shared, 'lock');
export const heldLock = path.join(shared, 'held');

export const cases: Case[] = [
  { name: 'no options', args: [] },
  { name: '-u nobody', args: ['-u', 'nobody'] },
  { name: '-u user:group:group', args: ['-u', 'nobody:nogroup:users'] },
  { name: '-u :uid:gid:gid', args: ['-u', ':65534:65534:100'] },
  { name: '-u :uid: (empty gid = 0)', args: ['-u', ':65534:'] },
  { name: '-U nobody', args: ['-U', 'nobody'] },
  { name: '-U :1:2:3 and -u', args: ['-U', ':1:2:3', '-u', 'nobody'] },
  { name: '-e dir', args: ['-e', envDir], env: { KEEP: 'old', HOME: '/root' } },
  { name: '-v -e dir', args: ['-v', '-e', envDir], env: { KEEP: 'old' } },
  { name: '-e with PATH file', args: ['-e', flatEnvDir], prog: ['sh', '-c', 'echo "PATH=$PATH FOO=$FOO"'] },
  { name: '-n 5', args: ['-n', '5'] },
  { name: '-n -3', args: ['-n', '-3'] },
  { name: '-n +2 -n 0', args: ['-n', '+2', '-n', '0'] },
  { name: '-m', args: ['-m', '100000000'] },
  { name: 'each limit', args: ['-d', '50000000', '-o', '77', '-p', '500', '-f', '1000000', '-c', '0', '-r', '12345678', '-t', '60'] },
  { name: 'limits above hard / overflowing', args: ['-o', '99999999999', '-c', '18446744073709551615', '-f', '18446744073709551614'] },
  { name: '-P', args: ['-P'] },
  { name: '-0', args: ['-0'] },
  { name: '-1', args: ['-1'] },
  { name: '-2', args: ['-2'] },
  { name: '-012', args: ['-012'] },
  { name: '-b argv0', args: ['-b', 'renamed'] },
  { name: '-l lock', args: ['-l', lockFile], env: { LOCKF: lockFile } },
  { name: '-L lock', args: ['-L', lockFile], env: { LOCKF: lockFile } },
  { name: 'all at once, options in another order', args: ['-012', '-t', '30', '-e', envDir, '-n', '3', '-u', 'nobody', '-U', 'nobody', '-P', '-b', 'x', '-L', lockFile, '-v'], env: { LOCKF: lockFile } },
  { name: '-/ root, -u from the root\'s passwd', args: ['-/', root, '-u', 'chrootuser:cgroup'], prog: ['sh', '-c', 'echo "cwd=$(pwd) uid=$(id -u) groups=$(id -G)"; echo /*'] },
  { name: 'envdir alias', tool: 'envdir', args: [aliasEnvDir] },
  { name: 'envdir alias, PATH file', tool: 'envdir', args: [flatEnvDir], prog: ['sh', '-c', 'echo "PATH=$PATH FOO=$FOO"'] },
  { name: 'envdir alias, subdirectory is fatal', tool: 'envdir', args: [envDir] },
  { name: 'envuidgid alias', tool: 'envuidgid', args: ['nobody'] },
  { name: 'setuidgid alias', tool: 'setuidgid', args: ['nobody'] },
  { name: 'setuidgid takes no groups', tool: 'setuidgid', args: ['nobody:nogroup'] },
  { name: 'pgrphack alias', tool: 'pgrphack', args: [] },
  { name: 'softlimit alias', tool: 'softlimit', args: ['-o', '50', '-m', '=', '-s', '9000000', '-t', '='] },
  { name: 'setlock alias', tool: 'setlock', args: [lockFile], env: { LOCKF: lockFile } },
  { name: 'setlock -n', tool: 'setlock', args: ['-n', lockFile], env: { LOCKF: lockFile } },
  // failures
  { name: 'unknown user', args: ['-u', 'nosuchuser'] },
  { name: 'unknown group', args: ['-u', 'nobody:nosuchgroup'] },
  { name: 'invalid uid/gids', args: ['-u', ':12'] },
  { name: 'envdir missing', args: ['-e', path.join(tmp, 'nope')] },
  { name: 'root missing', args: ['-/', path.join(tmp, 'nope')] },
  { name: 'lock is a directory', args: ['-l', tmp] },
  { name: '-L on a held lock', args: ['-L', heldLock], holdLock: heldLock },
  { name: 'setlock on a held lock fails at once', tool: 'setlock', args: [heldLock], holdLock: heldLock },
  { name: 'setlock -N on a held lock', tool: 'setlock', args: ['-N', heldLock], holdLock: heldLock },
  { name: 'setlock -x on a held lock exits 0', tool: 'setlock', args: ['-x', heldLock], holdLock: heldLock },
  { name: 'setlock -x, program missing', tool: 'setlock', args: ['-x', lockFile], prog: ['no-such-program'] },
  { name: 'program missing', args: [], prog: ['no-such-program'] },
  { name: 'program missing, -b', args: ['-b', 'shown'], prog: ['no-such-program'] },
  { name: 'PATH: EACCES is passed over', args: [], prog: ['probe-x', 'arg'], env: { PATH: `${pathA}:${pathB}` } },
  { name: 'PATH: last non-ENOENT error reported', args: [], prog: ['noexec'], env: { PATH: `${pathA}:${pathB}` } },
  { name: 'PATH: is a directory', args: [], prog: ['isdir'], env: { PATH: `${pathB}:${pathA}` } },
  { name: 'PATH: exec format error stops the search', args: [], prog: ['noshebang'], env: { PATH: `${pathA}:${pathB}` } },
  { name: 'PATH: empty element is .', args: [], prog: ['probe-x'], env: { PATH: `/nonexistent:` } },
  { name: 'PATH unset: /bin:/usr/bin', args: [], prog: ['sh', '-c', 'echo found "$0"'], env: { PATH: '' } },
  { name: 'direct path', args: ['-b', 'named'], prog: [path.join(pathB, 'probe-x')] },
  // failures of the system calls, provoked as nobody (a second chpst of the same kind)
  { name: 'setgroups as nobody', args: ['-u', 'nobody'], nested: ['-u', 'root', 'true'] },
  { name: 'nice -5 as nobody', args: ['-u', 'nobody'], nested: ['-n', '-5', 'true'] },
  { name: 'chroot as nobody', args: ['-u', 'nobody'], nested: ['-/', '/', 'true'] },
  { name: 'unreadable envdir file as nobody', args: ['-u', 'nobody'], nested: ['-e', secretEnvDir, 'true'] },
  { name: 'raising a hard limit is not possible, soft is capped', args: ['-u', 'nobody'], nested: ['-o', '999999999', 'sh', '-c', 'ulimit -n; ulimit -Hn'] },
  { name: 'usage errors', args: ['-q'] },
  { name: 'bad number', args: ['-o', '12x'] },
  { name: 'softlimit bad number prints chpst usage', tool: 'softlimit', args: ['-o', 'x'] },
];

/** Hold `file` locked (flock(1) in its own process group) until released. */
export function holdLock(file: string): () => void {
  const child = spawn('flock', ['-o', file, 'sleep', '30'], { detached: true, stdio: 'ignore' });
  const pid = child.pid as number;
  background.push(pid);
  const until = Date.now() + 10_000;
  while (spawnSync('flock', ['-n', file, 'true']).status === 0) {
    if (Date.now() > until) throw new Error('lock holder did not start');
    execFileSync('sleep', ['0.02']);
  }
  return () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
}

