// runsvdir served to a client inside PID 1 (issue 18): its main(ctx) with
// ctx.signals an EventEmitter, ctx.setTitle and ctx.write sinks, the service
// directory relative to ctx.cwd, and no process of its own. It starts the
// services with the client's descriptors, shows the proctitle log through the
// context, stops them on a forwarded TERM, refuses to supervise a directory a
// second runsvdir in the same process supervises (runsv's supervise/lock),
// and leaves nothing behind when it returns: 50 runs in one process.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../../src/tool.ts';
import { main as runsvdir } from '../../src/supervise/runsvdir-main.ts';
import { within } from '../helpers/within.ts';
import { waitFor } from '../helpers/runsv.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'runsvdir-served-'));
  roots.push(d);
  return d;
}

interface Served {
  ctx: ToolContext;
  signals: EventEmitter;
  titles: string[];
  text: { 1: string; 2: string };
  out: string;
  err: string;
  dispose(): void;
  gone(): void;
}

function served(cwd: string, args: string[]): Served {
  const signals = new EventEmitter();
  const titles: string[] = [];
  const text = { 1: '', 2: '' };
  const out = path.join(cwd, 'client.out');
  const err = path.join(cwd, 'client.err');
  const stdout = fs.openSync(out, 'a');
  const stderr = fs.openSync(err, 'a');
  let goneNow: () => void = () => {};
  const gone = new Promise<void>((resolve) => (goneNow = resolve));
  let disposed = false;
  return {
    ctx: {
      argv0: 'runsvdir',
      args,
      env: {},
      cwd,
      stdin: -1,
      stdout,
      stderr,
      pid: 4242,
      uid: 0,
      gid: 0,
      write: (stream, t) => {
        text[stream] += t.toString();
      },
      signals,
      setTitle: (t) => titles.push(t),
      gone,
    },
    signals,
    titles,
    text,
    out,
    err,
    gone: goneNow,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      fs.closeSync(stdout);
      fs.closeSync(stderr);
    },
  };
}

const read = (f: string): string => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

function service(root: string, name: string, run: string): string {
  const d = path.join(root, 'svc', name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'run'), run, { mode: 0o755 });
  return d;
}

const pidOf = (svc: string): number => Number(read(path.join(svc, 'supervise', 'pid')).trim() || 0);
const running = (svc: string): boolean => read(path.join(svc, 'supervise', 'stat')) === 'run\n' && pidOf(svc) > 0;
const alive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGALRM', 'SIGCHLD', 'SIGINT'] as const;
const processListeners = (): number[] => SIGNALS.map((s) => process.listenerCount(s));

test('served runsvdir: services started from ctx.cwd with the client\'s descriptors, the title through ctx.setTitle, TERM through ctx.signals stops them, 0', async () => {
  const root = tmp();
  const a = service(root, 'a', '#!/bin/sh\necho to-stdout\necho to-the-title >&2\nexec sleep 1000\n');
  const call = served(root, ['-P', 'svc', 'log: ..........................................']);
  // the reaper's SIGCHLD listener is PID 1's, installed once; nothing else on the process
  const before = processListeners();
  const sidBefore = fs.readFileSync('/proc/self/stat', 'latin1').split(') ')[1]?.split(' ')[3];
  let code: number | undefined;
  const done = runsvdir(call.ctx).then((c) => (code = c));
  try {
    await waitFor('service a running', () => running(a));
    const pid = pidOf(a);
    // its stdout is the client's; its stderr is the proctitle pipe, shown through ctx.setTitle
    await waitFor('its stdout', () => read(call.out) === 'to-stdout\n');
    await waitFor('the title', () => call.titles.some((t) => t.includes('to-the-title')));
    assert.match(call.titles.at(-1) as string, /^runsvdir -P svc log: \.*to-the-title\n?$/);
    // -P: the service leads its own session; this process stays in its own
    const sid = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.split(' ')[3];
    assert.equal(sid, String(pid));
    assert.equal(fs.readFileSync('/proc/self/stat', 'latin1').split(') ')[1]?.split(' ')[3], sidBefore);
    assert.equal(call.signals.listenerCount('SIGTERM'), 1);
    call.signals.emit('SIGTERM');
    await within(done, 60_000, undefined);
    assert.equal(code, 0);
    await waitFor('the service stopped', () => !alive(pid));
    assert.equal(read(path.join(a, 'supervise', 'stat')), 'down\n');
    assert.equal(call.signals.listenerCount('SIGTERM') + call.signals.listenerCount('SIGHUP') + call.signals.listenerCount('SIGALRM'), 0);
    const after = processListeners();
    // SIGCHLD: at most the one reaper listener, if this was the first start in this process
    assert.deepEqual([after[0], after[1], after[2], after[4]], [before[0], before[1], before[2], before[4]]);
    assert.ok((after[3] as number) - (before[3] as number) <= 1);
    assert.equal(call.text[1], '');
  } finally {
    call.dispose();
  }
});

/** A service whose log/run is the in-process one-liner naming a missing directory first: svlogd warns, then logs to ./main. */
function withLogger(root: string, name: string, redirect: boolean): string {
  const d = service(root, name, '#!/bin/sh\nexec sleep 1000\n');
  fs.mkdirSync(path.join(d, 'log', 'main'), { recursive: true });
  fs.writeFileSync(path.join(d, 'log', 'run'), `#!/bin/sh\n${redirect ? 'exec 2>&1\n' : ''}exec svlogd ./missing-${name}/x ./main\n`, { mode: 0o755 });
  return d;
}
const warning = (name: string): string => `svlogd: warning: unable to open log directory: ./missing-${name}/x: file does not exist\n`;

test('served runsvdir: an in-process logger\'s own messages go to its runsv\'s stderr (the caller\'s), or stdout after exec 2>&1', async () => {
  const root = tmp();
  const a = withLogger(root, 'a', false);
  const b = withLogger(root, 'b', true);
  // the one-liner's chpst too: its message after exec 2>&1 is on stdout
  const c = withLogger(root, 'c', true);
  fs.writeFileSync(path.join(c, 'log', 'run'), '#!/bin/sh\nexec 2>&1\nexec chpst -u no-such-user-h18 svlogd ./main\n', { mode: 0o755 });
  const call = served(root, ['svc']);
  const done = runsvdir(call.ctx);
  try {
    await waitFor('both running', () => running(a) && running(b));
    await waitFor('a\'s svlogd warning on the caller\'s stderr', () => call.text[2].includes(warning('a')));
    await waitFor('b\'s on its stdout', () => call.text[1].includes(warning('b')));
    await waitFor('c\'s chpst message on its stdout', () => call.text[1].includes('chpst: fatal: unknown user/group: no-such-user-h18\n'));
    assert.ok(!call.text[1].includes(warning('a')) && !call.text[2].includes(warning('b')), JSON.stringify(call.text));
  } finally {
    call.signals.emit('SIGTERM');
    await within(done, 60_000, 'still running');
    call.dispose();
  }
});

test('served runsvdir -P with a log: an in-process logger\'s warnings reach the proctitle log, as svlogd\'s stderr does under runit', async () => {
  const root = tmp();
  const a = withLogger(root, 'a', false);
  const call = served(root, ['-P', 'svc', 'log: ..........................................................................................']);
  const done = runsvdir(call.ctx);
  try {
    await waitFor('running', () => running(a));
    await waitFor('the warning in the title', () => call.titles.some((t) => t.includes('svlogd: warning: unable to open log directory: ./missing-a/x')));
    assert.equal(call.text[2], '');
  } finally {
    call.signals.emit('SIGTERM');
    await within(done, 60_000, 'still running');
    call.dispose();
  }
});

test('two served runsvdirs on one directory: the second supervises nothing (supervise/lock), its message to its caller', async () => {
  const root = tmp();
  const a = service(root, 'a', '#!/bin/sh\nexec sleep 1000\n');
  const first = served(root, ['svc']);
  const second = served(root, ['svc']);
  const d1 = runsvdir(first.ctx);
  let d2: Promise<number> | undefined;
  try {
    await waitFor('service a running', () => running(a));
    const pid = pidOf(a);
    d2 = runsvdir(second.ctx);
    await waitFor('the lock refusal', () => second.text[2].includes('runsv a: fatal: unable to lock supervise/lock: temporary failure\n'));
    // still the first one's service, the only one
    assert.equal(pidOf(a), pid);
    const sleepers = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p) && read(`/proc/${p}/cmdline`) === 'sleep\x001000\x00' && fs.readlinkSync(`/proc/${p}/cwd`) === fs.realpathSync(a));
    assert.deepEqual(sleepers, [String(pid)]);
    assert.equal(first.text[2], '');
    second.signals.emit('SIGTERM');
    assert.equal(await within(d2, 60_000, 'still running'), 0);
    // the first one still supervises it
    assert.ok(alive(pid));
    first.signals.emit('SIGTERM');
    assert.equal(await within(d1, 60_000, 'still running'), 0);
    await waitFor('the service stopped', () => !alive(pid));
  } finally {
    first.signals.emit('SIGTERM');
    second.signals.emit('SIGTERM');
    first.dispose();
    second.dispose();
  }
});

test('the caller gone: main returns at once, the services stop behind it with descriptors of their own, then released', async () => {
  const root = tmp();
  const a = service(root, 'a', '#!/bin/sh\nexec sleep 1000\n');
  // ./finish runs after the call ended: its stdout is still the client's
  fs.writeFileSync(path.join(a, 'finish'), '#!/bin/sh\nsleep 0.2\necho finished\n', { mode: 0o755 });
  const fds = (): number => fs.readdirSync('/proc/self/fd').length;
  const call = served(root, ['svc', 'log: ..........']);
  const fdsBefore = fds();
  const done = runsvdir(call.ctx);
  try {
    await waitFor('service a running', () => running(a));
    const pid = pidOf(a);
    call.gone();
    assert.equal(await within(done, 60_000, 'still running'), 128 + 9);
    // the call's descriptors are closed when it ends (the transport does that)
    call.dispose();
    // and something else may take their numbers meanwhile
    const other = path.join(root, 'other');
    const taken = [fs.openSync(other, 'w'), fs.openSync(other, 'w')];
    await waitFor('the service stopped', () => !alive(pid));
    await waitFor('./finish wrote to the client\'s stdout', () => read(call.out) === 'finished\n');
    assert.equal(read(other), '');
    for (const fd of taken) fs.closeSync(fd);
    // everything it held is released once the services are down
    await waitFor('its descriptors released', () => fds() === fdsBefore - 2);
  } finally {
    call.dispose();
  }
});

/** What a run could leave behind: listeners, handles and timers, descriptors. */
function footprint(): { listeners: number[]; resources: string[]; fds: number } {
  return {
    listeners: processListeners(),
    resources: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort(),
    fds: fs.readdirSync('/proc/self/fd').length,
  };
}

test('50 served runs in one process leave no listener, timer, handle or descriptor behind', async () => {
  const root = tmp();
  const a = service(root, 'a', '#!/bin/sh\nexec sleep 1000\n');
  const once = async (i: number): Promise<void> => {
    const call = served(root, ['-P', 'svc', 'log: ..........']);
    const done = runsvdir(call.ctx);
    try {
      await waitFor(`service a running (run ${i})`, () => running(a) && alive(pidOf(a)));
      const pid = pidOf(a);
      call.signals.emit('SIGTERM');
      assert.equal(await within(done, 60_000, 'still running'), 0, `run ${i}`);
      await waitFor(`service a stopped (run ${i})`, () => !alive(pid));
    } finally {
      call.dispose();
    }
  };
  // the first run starts what is PID 1's once (the reaper)
  await once(0);
  await new Promise((res) => setImmediate(res));
  const before = footprint();
  for (let i = 1; i <= 50; i++) await once(i);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(footprint(), before);
});
