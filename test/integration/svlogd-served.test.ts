// svlogd served to a client inside PID 1 (issue 18): its main(ctx) with a
// pipe as ctx.stdin, ctx.signals an EventEmitter, ctx.write a sink, and no
// process of its own. The files are the standalone svlogd's (Debian's, as
// test/interop/svlogd.test.ts compares them), signals come only from the
// context, a caller that is gone ends it, a non-root caller gets no more
// than it could do itself, and a flood does not hold the event loop.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import type { ToolContext } from '../../src/tool.ts';
import { main as svlogd } from '../../src/svlogd/main.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { within } from '../helpers/within.ts';
import { waitFor } from '../helpers/runsv.ts';
import { normalise, snapshot } from '../helpers/svlogd-files.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(prefix = 'svlogd-served-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o755); // searched by uid 65534 below
  roots.push(d);
  return d;
}

const F_SETPIPE_SZ = 1031;
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGALRM', 'SIGCHLD', 'SIGINT'] as const;
const processListeners = (): number[] => SIGNALS.map((s) => process.listenerCount(s));

interface Served {
  ctx: ToolContext;
  signals: EventEmitter;
  /** what the tool wrote through ctx.write, per stream */
  text: { 1: string; 2: string };
  /** the input's write end (blocking) */
  w: number;
  r: number;
  stderrFile: string;
  closeInput(): void;
  gone(): void;
  dispose(): void;
}

/** A served call: a pipe as stdin, signals and output through the context. */
function served(cwd: string, args: string[], ids: { uid: number; gid: number; groups?: number[] } = { uid: 0, gid: 0 }): Served {
  const [r, w] = libc.pipe2(libc.O_CLOEXEC);
  const signals = new EventEmitter();
  const text = { 1: '', 2: '' };
  const stderrFile = path.join(cwd, '..', `${path.basename(cwd)}.stderr`);
  const stderr = fs.openSync(stderrFile, 'w+');
  let goneNow: () => void = () => {};
  const gone = new Promise<void>((resolve) => (goneNow = resolve));
  let wOpen = true;
  const ctx: ToolContext = {
    argv0: 'svlogd',
    args,
    env: {},
    cwd,
    stdin: r,
    stdout: -1,
    stderr,
    pid: 4242,
    ...ids,
    write: (stream, t) => {
      text[stream] += t.toString('latin1');
    },
    signals,
    setTitle: () => {},
    gone,
  };
  return {
    ctx,
    signals,
    text,
    w,
    r,
    stderrFile,
    closeInput: () => {
      if (wOpen) fs.closeSync(w);
      wOpen = false;
    },
    gone: goneNow,
    dispose: () => {
      if (wOpen) fs.closeSync(w);
      wOpen = false;
      fs.closeSync(r);
      fs.closeSync(stderr);
    },
  };
}

const read = (f: string): string => {
  try {
    return fs.readFileSync(f, 'latin1');
  } catch {
    return '';
  }
};

// ---- the files are the standalone svlogd's ---------------------------------

interface Setup {
  args: string[];
  dirs: Record<string, string | undefined>;
  input: string;
}

function prepare(s: Setup): string {
  const root = tmp('svlogd-served-cmp-');
  for (const [d, config] of Object.entries(s.dirs)) {
    fs.mkdirSync(path.join(root, d));
    if (config !== undefined) fs.writeFileSync(path.join(root, d, 'config'), config);
  }
  return root;
}

async function sameAsDebian(s: Setup): Promise<void> {
  const a = prepare(s);
  const deb = spawnSync(debianRunit().svlogd, s.args, { cwd: a, input: s.input, encoding: 'latin1', timeout: 60_000 });
  const b = prepare(s);
  const call = served(b, s.args);
  try {
    fs.writeSync(call.w, s.input);
    call.closeInput();
    const code = await svlogd(call.ctx);
    assert.equal(code, deb.status, 'exit code');
    assert.deepEqual(snapshot(b, Object.keys(s.dirs)), snapshot(a, Object.keys(s.dirs)));
    assert.equal(normalise(call.text[2]), normalise(deb.stderr), 'stderr, relayed through ctx.write');
    assert.equal(call.text[1], '');
  } finally {
    call.dispose();
  }
}

const lines = (n: number, width: number, tag = 'line'): string =>
  Array.from({ length: n }, (_, i) => `${tag} ${String(i).padStart(4, '0')} `.padEnd(width - 1, 'x') + '\n').join('');

test('served svlogd writes the files and messages Debian\'s svlogd writes (sizes, patterns, e-copies, -v)', async () => {
  const before = processListeners();
  await sameAsDebian({ args: ['-v', 'L'], dirs: { L: undefined }, input: 'hello world\nsecond line\nno newline at end' });
  await sameAsDebian({ args: ['-v', '-l', '50', '-b', '100', 'L'], dirs: { L: 's200\nn3\n' }, input: lines(40, 61) });
  await sameAsDebian({ args: ['-tt', 'L'], dirs: { L: 's1k\nn2\n' }, input: lines(100, 40) });
  await sameAsDebian({
    args: ['-tt', '-l', '40', 'L'],
    dirs: { L: 'pPFX: \n-*\n+*: *: pid *\n-*pid*\ne*warn*\nE*warn* quiet*\n' },
    input: ['tcpsvd: info: pid 1977 from 10.4.1.14', 'something else', 'a warning', 'a warning quiet please', `warn ${'w'.repeat(60)}`].join('\n') + '\n',
  });
  await sameAsDebian({
    args: ['-v', 'A', 'B', 'missing'],
    dirs: { A: '-*odd*\n', B: 's150\n+*odd*\n-*even*\n' },
    input: Array.from({ length: 20 }, (_, i) => `line ${i} ${i % 2 ? 'odd' : 'even'}\n`).join(''),
  });
  await sameAsDebian({ args: ['missing1', 'missing2'], dirs: {}, input: 'x\n' });
  // nothing was listened for on this process
  assert.deepEqual(processListeners(), before);
});

// ---- signals through the context ---------------------------------------------

test('HUP, ALRM and TERM come through ctx.signals, none through the process', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log);
  const call = served(root, ['-v', 'log']);
  const before = processListeners();
  let code: number | undefined;
  const done = svlogd(call.ctx).then((c) => (code = c));
  try {
    fs.writeSync(call.w, 'one\n');
    await waitFor('the first line', () => read(path.join(log, 'current')) === 'one\n');
    // listening on the context's source only
    assert.deepEqual(processListeners(), before);
    assert.equal(call.signals.listenerCount('SIGTERM'), 1);
    // HUP: the config is read again (a prefix from now on)
    fs.writeFileSync(path.join(log, 'config'), 'pX:\n');
    call.signals.emit('SIGHUP');
    fs.writeSync(call.w, 'two\n');
    await waitFor('the prefixed line', () => read(path.join(log, 'current')) === 'one\nX:two\n');
    // ALRM: current is rotated
    call.signals.emit('SIGALRM');
    await waitFor('the rotated file', () => fs.readdirSync(log).some((n) => n.endsWith('.s')));
    const rotated = fs.readdirSync(log).find((n) => n.endsWith('.s')) as string;
    assert.equal(read(path.join(log, rotated)), 'one\nX:two\n');
    // TERM with a short line in progress (the writer still there): dropped, exit 0
    fs.writeSync(call.w, 'three\npartial');
    await waitFor('the third line', () => read(path.join(log, 'current')) === 'X:three\n');
    call.signals.emit('SIGTERM');
    fs.writeSync(call.w, ' end\n');
    await done;
    assert.equal(code, 0);
    assert.equal(read(path.join(log, 'current')), 'X:three\n');
    assert.equal((fs.statSync(path.join(log, 'current')).mode & 0o777).toString(8), '744');
    assert.match(call.text[2], /svlogd: info: sighangup received\.\n/);
    assert.match(call.text[2], /svlogd: info: sigalarm received\.\n/);
    assert.match(call.text[2], /svlogd: info: sigterm received\.\n/);
    // it stopped listening
    assert.equal(call.signals.listenerCount('SIGTERM') + call.signals.listenerCount('SIGHUP') + call.signals.listenerCount('SIGALRM'), 0);
    assert.deepEqual(processListeners(), before);
  } finally {
    call.dispose();
  }
});

test('the caller gone: what was read is written, nothing more is read, main returns', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log);
  const call = served(root, ['log']);
  let returned = false;
  const done = svlogd(call.ctx).then((c) => {
    returned = true;
    return c;
  });
  try {
    fs.writeSync(call.w, 'before\n');
    await waitFor('the line', () => read(path.join(log, 'current')) === 'before\n');
    call.gone();
    const code = await within(done, 60_000, 'still running');
    assert.equal(returned, true);
    assert.equal(code, 128 + 9);
    // what is written now stays in the pipe: nobody reads it any more
    fs.writeSync(call.w, 'after\n');
    libc.setNonblock(call.r, true);
    const buf = Buffer.alloc(64);
    assert.equal(buf.subarray(0, fs.readSync(call.r, buf)).toString(), 'after\n');
    assert.equal(read(path.join(log, 'current')), 'before\n');
    assert.equal((fs.statSync(path.join(log, 'current')).mode & 0o777).toString(8), '744');
  } finally {
    call.dispose();
  }
});

// ---- a caller that is not root -------------------------------------------------

const nobody = { uid: 65534, gid: 65534, groups: [65534] };

test('as uid 65534 in a directory it cannot write: the message, nothing created', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log, { mode: 0o755 }); // root's
  const call = served(root, ['log'], nobody);
  try {
    call.closeInput();
    assert.equal(await svlogd(call.ctx), 111);
    assert.equal(call.text[2], 'svlogd: warning: unable to lock directory: log: access denied\nsvlogd: fatal: no functional log directories.\n');
    assert.deepEqual(fs.readdirSync(log), []);
  } finally {
    call.dispose();
  }
});

test('as uid 65534: a symlink planted as current is not followed; files created are the caller\'s', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log, { mode: 0o755 });
  fs.chownSync(log, 65534, 65534);
  const target = path.join(root, 'root-owned');
  fs.writeFileSync(target, 'secret\n', { mode: 0o600 });
  fs.symlinkSync(target, path.join(log, 'current'));
  const call = served(root, ['log'], nobody);
  try {
    fs.writeSync(call.w, 'hello\n');
    call.closeInput();
    assert.equal(await svlogd(call.ctx), 0, call.text[2]);
    assert.equal(read(target), 'secret\n');
    const current = fs.lstatSync(path.join(log, 'current'));
    assert.ok(current.isFile());
    assert.equal(current.uid, 65534);
    assert.equal(read(path.join(log, 'current')), 'hello\n');
    // the link itself was moved away (as an unclean current), not written through
    const moved = fs.readdirSync(log).filter((n) => n.endsWith('.u'));
    assert.equal(moved.length, 1);
    assert.ok(fs.lstatSync(path.join(log, moved[0] as string)).isSymbolicLink());
    assert.equal(fs.statSync(path.join(log, 'lock')).uid, 65534);
  } finally {
    call.dispose();
  }
});

test('as uid 65534: a log directory it could write but not reach (a parent it cannot search) is refused, also through a link', async () => {
  const root = tmp();
  const hidden = path.join(root, 'hidden');
  fs.mkdirSync(path.join(hidden, 'log'), { recursive: true });
  fs.chmodSync(hidden, 0o700); // root's, not searchable by others
  fs.chmodSync(path.join(hidden, 'log'), 0o777);
  // a link of the caller's own pointing in: the kernel would not let it through either
  fs.mkdirSync(path.join(root, 'mine'), { mode: 0o755 });
  fs.chownSync(path.join(root, 'mine'), 65534, 65534);
  fs.symlinkSync(path.join(hidden, 'log'), path.join(root, 'mine', 'log'));
  for (const dir of [path.join(hidden, 'log'), 'mine/log']) {
    const call = served(root, [dir], nobody);
    try {
      call.closeInput();
      assert.equal(await svlogd(call.ctx), 111);
      assert.equal(call.text[2], `svlogd: warning: unable to open log directory: ${dir}: access denied\nsvlogd: fatal: no functional log directories.\n`);
      assert.deepEqual(fs.readdirSync(path.join(hidden, 'log')), []);
    } finally {
      call.dispose();
    }
  }
  // reachable: the same link into a searchable place works
  fs.chmodSync(hidden, 0o711);
  const call = served(root, ['mine/log'], nobody);
  try {
    fs.writeSync(call.w, 'reached\n');
    call.closeInput();
    assert.equal(await svlogd(call.ctx), 0, call.text[2]);
    assert.equal(read(path.join(hidden, 'log', 'current')), 'reached\n');
  } finally {
    call.dispose();
  }
});

test('as root the caller is not restricted (a root client is root)', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log, { mode: 0o755 });
  const call = served(root, ['log']);
  try {
    fs.writeSync(call.w, 'root\n');
    call.closeInput();
    assert.equal(await svlogd(call.ctx), 0, call.text[2]);
    assert.equal(read(path.join(log, 'current')), 'root\n');
  } finally {
    call.dispose();
  }
});

// ---- never holding PID 1 ---------------------------------------------------------

test('no stdin passed (-1): runit\'s read warning, what the directories hold is closed cleanly', async () => {
  const root = tmp();
  fs.mkdirSync(path.join(root, 'log'));
  const call = served(root, ['log']);
  try {
    assert.equal(await svlogd({ ...call.ctx, stdin: -1 }), 0);
    assert.equal(call.text[2], 'svlogd: warning: unable to read standard input: file descriptor not open\n');
    assert.equal(read(path.join(root, 'log', 'current')), '');
  } finally {
    call.dispose();
  }
});

test('a terminal or device as stdin is refused inside PID 1 (a read could wait)', { skip: !fs.existsSync('/dev/ptmx') }, async () => {
  const root = tmp();
  fs.mkdirSync(path.join(root, 'log'));
  const call = served(root, ['log']);
  const tty = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  try {
    assert.equal(await svlogd({ ...call.ctx, stdin: tty }), 111);
    assert.match(call.text[2], /^svlogd: fatal: unable to read standard input: not a pipe, socket or file/);
    assert.deepEqual(fs.readdirSync(path.join(root, 'log')), []);
  } finally {
    fs.closeSync(tty);
    call.dispose();
  }
});

test('a flood of 50 MB through ctx.stdin does not hold the event loop', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log);
  // one current for everything (no rotation): every line can be counted
  fs.writeFileSync(path.join(log, 'config'), 's100000000\n');
  const call = served(root, ['log']);
  const line = 'a flood line of sixty-four bytes, again and again and again.....\n';
  // a pipe that holds 1 MiB, full before svlogd starts: a reader without a
  // turn budget takes all of it in its first turn (libuv reads up to 32 times)
  const pipeSize = 1 << 20;
  assert.equal(libc.fcntl(call.r, F_SETPIPE_SZ, pipeSize), pipeSize);
  const head = Buffer.from(line.repeat(pipeSize / line.length));
  assert.equal(fs.writeSync(call.w, head), head.length);
  const rest = line.length * Math.ceil((50 * 1024 * 1024) / line.length);
  const writer = spawn('sh', ['-c', `yes '${line.slice(0, -1)}' | head -c ${rest}`], { stdio: ['ignore', call.w, 'ignore'] });
  call.closeInput();
  const current = path.join(log, 'current');
  const size = (): number => {
    try {
      return fs.statSync(current).size;
    } catch {
      return 0;
    }
  };
  // bytes logged between two turns of the event loop (setImmediate round trips)
  let turns = 0;
  let last = 0;
  let most = 0;
  let running = true;
  const spin = (): void => {
    turns++;
    const now = size();
    most = Math.max(most, now - last);
    last = now;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  try {
    assert.equal(await svlogd(call.ctx), 0, call.text[2]);
    running = false;
    // every line is in current
    assert.equal(size(), head.length + rest);
    // at most the turn budget (64 KiB) and one more read per turn
    assert.ok(most <= 4 * 65536, `${most} bytes logged in one event-loop turn`);
    assert.ok(turns >= (head.length + rest) / (1 << 18), `${turns} event-loop turns`);
  } finally {
    running = false;
    // reaped by Node before the next test starts tsinit's reaper (waitpid(-1))
    const exited = new Promise((res) => writer.once('exit', res));
    if (writer.exitCode === null && writer.signalCode === null) {
      writer.kill();
      await within(exited, 60_000, undefined);
    }
    call.dispose();
  }
});

test('a processor\'s stderr is the caller\'s stderr, not PID 1\'s', async () => {
  const root = tmp();
  const log = path.join(root, 'log');
  fs.mkdirSync(log);
  fs.writeFileSync(path.join(log, 'config'), 's100\n!echo processed >&2; cat\n');
  const call = served(root, ['log']);
  try {
    fs.writeSync(call.w, lines(3, 61));
    call.closeInput();
    assert.equal(await svlogd(call.ctx), 0, call.text[2]);
    assert.match(read(call.stderrFile), /^(processed\n)+$/);
    assert.ok(fs.readdirSync(log).some((n) => n.endsWith('.s')));
  } finally {
    call.dispose();
  }
});
