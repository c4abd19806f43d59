// A full disk: svlogd says `svlogd: pausing: unable to write to current: DIR:
// out of disk space`, retries every 3 s, and once space is freed every input
// line is in the log exactly once. Runs tsinit's svlogd and Debian's on a
// small tmpfs (tests run as root).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const root = fs.mkdtempSync('/tmp/svlogd-full-');
const mounts: string[] = [];
after(() => {
  for (const m of mounts) execFileSync('umount', [m]);
  fs.rmSync(root, { recursive: true, force: true });
});

const LINES = 2000;
const input = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(6, '0')} `.padEnd(79, 'x') + '\n').join('');

async function fillAndFree(bin: string, name: string, config = 's50000\nn100\n', free = true): Promise<{ stderr: string; logged: string }> {
  const mnt = path.join(root, name);
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
  mounts.push(mnt);
  fs.mkdirSync(path.join(mnt, 'log'));
  fs.writeFileSync(path.join(mnt, 'log', 'config'), config);
  // leave about 40 KiB free
  const filler = path.join(mnt, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(216 * 1024, 1));

  const child = spawn(bin, ['log'], { cwd: mnt, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // stdin errors (EPIPE) would mean svlogd died: the exit code check reports that
  child.stdin.on('error', () => {});
  child.stdin.write(input);

  if (free) {
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('pausing') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(stderr.includes('svlogd: pausing: unable to write to current: log: out of disk space\n'), stderr);
    fs.unlinkSync(filler);
  }
  child.stdin.end();
  const code = await exited;
  assert.equal(code, 0);

  const dir = path.join(mnt, 'log');
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('@')).sort();
  const logged = [...files, 'current'].map((f) => fs.readFileSync(path.join(dir, f), 'latin1')).join('');
  return { stderr, logged };
}

test('full disk: pausing message, retry, no line lost or repeated (tsinit and Debian)', async () => {
  const ours = await fillAndFree(tool('svlogd'), 'ours');
  const theirs = await fillAndFree(debianRunit().svlogd, 'debian');
  assert.equal(theirs.logged, input, "Debian's svlogd keeps every line");
  assert.equal(ours.logged.length, input.length);
  assert.equal(ours.logged, input);
  const pauses = (s: string) => s.split('\n').filter((l) => l.startsWith('svlogd: pausing:'));
  assert.ok(pauses(ours.stderr).length >= 1);
  assert.deepEqual(new Set(pauses(ours.stderr)), new Set(pauses(theirs.stderr)));
});

test('full disk with N < n: the oldest files are deleted, no pause, the newest lines kept in order', async () => {
  for (const [bin, name] of [
    [debianRunit().svlogd, 'debian-N'],
    [tool('svlogd'), 'ours-N'],
  ] as const) {
    const r = await fillAndFree(bin, name, 's8000\nn50\nN2\n', false);
    assert.match(r.stderr, /^svlogd: warning: out of disk space, delete: log\/@4000[0-9a-f]{20}\.s$/m, `${name}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /pausing/);
    assert.ok(r.logged.length > 8000 && input.endsWith(r.logged), `${name}: a contiguous tail of the input`);
    assert.equal(r.logged.length % 80, 0);
  }
});
