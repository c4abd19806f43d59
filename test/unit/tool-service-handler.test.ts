// The tool service's handler with a fake CallChannel: dispatch, the policy,
// the context made of the request, the tool's replies (sv status of a test
// service directory, chpst's exec words, FALLBACK for a uid 65534 caller,
// DIE for a signal nobody listens to, a thrown tool -> 111).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHandler, envObject, SERVED_TOOLS, type HandlerDeps } from '../../src/tool-service/handler.ts';
import type { CallChannel } from '../../src/tool-service/transport.ts';
import type { CallRequest, PeerCred, Reply } from '../../src/tool-service/protocol.ts';
import { tools } from '../../src/dispatch.ts';
import type { ToolContext, ToolMain } from '../../src/tool.ts';
import type { ToolName } from '../../src/tool-names.ts';
import { ROOT_TOOLS } from '../../src/tool-service/policy.ts';
import { getpriority, getrlimit, PRIO_PROCESS } from '../../native/libc.ts';
import { planFastChpst } from '../../src/chpst/fast-plan.ts';
import { realFiles } from '../../src/tool-service/chpst-ops.ts';
import { versionLine } from '../../src/version.ts';
import { fakeService, runningStatus } from '../helpers/fake-service.ts';

const TERMINAL = new Set(['exit', 'exec', 'fallback', 'die']);

/** A call as the transport would hand it over; the replies recorded, the call ended by a terminal one. */
class FakeCall implements CallChannel {
  readonly replies: Reply[] = [];
  closed = false;
  longRunning = false;
  /** what markLongRunning answers (false: the uid has its most long-running calls) */
  longAllowed = true;
  private signalListeners: Array<(n: number) => void> = [];
  private closeListeners: Array<() => void> = [];
  private finish: () => void = () => {};
  readonly ended = new Promise<void>((resolve) => {
    this.finish = resolve;
  });
  readonly cred: PeerCred;
  readonly request: CallRequest;
  constructor(cred: PeerCred, request: CallRequest) {
    this.cred = cred;
    this.request = request;
  }
  send(r: Reply): void {
    assert.equal(this.closed, false, `sent after the call ended: ${r.kind}`);
    this.replies.push(r);
    if (TERMINAL.has(r.kind)) {
      this.closed = true;
      this.finish();
    }
  }
  markLongRunning(): boolean {
    this.longRunning = this.longAllowed;
    return this.longAllowed;
  }
  onSignal(l: (n: number) => void): void {
    this.signalListeners.push(l);
  }
  onClose(l: () => void): void {
    this.closeListeners.push(l);
  }
  signal(n: number): void {
    for (const l of this.signalListeners) l(n);
  }
  hangUp(): void {
    this.closed = true;
    for (const l of this.closeListeners) l();
    this.finish();
  }
  out(stream: 1 | 2): string {
    return Buffer.concat(this.replies.flatMap((r) => (r.kind === 'out' && r.stream === stream ? [r.data] : []))).toString();
  }
  last(): Reply | undefined {
    return this.replies[this.replies.length - 1];
  }
}

const limits = Array.from({ length: 16 }, (_, res) => getrlimit(res));
const nice = getpriority(PRIO_PROCESS, 0);
const opened: number[] = [];
test.after(() => {
  for (const fd of opened) fs.closeSync(fd);
});
const openDir = (dir: string): number => {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  opened.push(fd);
  return fd;
};
const rootFd = openDir('/');

interface CallSpec {
  argv: string[] | Buffer[];
  env?: string[];
  cwd: string;
  uid?: number;
  pid?: number;
  cwdName?: string;
  root?: number | undefined;
  stdio?: number;
}

function call(spec: CallSpec): FakeCall {
  const uid = spec.uid ?? 0;
  const fds: CallRequest['fds'] = { cwd: openDir(spec.cwd) };
  if (spec.root !== undefined || !('root' in spec)) fds.root = spec.root ?? rootFd;
  if (spec.stdio !== undefined) Object.assign(fds, { stdin: spec.stdio, stdout: spec.stdio, stderr: spec.stdio });
  return new FakeCall(
    { pid: spec.pid ?? 4242, uid, gid: uid, groups: [uid] },
    {
      argv: spec.argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)),
      env: (spec.env ?? ['PATH=/usr/bin:/bin']).map((e) => Buffer.from(e)),
      cwd: Buffer.from(spec.cwdName ?? spec.cwd),
      nice,
      limits,
      fds,
    },
  );
}

const debug: string[] = [];
function handler(over: Partial<HandlerDeps> = {}): (c: FakeCall) => Promise<FakeCall> {
  const h = createHandler({ stopping: () => false, log: { debug: (m) => debug.push(m) }, ...over });
  return async (c) => {
    h(c);
    await c.ended;
    return c;
  };
}

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-handler-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Loaders of dispatch.ts with some tools replaced. */
function loaders(over: Partial<Record<ToolName, ToolMain>>): Record<ToolName, () => Promise<ToolMain>> {
  const l = { ...tools };
  for (const [name, main] of Object.entries(over) as Array<[ToolName, ToolMain]>) l[name] = async () => main;
  return l;
}

test('sv status of a test service directory: SVDIR relative to the caller\'s directory, the lines as OUT, EXIT with sv\'s code', async (t) => {
  const dir = tmp(t);
  const web = fakeService(path.join(dir, 'service', 'web'), { status: runningStatus(process.pid), fifoMode: 0o644 });
  const stop = (): void => web.close();
  t.after(stop);
  const c = await handler()(call({ argv: ['/usr/bin/sv', 'status', 'web', 'nope'], env: ['SVDIR=service'], cwd: dir }));
  assert.match(c.out(1), new RegExp(`^run: web: \\(pid ${process.pid}\\) \\d+s\nfail: nope: unable to change to service directory: file does not exist\n$`));
  assert.equal(c.out(2), '');
  assert.deepEqual(c.last(), { kind: 'exit', code: 1 });
  assert.equal(c.longRunning, false);
  // sv's usage: its text on stderr, exit 100
  const u = await handler()(call({ argv: ['sv'], cwd: dir }));
  assert.match(u.out(2), /^usage: sv \[-v\] \[-w sec\] command service \.\.\.\n/);
  assert.deepEqual(u.last(), { kind: 'exit', code: 100 });
});

test('the context: argv0 as invoked, the environment (first of a name wins), the directory, the descriptors, the credentials', async (t) => {
  const dir = tmp(t);
  let seen: ToolContext | undefined;
  const h = handler({ loaders: loaders({ health: (ctx) => ((seen = ctx), 0) }) });
  const stdio = fs.openSync('/dev/null', 'r+');
  t.after(() => fs.closeSync(stdio));
  const c = await h(call({ argv: ['tsinit', 'health', '--ready'], env: ['A=1', 'A=2', 'B=x=y', 'NOEQ'], cwd: dir, stdio }));
  assert.deepEqual(c.replies, [{ kind: 'exit', code: 0 }]);
  assert.ok(seen);
  assert.equal(seen.argv0, 'health');
  assert.deepEqual(seen.args, ['--ready']);
  assert.deepEqual({ ...seen.env }, { A: '1', B: 'x=y' });
  assert.equal(seen.cwd, dir);
  assert.deepEqual([seen.stdin, seen.stdout, seen.stderr], [stdio, stdio, stdio]);
  assert.deepEqual([seen.pid, seen.uid, seen.gid, seen.groups], [4242, 0, 0, [0]]);
  // a directory name that does not name the directory held: the descriptor, through /proc
  const other = await h(call({ argv: ['tsinit', 'health'], cwd: dir, cwdName: '/' }));
  assert.deepEqual(other.last(), { kind: 'exit', code: 0 });
  assert.match(seen.cwd, /^\/proc\/self\/fd\/\d+$/);
  assert.equal(fs.realpathSync(seen.cwd), fs.realpathSync(dir));
  // descriptors not sent are -1
  await h(call({ argv: ['tsinit', 'health'], cwd: dir }));
  assert.deepEqual([seen.stdin, seen.stdout, seen.stderr], [-1, -1, -1]);
  assert.deepEqual({ ...envObject(['=x', 'X=']) }, { X: '' });
});

test('sv\'s LSB mode: argv0 a link to sv, read at the caller\'s directory, never followed further', async (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'init.d'));
  fs.symlinkSync('/usr/bin/sv', path.join(dir, 'init.d', 'web'));
  fs.symlinkSync('other', path.join(dir, 'init.d', 'db'));
  let seen: ToolContext | undefined;
  const h = handler({ loaders: loaders({ sv: (ctx) => ((seen = ctx), 3) }) });
  const c = await h(call({ argv: ['init.d/web', 'status'], cwd: dir }));
  assert.deepEqual(c.last(), { kind: 'exit', code: 3 });
  assert.equal(seen?.lsbName, 'web');
  assert.equal(seen?.argv0, 'init.d/web');
  // absolute: through the caller's root
  seen = undefined;
  await h(call({ argv: [path.join(dir, 'init.d/web'), 'status'], cwd: '/' }));
  assert.equal((seen as ToolContext | undefined)?.lsbName, 'web');
  // a link to something else: not sv, and `db` is no tool: `tsinit status`, as main.ts answers it
  const d = await h(call({ argv: ['init.d/db', 'status'], cwd: dir }));
  assert.match(d.out(2), /^tsinit: fatal: unknown tool: status\n/);
  assert.deepEqual(d.last(), { kind: 'exit', code: 100 });
  // a non-root caller's link is not read: the full tsinit decides (and sv falls back for it anyway)
  for (const argv0 of ['init.d/web', 'init.d/db']) {
    const n = await h(call({ argv: [argv0, 'status'], cwd: dir, uid: 65534 }));
    assert.deepEqual(n.replies, [{ kind: 'fallback' }]);
  }
});

test('chpst: the exec plan becomes the fast path\'s exec-helper words, with the caller\'s facts', async (t) => {
  const dir = tmp(t);
  const env = ['PATH=/usr/bin:/bin', 'HOME=/'];
  const c = await handler()(call({ argv: ['chpst', '-u', 'nobody', '-n', '3', '-o', '77', 'true'], env, cwd: dir }));
  const words = c.last()?.kind === 'exec' ? (c.last() as { words: Buffer[] }).words.map(String) : undefined;
  const fast = planFastChpst(['chpst', '-u', 'nobody', '-n', '3', '-o', '77', 'true'], env, {
    ...realFiles,
    // the one-liner's first word is looked up on PATH; here it is known to be ours
    probe: (f) => (f.endsWith('/chpst') ? { executable: true, tsinit: true, otherExec: true } : realFiles.probe(f)),
    cwd: dir,
    hardLimit: (res) => getrlimit(res).hard,
    nice,
    root: true,
  });
  assert.ok(fast);
  assert.deepEqual(words, fast);
  assert.ok(words.includes('u') && words.includes('65534'));
  // usage errors are the tool's own answer
  const u = await handler()(call({ argv: ['chpst', '-q'], cwd: dir }));
  assert.match(u.out(2), /^chpst: usage: |usage: chpst/);
  assert.deepEqual(u.last(), { kind: 'exit', code: 100 });
  // what fast-plan cannot reproduce (an envdir that does not exist: chpst's own message) falls back
  const e = await handler()(call({ argv: ['chpst', '-e', path.join(dir, 'nope'), 'true'], cwd: dir }));
  assert.deepEqual(e.replies, [{ kind: 'fallback' }]);
});

test('a uid 65534 caller: FALLBACK but for chpst (its plan, carried out with its own rights) without an envdir', async (t) => {
  const dir = tmp(t);
  const h = handler({ served: ROOT_TOOLS });
  for (const argv of [['sv', 'status', 'web'], ['tsinit', 'health'], ['utmpset', 'tty1'], ['runsvdir', '/etc/service'], ['envdir', dir, 'true'], ['chpst', '-e', dir, 'true'], ['tsinit', '--', 'true']]) {
    const c = await h(call({ argv, cwd: dir, uid: 65534 }));
    assert.deepEqual(c.replies, [{ kind: 'fallback' }], argv.join(' '));
  }
  const c = await h(call({ argv: ['chpst', '-n', '2', 'true'], cwd: dir, uid: 65534 }));
  assert.equal(c.last()?.kind, 'exec');
  // lowering nice needs privilege the caller lacks: fast-plan leaves it to the real chpst
  const low = await h(call({ argv: ['chpst', '-n', '-2', 'true'], cwd: dir, uid: 65534 }));
  assert.deepEqual(low.replies, [{ kind: 'fallback' }]);
});

test('FALLBACK for a caller outside our PID namespace, in another root, or with argv that is not UTF-8', async (t) => {
  const dir = tmp(t);
  const h = handler();
  assert.deepEqual((await h(call({ argv: ['sv', 'status', 'x'], cwd: dir, pid: 0 }))).replies, [{ kind: 'fallback' }]);
  assert.deepEqual((await h(call({ argv: ['sv', 'status', 'x'], cwd: dir, root: openDir(dir) }))).replies, [{ kind: 'fallback' }]);
  assert.deepEqual((await h(call({ argv: ['sv', 'status', 'x'], cwd: dir, root: undefined }))).replies, [{ kind: 'fallback' }]);
  assert.deepEqual((await h(call({ argv: [Buffer.from('sv'), Buffer.from([0x78, 0xe9])], cwd: dir }))).replies, [{ kind: 'fallback' }]);
});

test('FALLBACK for a caller whose / is the same directory on another mount (another mount namespace: unshare -m)', async (t) => {
  const dir = tmp(t);
  const st = fs.statSync('/');
  const mnt = Number(/^mnt_id:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${rootFd}`, 'utf8'))?.[1]);
  assert.ok(mnt > 0);
  const lines: string[] = [];
  const on = (m: number): ((c: FakeCall) => Promise<FakeCall>) => handler({ root: () => ({ dev: st.dev, ino: st.ino, mnt: m }), log: { debug: (l) => lines.push(l) } });
  assert.deepEqual((await on(mnt + 1)(call({ argv: ['sv', 'status', 'x'], cwd: dir, pid: 7 }))).replies, [{ kind: 'fallback' }]);
  assert.deepEqual(lines, ['tool call of pid 7 (uid 0): fallback: caller in another mount namespace']);
  assert.equal((await on(mnt)(call({ argv: ['sv', 'status', 'x'], cwd: dir }))).last()?.kind, 'exit');
});

test('a forwarded signal: to the tool\'s listener; none listening: DIE (CONT only continues); the caller gone resolves ctx.gone', async (t) => {
  const dir = tmp(t);
  const heard: string[] = [];
  const events: ToolMain = async (ctx) => {
    const hup = (): void => {
      heard.push('HUP');
    };
    ctx.signals?.on('SIGHUP', hup);
    await ctx.gone;
    ctx.write?.(1, 'after the end\n');
    return 0;
  };
  const h = handler({ loaders: loaders({ events }) });
  const c = call({ argv: ['tsinit', 'events'], cwd: dir });
  const done = h(c);
  await new Promise((r) => setImmediate(r));
  c.signal(os.constants.signals.SIGHUP);
  c.signal(os.constants.signals.SIGCONT);
  assert.deepEqual(heard, ['HUP']);
  assert.equal(c.closed, false);
  assert.equal(c.longRunning, true);
  c.signal(os.constants.signals.SIGTERM);
  await done;
  assert.deepEqual(c.replies, [{ kind: 'die', signal: os.constants.signals.SIGTERM }]);
  // the tool saw its end (ctx.gone) and what it wrote after is dropped: nothing sent after DIE (FakeCall asserts it)
  await new Promise((r) => setImmediate(r));

  // the client hangs up: ctx.gone settles, the tool ends, nothing is sent
  let ended = false;
  const stay: ToolMain = async (ctx) => {
    await ctx.gone;
    ended = true;
    return 0;
  };
  const g = call({ argv: ['tsinit', 'events'], cwd: dir });
  createHandler({ stopping: () => false, log: { debug: () => {} }, loaders: loaders({ events: stay }) })(g);
  await new Promise((r) => setImmediate(r));
  g.hangUp();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(ended, true);
  assert.deepEqual(g.replies, []);
});

test('a tool that throws: tsinit: fatal: on stderr, EXIT 111, and the handler goes on', async (t) => {
  const dir = tmp(t);
  const h = handler({
    loaders: loaders({
      check: () => {
        throw new Error('boom');
      },
      halt: async () => Promise.reject(new TypeError('async boom')),
    }),
  });
  const c = await h(call({ argv: ['tsinit', 'check'], cwd: dir }));
  assert.match(c.out(2), /^tsinit: fatal: Error: boom\n/);
  assert.deepEqual(c.last(), { kind: 'exit', code: 111 });
  const a = await h(call({ argv: ['tsinit', 'halt'], cwd: dir }));
  assert.match(a.out(2), /^tsinit: fatal: TypeError: async boom\n/);
  assert.deepEqual(a.last(), { kind: 'exit', code: 111 });
  const ok = await h(call({ argv: ['tsinit', 'health', path.join(dir, 'none')], cwd: dir }));
  assert.equal(ok.last()?.kind, 'exit');
});

test('--help, --version and an unknown tool: the texts main.ts prints, through the call', async (t) => {
  const dir = tmp(t);
  const h = handler();
  const sv = await h(call({ argv: ['sv', '--help'], cwd: dir, uid: 1000 }));
  assert.match(sv.out(2), /^usage: sv \[-v\]/);
  assert.deepEqual(sv.last(), { kind: 'exit', code: 100 });
  const ts = await h(call({ argv: ['tsinit', '--help'], cwd: dir }));
  assert.match(ts.out(1), /^usage: tsinit /);
  assert.deepEqual(ts.last(), { kind: 'exit', code: 0 });
  const v = await h(call({ argv: ['tsinit', '--version'], cwd: dir }));
  assert.equal(v.out(1), versionLine());
  const bad = await h(call({ argv: ['tsinit', 'nosuchtool'], cwd: dir }));
  assert.match(bad.out(2), /^tsinit: fatal: unknown tool: nosuchtool\n/);
  assert.deepEqual(bad.last(), { kind: 'exit', code: 100 });
});

test('while stopping: runsvdir is refused (exit 111), sv still runs', async (t) => {
  const dir = tmp(t);
  const h = handler({ stopping: () => true });
  const c = await h(call({ argv: ['runsvdir', '-P', '/etc/service'], cwd: dir }));
  assert.deepEqual(c.replies, [
    { kind: 'out', stream: 2, data: Buffer.from('tsinit: fatal: tsinit is stopping\n') },
    { kind: 'exit', code: 111 },
  ]);
  const sv = await h(call({ argv: ['sv', 'status', 'nope'], cwd: dir }));
  assert.deepEqual(sv.last(), { kind: 'exit', code: 1 });
});

test('utmpset (a blocking flock) falls back by default; svlogd and runsvdir are served', async (t) => {
  const dir = tmp(t);
  assert.ok(SERVED_TOOLS.has('svlogd') && SERVED_TOOLS.has('runsvdir'));
  for (const argv of [['utmpset', '-w', 'tty1']]) {
    const c = await handler()(call({ argv, cwd: dir }));
    assert.deepEqual(c.replies, [{ kind: 'fallback' }], argv[0]);
  }
});

test('a long-running tool the transport has no room for (the uid has its most long-running calls): FALLBACK, the tool not started', async (t) => {
  const dir = tmp(t);
  let started = false;
  const events: ToolMain = async () => {
    started = true;
    return 0;
  };
  const c = call({ argv: ['tsinit', 'events'], cwd: dir });
  c.longAllowed = false;
  await handler({ loaders: loaders({ events }) })(c);
  assert.deepEqual(c.replies, [{ kind: 'fallback' }]);
  assert.equal(started, false);
});

test('one debug line per call saying how it was answered (served here or FALLBACK, with the caller\'s pid), so a served call can be counted', async (t) => {
  const dir = tmp(t);
  const lines: string[] = [];
  const h = handler({ log: { debug: (m) => lines.push(m) } });
  await h(call({ argv: ['sv', 'status', 'nope'], cwd: dir, pid: 101 }));
  await h(call({ argv: ['sv', '--help'], cwd: dir, pid: 102 }));
  await h(call({ argv: ['sv', 'status', 'nope'], cwd: dir, pid: 103, uid: 65534 }));
  await h(call({ argv: ['chpst', '-u', 'nobody', 'true'], cwd: dir, pid: 104, uid: 65534 }));
  assert.deepEqual(lines, [
    'tool call of pid 101 (uid 0): served: sv',
    'tool call of pid 102 (uid 0): served: a text answer',
    'tool call of pid 103 (uid 65534): fallback: sv for uid 65534: the kernel judges it',
    'tool call of pid 104 (uid 65534): served: chpst',
  ]);
});
