// tsinit's chpst as a real process: it must become the program (same pid)
// with exactly the descriptors, bytes and signal state a C chpst would pass,
// plus -C (runit 2.3.0's chdir, an extension over Debian 2.1.2).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chpst-exec-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const chpst = tool('chpst');

function sh(script: string, env: Record<string, string> = {}): string {
  return execFileSync('sh', ['-c', script], { env: { ...process.env, CHPST: chpst, T: tmp, ...env }, encoding: 'latin1' });
}

test('exec chpst: the program has the pid the parent shell got from $!', () => {
  const out = sh(`"$CHPST" -P sh -c 'echo $$' & echo $!; wait`).trim().split('\n');
  assert.equal(out.length, 2);
  assert.equal(out[0], out[1]);
});

test('descriptors: 0-2 and any inherited one survive; none of Node\'s leak', () => {
  const listing = sh(`"$CHPST" sh -c 'ls -l /proc/$$/fd >"$T/fds"' 3<"$T" 7>"$T/seven" 9</dev/null; cat "$T/fds"`);
  const targets = new Map<string, string>();
  for (const m of listing.matchAll(/ (\d+) -> (.*)$/gm)) targets.set(m[1] as string, m[2] as string);
  assert.equal(targets.get('3'), tmp);
  assert.equal(targets.get('7'), path.join(tmp, 'seven'));
  assert.equal(targets.get('9'), '/dev/null');
  for (const [fd, target] of targets) {
    assert.doesNotMatch(target, /anon_inode|eventpoll|eventfd|io_uring/, `fd ${fd} leaked from Node: ${target}`);
  }
  // Node's internal pipes come in pairs (both ends here); none may survive
  const pipes = [...targets.values()].filter((t) => t.startsWith('pipe:'));
  assert.equal(new Set(pipes).size, pipes.length, `a pipe with both ends passed: ${pipes.join(' ')}`);
});

test('-0 -1 -2 close exactly those', () => {
  const out = sh(`"$CHPST" -02 sh -c 'ls /proc/$$/fd >"$T/fds2"' 3</dev/null; sort -n "$T/fds2" | tr '\\n' ' '`);
  assert.match(out, /^1 3 /);
});

test('the lock of -l is held by the program and its descriptor is inheritable', () => {
  const lock = path.join(tmp, 'lk');
  const out = sh(`"$CHPST" -l "$LK" sh -c 'flock -n "$LK" true && echo free || echo held; ls -l /proc/$$/fd | grep -c "$LK"'`, { LK: lock });
  assert.equal(out, 'held\n1\n');
  // and released when the program exits
  assert.equal(spawnSync('flock', ['-n', lock, 'true']).status, 0);
});

test('the program starts with default signal dispositions and an empty mask (SIGPIPE not ignored)', () => {
  const out = sh(`"$CHPST" sh -c 'grep -E "^Sig(Ign|Blk)" /proc/self/status'`);
  assert.equal(out, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
});

test('argv and environment bytes are passed as is (not UTF-8 mangled)', () => {
  const out = sh(`X="$(printf 'a\\377b')" "$CHPST" sh -c 'printf %s "$1" | od -An -tx1; printf %s "$X" | od -An -tx1' sh "$(printf '\\351t\\351')"`);
  assert.equal(out.replace(/ +/g, ' ').trim(), 'e9 74 e9\n 61 ff 62'.replace(/ +/g, ' '));
});

test('envdir values with non-UTF-8 bytes arrive byte for byte', () => {
  const dir = path.join(tmp, 'env-bytes');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'V'), Buffer.from([0xe9, 0x20, 0x00, 0xff, 0x09, 0x0a, 0x41]));
  const out = sh(`"$CHPST" -e "$D" sh -c 'printf %s "$V" | od -An -tx1'`, { D: dir });
  assert.equal(out.trim().replace(/ +/g, ' '), 'e9 20 0a ff');
});

test('-C dir: chdir before the program (runit 2.3.0 extension; after -/ when both are given)', () => {
  assert.equal(sh(`"$CHPST" -C "$T" sh -c pwd`).trim(), tmp);
  const missing = spawnSync(chpst, ['-C', path.join(tmp, 'nope'), 'true'], { encoding: 'utf8' });
  assert.equal(missing.stderr, `chpst: fatal: unable to change directory: ${path.join(tmp, 'nope')}: file does not exist\n`);
  assert.equal(missing.status, 111);
});

test('exit code is the program\'s; exec failures are 111 with runit\'s text', () => {
  assert.equal(spawnSync(chpst, ['sh', '-c', 'exit 42']).status, 42);
  const r = spawnSync(chpst, ['/nonexistent/prog'], { encoding: 'utf8' });
  assert.equal(r.stderr, 'chpst: fatal: unable to run: /nonexistent/prog: file does not exist\n');
  assert.equal(r.status, 111);
  const x = spawnSync(chpst, [tmp], { encoding: 'utf8' });
  assert.equal(x.stderr, `chpst: fatal: unable to run: ${tmp}: access denied\n`);
});

test('-m / -d limits do not crash Node before the exec (20 runs each)', () => {
  for (let i = 0; i < 20; i++) {
    for (const args of [['-m', '100000000'], ['-d', '50000000']]) {
      const r = spawnSync(chpst, [...args, 'sh', '-c', 'echo ok'], { encoding: 'utf8' });
      assert.equal(r.stdout, 'ok\n', `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.status, 0);
    }
  }
});

test('known difference: signals the parent ignored are reset (Node resets them at start-up)', () => {
  // runit's chpst would pass SIGHUP ignored (SigIgn 1); documented, not hidden.
  const out = sh(`trap '' HUP; "$CHPST" sh -c 'grep SigIgn /proc/self/status'`);
  assert.equal(out, 'SigIgn:\t0000000000000000\n');
});

test('both ends of a pipe that the parent holds too (make\'s jobserver) are passed on', () => {
  const py = [
    'import os, subprocess, sys',
    'r, w = os.pipe()',
    'os.set_inheritable(r, True); os.set_inheritable(w, True)',
    "out = subprocess.run([sys.argv[1], 'sh', '-c', 'ls -l /proc/$$/fd'], pass_fds=(r, w), capture_output=True, text=True).stdout",
    "print(sorted(l.split(' -> ')[1] for l in out.splitlines() if 'pipe:' in l and ' %d -> ' % r in l or ' %d -> ' % w in l))",
    "print(os.readlink('/proc/self/fd/%d' % r))",
  ].join('\n');
  const [listed, pipe] = execFileSync('python3', ['-c', py, chpst], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(listed, `['${pipe}', '${pipe}']`);
});
