// Signals and locking, the same interaction with Debian's svlogd and
// tsinit's: TERM finishes the current line, HUP re-reads config, ALRM
// rotates, a second svlogd on a locked directory gives up.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const roots: string[] = [];
const procs: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const debian = debianRunit().svlogd;
const ours = tool('svlogd');

const norm = (t: string): string =>
  t.replace(/@4000[0-9a-f]{20}/g, '@TAI').replace(/\d{4}-\d\d-\d\d([_T])\d\d:\d\d:\d\d\.\d{5}/g, 'DATE$1TIME');

interface Session {
  root: string;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<number | null>;
  waitErr(re: RegExp, count?: number): Promise<void>;
  waitFile(file: string, size: number): Promise<void>;
}

function start(bin: string, args: string[], setup: (root: string) => void): Session {
  const root = fs.mkdtempSync('/tmp/svlogd-sig-');
  roots.push(root);
  setup(root);
  const child = spawn(bin, args, { cwd: root });
  procs.push(child);
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const poll = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}; stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    root,
    child,
    stderr: () => err,
    exited,
    waitErr: (re, count = 1) => poll(String(re), () => (err.match(new RegExp(re, 'g')) ?? []).length >= count),
    waitFile: (file, size) =>
      poll(file, () => {
        try {
          return fs.statSync(path.join(root, file)).size >= size;
        } catch {
          return false;
        }
      }),
  };
}

function files(root: string, dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  let k = 0;
  for (const n of fs.readdirSync(path.join(root, dir)).sort()) {
    const p = path.join(root, dir, n);
    const key = n.startsWith('@') ? `@${k++}${n.slice(25)}` : n;
    out[key] = `${(fs.statSync(p).mode & 0o777).toString(8)} ${norm(fs.readFileSync(p, 'latin1'))}`;
  }
  return out;
}

async function both(run: (bin: string) => Promise<{ files: Record<string, string>; stderr: string; code: number | null }>): Promise<void> {
  const a = await run(debian);
  const b = await run(ours);
  assert.equal(b.code, a.code);
  assert.deepEqual(b.files, a.files);
  assert.equal(norm(b.stderr), norm(a.stderr));
}

test('TERM: the unfinished line is read to its end and dropped, exit 0 (as Debian does)', { timeout: 300_000 }, async () => {
  await both(async (bin) => {
    const s = start(bin, ['-v', 'L'], (r) => fs.mkdirSync(path.join(r, 'L')));
    s.child.stdin.write('complete\npart');
    await s.waitFile('L/current', 9);
    s.child.kill('SIGTERM');
    await s.waitErr(/sigterm received/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.child.exitCode, null, 'still waiting for the end of the line');
    s.child.stdin.write('ial\n');
    const code = await s.exited;
    assert.equal(fs.readFileSync(path.join(s.root, 'L/current'), 'latin1'), 'complete\n');
    return { code, files: files(s.root, 'L'), stderr: s.stderr() };
  });
});

test('TERM in a long line (len reached): read to its newline, written', { timeout: 300_000 }, async () => {
  await both(async (bin) => {
    const s = start(bin, ['-l', '5', 'L'], (r) => fs.mkdirSync(path.join(r, 'L')));
    s.child.stdin.write('short\n0123456789');
    await s.waitFile('L/current', 11);
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.child.exitCode, null, 'still waiting for the end of the line');
    s.child.stdin.write('ab\n');
    const code = await s.exited;
    assert.equal(fs.readFileSync(path.join(s.root, 'L/current'), 'latin1'), 'short\n0123456789ab\n');
    return { code, files: files(s.root, 'L'), stderr: s.stderr() };
  });
});

test('TERM with a complete last line exits at once', { timeout: 300_000 }, async () => {
  await both(async (bin) => {
    const s = start(bin, ['L'], (r) => fs.mkdirSync(path.join(r, 'L')));
    s.child.stdin.write('one\ntwo\n');
    await s.waitFile('L/current', 8);
    s.child.kill('SIGTERM');
    const code = await s.exited;
    return { code, files: files(s.root, 'L'), stderr: s.stderr() };
  });
});

test('HUP: config re-read from defaults, current reopened', { timeout: 300_000 }, async () => {
  await both(async (bin) => {
    const s = start(bin, ['-v', 'L'], (r) => {
      fs.mkdirSync(path.join(r, 'L'));
      fs.writeFileSync(path.join(r, 'L/config'), 'pOLD: \n');
    });
    s.child.stdin.write('first\n');
    await s.waitFile('L/current', 11);
    fs.writeFileSync(path.join(s.root, 'L/config'), 'pNEW: \ns30\n');
    s.child.kill('SIGHUP');
    await s.waitErr(/append: L\/current/);
    s.child.stdin.write('second\nthird line here\nfourth line here\n');
    s.child.stdin.end();
    const code = await s.exited;
    return { code, files: files(s.root, 'L'), stderr: s.stderr() };
  });
});

test('ALRM: rotates a non-empty current only', { timeout: 300_000 }, async () => {
  await both(async (bin) => {
    const s = start(bin, ['-v', 'L'], (r) => fs.mkdirSync(path.join(r, 'L')));
    s.child.stdin.write('before alarm\n');
    await s.waitFile('L/current', 13);
    s.child.kill('SIGALRM');
    await s.waitErr(/rename: L\/current/);
    s.child.kill('SIGALRM');
    await s.waitErr(/sigalarm received/, 2);
    await new Promise((r) => setTimeout(r, 200));
    s.child.stdin.write('after alarm\n');
    s.child.stdin.end();
    const code = await s.exited;
    return { code, files: files(s.root, 'L'), stderr: s.stderr() };
  });
});

test('lock: a second svlogd on the same directory', { timeout: 300_000 }, async () => {
  const one = (bin: string) => {
    const s = start(bin, ['L'], (r) => fs.mkdirSync(path.join(r, 'L')));
    return s;
  };
  for (const [first, second] of [
    [debian, ours],
    [ours, debian],
    [ours, ours],
  ] as const) {
    const s = one(first);
    await s.waitFile('L/lock', 0);
    // the file exists a moment before it is locked: wait for the lock itself
    const ino = fs.statSync(path.join(s.root, 'L/lock')).ino;
    for (const end = Date.now() + 60_000; !fs.readFileSync('/proc/locks', 'utf8').includes(`:${ino} `); ) {
      if (Date.now() > end) throw new Error('L/lock never locked');
      await new Promise((r) => setTimeout(r, 20));
    }
    const a = spawnSync(debian, ['-v', 'L', 'L2'], { cwd: s.root, input: '' });
    const b = spawnSync(second, ['-v', 'L', 'L2'], { cwd: s.root, input: '' });
    assert.equal(b.status, 111);
    assert.equal(b.status, a.status);
    assert.equal(b.stderr.toString(), a.stderr.toString());
    assert.match(b.stderr.toString(), /svlogd: warning: unable to lock directory: L: temporary failure\n/);
    assert.match(b.stderr.toString(), /svlogd: fatal: no functional log directories\.\n$/);
    s.child.stdin.end();
    assert.equal(await s.exited, 0);
  }
});

test('HUP with no functional directory left: fatal, exit 111', { timeout: 300_000 }, async () => {
  await both(async (bin) => {
    const s = start(bin, ['L'], (r) => fs.mkdirSync(path.join(r, 'L')));
    s.child.stdin.write('one\n');
    await s.waitFile('L/current', 4);
    fs.renameSync(path.join(s.root, 'L'), path.join(s.root, 'gone'));
    s.child.kill('SIGHUP');
    const code = await s.exited;
    return { code, files: files(s.root, 'gone'), stderr: s.stderr() };
  });
});
