// src/tool-service/transport.ts, PID 1's end of the tool socket, with the test
// client of test/helpers/tool-client.ts (the C client's protocol, through
// native/libc.ts): descriptors and credentials arrive as sent, signals are
// forwarded, a client that leaves or sends garbage costs nothing that stays,
// and the bounds hold (open calls, queued output, the request deadline).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import * as libc from '../../native/libc.ts';
import { BOUNDS, startToolService, type CallChannel, type CallHandler, type ToolService } from '../../src/tool-service/transport.ts';
import { MAGIC, encodeRequest, NLIMITS, type Reply } from '../../src/tool-service/protocol.ts';
import { ToolClient, collect, openFdCount, requestMessage, type CallResult } from '../helpers/tool-client.ts';
import { waitFor } from '../helpers/runsv.ts';

const O_PATH = 0o10000000;
const silent = { debug: (): void => {}, warn: (m: string): void => void process.stderr.write(`${m}\n`) };

interface Fixture {
  dir: string;
  sock: string;
  service: ToolService;
  debug: string[];
  done(): void;
}

function serve(handler: CallHandler, bounds?: Parameters<typeof startToolService>[0]['bounds']): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-tools-'));
  const sock = path.join(dir, 'tools.sock');
  const debug: string[] = [];
  const service = startToolService({ socketPath: sock, handler, log: { ...silent, debug: (m) => void debug.push(m) }, bounds });
  return {
    dir, sock, service, debug,
    done(): void {
      service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** This process's supplementary groups as the kernel has them (Node's getgroups adds the egid). */
function procGroups(): number[] {
  const line = /^Groups:(.*)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return line.trim().split(/\s+/).filter(Boolean).map(Number);
}

function readAvailable(fd: number): string {
  const b = Buffer.alloc(65536);
  const n = fs.readSync(fd, b, 0, b.length, null);
  return b.subarray(0, n).toString();
}

test('the bounds are protocol.md\'s', () => {
  assert.deepEqual({ ...BOUNDS }, { maxCalls: 1024, maxPendingPerUid: 64, requestDeadlineMs: 5000, maxOutQueueBytes: 256 * 1024, maxOutQueueTotalBytes: 8 * 1024 * 1024 });
});

test('socket 0666 in a 0711 run dir; a stale socket is replaced, a link or a live socket is not', async () => {
  const f = serve((c) => c.send({ kind: 'exit', code: 0 }));
  try {
    const st = fs.lstatSync(f.sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o666);
    assert.equal(fs.statSync(f.dir).mode & 0o777, 0o711);
    // a second service on the same path: the first still listens
    assert.throws(() => startToolService({ socketPath: f.sock, handler: () => {}, log: silent }), /in use/);
    f.service.stop();
    assert.equal(fs.existsSync(f.sock), false, 'stop() removes the socket');
    // a stale socket (nobody listens) is replaced
    const stale = libc.socket(libc.AF_UNIX, libc.SOCK_SEQPACKET | libc.SOCK_CLOEXEC);
    libc.bindUnix(stale, f.sock);
    libc.close(stale);
    const again = startToolService({ socketPath: f.sock, handler: (c) => c.send({ kind: 'exit', code: 7 }), log: silent });
    try {
      const cl = ToolClient.connect(f.sock);
      cl.sendRequest({ argv: ['sv'] });
      const r = await cl.untilEnd();
      cl.close();
      assert.deepEqual(r.final, { kind: 'exit', code: 7 });
    } finally {
      again.stop();
    }
    // a link is neither followed nor removed
    const target = path.join(f.dir, 'target');
    fs.writeFileSync(target, 'x');
    fs.symlinkSync(target, f.sock);
    assert.throws(() => startToolService({ socketPath: f.sock, handler: () => {}, log: silent }), /not a socket/);
    assert.ok(fs.lstatSync(f.sock).isSymbolicLink());
    assert.equal(fs.readFileSync(target, 'utf8'), 'x');
  } finally {
    f.done();
  }
});

test('a request with five descriptors and the caller\'s credentials: the descriptors are the caller\'s', async () => {
  const start = openFdCount();
  let seen: CallChannel | undefined;
  const notes: string[] = [];
  const f = serve((call) => {
    seen = call;
    const fds = call.request.fds;
    // write through the caller's stdout and stderr, read its stdin
    fs.writeSync(fds.stdout as number, 'through your stdout\n');
    fs.writeSync(fds.stderr as number, 'through your stderr\n');
    notes.push(readAvailable(fds.stdin as number));
    const cwd = fs.fstatSync(fds.cwd as number);
    const root = fs.fstatSync(fds.root as number);
    notes.push(cwd.ino === fs.statSync(process.cwd()).ino ? 'cwd ok' : 'cwd wrong');
    notes.push(root.ino === fs.statSync('/').ino && root.dev === fs.statSync('/').dev ? 'root ok' : 'root wrong');
    call.send({ kind: 'out', stream: 1, data: Buffer.from('out\0\xff', 'latin1') });
    call.send({ kind: 'out', stream: 2, data: Buffer.from('err') });
    call.send({ kind: 'exit', code: 3 });
  });
  const [inR, inW] = libc.pipe2();
  const [outR, outW] = libc.pipe2();
  const [errR, errW] = libc.pipe2();
  const cwdFd = fs.openSync('.', O_PATH | fs.constants.O_DIRECTORY);
  const rootFd = fs.openSync('/', O_PATH | fs.constants.O_DIRECTORY);
  try {
    fs.writeSync(inW, 'your stdin\n');
    const cl = ToolClient.connect(f.sock);
    cl.sendRequest({
      argv: ['/usr/bin/sv', 'status', Buffer.from('/srv/\xe9', 'latin1')],
      env: ['PATH=/bin', Buffer.from('X=\xff', 'latin1')],
      cwd: '/some/where',
      nice: 7,
      limits: Array.from({ length: NLIMITS }, (_, i) => ({ soft: BigInt(i), hard: BigInt(i * 2) })),
      fds: { stdin: inR, stdout: outW, stderr: errW, cwd: cwdFd, root: rootFd },
    });
    const r = await cl.untilEnd();
    cl.close();
    assert.deepEqual(r.final, { kind: 'exit', code: 3 });
    assert.equal(r.out.toString('latin1'), 'out\0\xff');
    assert.equal(r.err.toString(), 'err');
    assert.ok(r.eof);
    assert.equal(readAvailable(outR), 'through your stdout\n');
    assert.equal(readAvailable(errR), 'through your stderr\n');
    assert.deepEqual(notes, ['your stdin\n', 'cwd ok', 'root ok']);
    const call = seen as CallChannel;
    assert.deepEqual(call.cred, { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.(), groups: procGroups() });
    assert.deepEqual(call.request.argv.map((a) => a.toString('latin1')), ['/usr/bin/sv', 'status', '/srv/\xe9']);
    assert.deepEqual(call.request.env.map((a) => a.toString('latin1')), ['PATH=/bin', 'X=\xff']);
    assert.equal(call.request.cwd.toString(), '/some/where');
    assert.equal(call.request.nice, 7);
    assert.deepEqual(call.request.limits[9], { soft: 9n, hard: 18n });
    assert.equal(call.closed, true);
    // PID 1's copies were its own numbers, and are closed now
    for (const fd of Object.values(call.request.fds)) assert.ok(![inR, outW, errW, cwdFd, rootFd].includes(fd));
  } finally {
    for (const fd of [inR, inW, outR, outW, errR, errW, cwdFd, rootFd]) libc.close(fd);
    f.done();
  }
  await waitFor('descriptors back to the start', () => openFdCount() === start || undefined);
});

test('forwarded signals reach onSignal; a signal racing the final reply does not cost the client its reply', async () => {
  let held: CallChannel | undefined;
  const f = serve((call) => {
    if (call.request.argv[0]?.toString() === 'hold') {
      held = call;
      return;
    }
    call.onSignal((signo) => {
      if (signo === 15) call.send({ kind: 'exit', code: 0 });
      else call.send({ kind: 'out', stream: 1, data: Buffer.from(`got ${signo}\n`) });
    });
  });
  try {
    const cl = ToolClient.connect(f.sock);
    cl.sendRequest({ argv: ['svlogd'] });
    assert.deepEqual(await waitFor('the call', () => f.service.counters.calls === 1 || undefined), true);
    cl.sendSignal(1);
    cl.sendSignal(14);
    cl.sendSignal(15);
    const r = await cl.untilEnd();
    cl.close();
    assert.equal(r.out.toString(), 'got 1\ngot 14\n');
    assert.deepEqual(r.final, { kind: 'exit', code: 0 });
    assert.equal(f.service.counters.signals, 3);

    // The client forwards a signal while PID 1 ends the call, in the same
    // turn: the signal is unread when the connection closes.
    const c2 = ToolClient.connect(f.sock);
    c2.sendRequest({ argv: ['hold'] });
    const call = await waitFor('the held call', () => held);
    c2.sendSignal(2);
    call.send({ kind: 'exit', code: 42 });
    const r2 = await c2.untilEnd();
    c2.close();
    assert.deepEqual(r2.final, { kind: 'exit', code: 42 });
  } finally {
    f.done();
  }
});

test('EOF: onClose, and every descriptor received is closed', async () => {
  const start = openFdCount();
  let closes = 0;
  let call: CallChannel | undefined;
  const f = serve((c) => {
    call = c;
    c.onClose(() => {
      closes++;
      // nothing more is sent, and nothing throws
      c.send({ kind: 'out', stream: 1, data: Buffer.from('late') });
      c.send({ kind: 'exit', code: 0 });
    });
  });
  const [r, w] = libc.pipe2();
  try {
    const cl = ToolClient.connect(f.sock);
    cl.sendRequest({ argv: ['svlogd', 'x'], fds: { stdin: r, stdout: w, stderr: w } });
    await waitFor('the call', () => call);
    assert.equal(f.service.counters.open, 1);
    cl.close();
    await waitFor('onClose', () => closes === 1 || undefined);
    assert.equal(call?.closed, true);
    assert.equal(f.service.counters.open, 0);
    assert.equal(f.service.counters.gone, 1);
    // a listener added after the client left is told too, later
    let late = false;
    call?.onClose(() => (late = true));
    assert.equal(late, false);
    await waitFor('the late listener', () => late || undefined);
  } finally {
    libc.close(r);
    libc.close(w);
    f.done();
  }
  await waitFor('descriptors back to the start', () => openFdCount() === start || undefined);
  assert.equal(closes, 1);
});

test('garbage and half-sent requests close their connection, with their descriptors, and lose no other call', async () => {
  const start = openFdCount();
  let good: CallChannel | undefined;
  const f = serve((c) => {
    if (c.request.argv[0]?.toString() === 'good') good = c;
    else c.send({ kind: 'exit', code: 0 });
  }, { requestDeadlineMs: 1000 });
  const devnull = fs.openSync('/dev/null', 'r');
  try {
    const g = ToolClient.connect(f.sock);
    g.sendRequest({ argv: ['good'] });
    await waitFor('the good call', () => good);
    const ok = requestMessage({ argv: ['sv'], fds: { stdin: devnull } });
    const at = (off: number, v: number): Buffer => {
      const b = Buffer.from(ok.bytes);
      b.writeUInt32LE(v, off);
      return b;
    };
    const cases: Array<[string, Buffer, number[]]> = [
      ['bad magic', at(0, MAGIC ^ 1), [devnull]],
      ['bad version', at(4, 2), [devnull]],
      ['lengths past the end', ok.bytes.subarray(0, ok.bytes.length - 4), [devnull]],
      ['argc past the end', at(20 + NLIMITS * 16, 1000), [devnull]],
      ['six descriptors', at(8, 0x1f), [devnull, devnull, devnull, devnull, devnull, devnull]],
      ['flags without descriptors', ok.bytes, []],
      ['over 192 KiB', Buffer.concat([ok.bytes, Buffer.alloc(192 * 1024)]), [devnull]],
      ['a string without NUL', Buffer.concat([encodeRequest({ argv: [Buffer.from('sv')], env: [], cwd: Buffer.alloc(0), nice: 0, limits: [], sent: {} }).subarray(0, -1), Buffer.from('v')]), []],
      ['a signal first', Buffer.from('0700000001000000', 'hex'), []],
      ['an empty message', Buffer.alloc(0), []],
    ];
    const bad: ToolClient[] = [];
    for (const [, bytes, fds] of cases) {
      const c = ToolClient.connect(f.sock);
      libc.setSockoptInt(c.fd, libc.SOL_SOCKET, libc.SO_SNDBUF, 512 * 1024);
      c.sendRaw(bytes, fds);
      bad.push(c);
    }
    // connects and leaves before a request; connects and never sends one
    ToolClient.connect(f.sock).close();
    const mute = ToolClient.connect(f.sock);
    // a valid request then garbage after it
    let after: ToolClient;
    {
      after = ToolClient.connect(f.sock);
      after.sendRequest({ argv: ['good2'] });
    }
    for (const [i, c] of bad.entries()) {
      let end: string;
      try {
        end = String(await c.next());
      } catch (e) {
        end = (e as { code?: string }).code ?? String(e);
      }
      assert.ok(end === 'eof' || end === 'ECONNRESET', `${cases[i]?.[0]}: ${end}`);
      c.close();
    }
    assert.equal(f.service.counters.garbage, cases.length - 1, f.debug.join('\n'));
    assert.deepEqual(await after.untilEnd().then((r) => r.final), { kind: 'exit', code: 0 });
    after.close();
    // the mute one is closed at the deadline
    assert.equal(await mute.next(), 'eof');
    mute.close();
    assert.equal(f.service.counters.expired, 1);
    // the good call is untouched
    assert.equal(good?.closed, false);
    good?.send({ kind: 'exit', code: 5 });
    assert.deepEqual((await g.untilEnd()).final, { kind: 'exit', code: 5 });
    g.close();
    await waitFor('no open calls', () => f.service.counters.open === 0 || undefined);
  } finally {
    fs.closeSync(devnull);
    f.done();
  }
  await waitFor('descriptors back to the start', () => openFdCount() === start || undefined);
});

/** n clients at once: connect (waiting while the backlog is full), request, read to the end. */
async function crowd(sock: string, n: number, fdToSend: number): Promise<CallResult[]> {
  const clients: ToolClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await ToolClient.connectWaiting(sock);
    c.sendRequest({ argv: ['sv', String(i)], fds: { stdout: fdToSend } });
    clients.push(c);
  }
  const results: CallResult[] = clients.map(() => ({ replies: [], out: Buffer.alloc(0), err: Buffer.alloc(0), eof: false }));
  await waitFor(`${n} calls answered`, () => {
    let pending = 0;
    clients.forEach((c, i) => {
      const res = results[i] as CallResult;
      for (let m = c.poll(); m !== null && !res.eof; m = res.eof ? null : c.poll()) {
        if (m === 'eof') res.eof = true;
        else collect(res, m);
      }
      if (!res.eof) pending++;
    });
    return pending === 0 || undefined;
  });
  for (const c of clients) c.close();
  return results;
}

test('1,000 concurrent calls: all open at once, all answered, open calls bounded, descriptors back to the start', async () => {
  const start = openFdCount();
  const held: CallChannel[] = [];
  const N = 1000;
  const f = serve((c) => {
    held.push(c);
    // every call waits until all of them are open, then each ends in a turn of its own
    if (held.length === N) for (const h of held) setImmediate(() => h.send({ kind: 'exit', code: Number(h.request.argv[1]?.toString()) % 256 }));
  });
  const devnull = fs.openSync('/dev/null', 'w');
  try {
    const results = await crowd(f.sock, N, devnull);
    results.forEach((r, i) => assert.deepEqual(r.final, { kind: 'exit', code: i % 256 }));
    assert.equal(f.service.counters.calls, N);
    assert.equal(f.service.counters.openPeak, N);
    await waitFor('no open calls', () => f.service.counters.open === 0 || undefined);
  } finally {
    fs.closeSync(devnull);
    f.done();
  }
  await waitFor('descriptors back to the start', () => openFdCount() === start || undefined);
});

test('at maxCalls nothing more is accepted until a call ends; every caller is served in the end', async () => {
  const held: CallChannel[] = [];
  const f = serve((c) => void held.push(c), { maxCalls: 8 });
  const devnull = fs.openSync('/dev/null', 'w');
  try {
    const all = crowd(f.sock, 60, devnull);
    await waitFor('8 calls', () => held.length === 8 || undefined);
    // turns go by: the others wait in the kernel's backlog
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.equal(f.service.counters.accepted, 8);
    assert.equal(held.length, 8);
    // each call ended lets one more in
    const release = (): void => {
      for (const c of held.splice(0)) c.send({ kind: 'exit', code: 0 });
    };
    const done = { v: false };
    void all.then(() => (done.v = true));
    await waitFor('every caller served', () => {
      release();
      return done.v || undefined;
    });
    const results = await all;
    assert.ok(results.every((r) => r.final?.kind === 'exit'));
    assert.equal(f.service.counters.openPeak, 8);
    assert.equal(f.service.counters.accepted, 60);
  } finally {
    fs.closeSync(devnull);
    f.done();
  }
});

test('a client that never reads while 10 MB of OUT are sent: the loop stays responsive, the queue stays within 256 KiB, the final reply arrives', async () => {
  const MB10 = 10 * 1024 * 1024;
  let ticks = 0;
  let ticking = true;
  const tick = (): void => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  let sentAll = false;
  const f = serve((c) => {
    // as a tool would: a piece per turn
    const piece = Buffer.alloc(40 * 1024, 0x61);
    let sent = 0;
    const more = (): void => {
      if (sent >= MB10) {
        // and one send of the whole 10 MB at once
        c.send({ kind: 'out', stream: 2, data: Buffer.alloc(MB10, 0x62) });
        sentAll = true;
        c.send({ kind: 'exit', code: 9 });
        return;
      }
      c.send({ kind: 'out', stream: 1, data: piece });
      sent += piece.length;
      setImmediate(more);
    };
    more();
  });
  try {
    setImmediate(tick);
    const cl = ToolClient.connect(f.sock);
    cl.sendRequest({ argv: ['svlogd'] });
    await waitFor('the handler sent everything', () => sentAll || undefined);
    const ticksWhileSending = ticks;
    ticking = false;
    // 256 pieces over 256 turns: the ticker ran alongside
    assert.ok(ticksWhileSending >= 256, `ticks ${ticksWhileSending}`);
    assert.ok(f.service.counters.outQueuePeak <= 256 * 1024, `queue peak ${f.service.counters.outQueuePeak}`);
    assert.ok(f.service.counters.outDroppedBytes > 2 * MB10 - 1024 * 1024, `dropped ${f.service.counters.outDroppedBytes}`);
    const r = await cl.untilEnd();
    cl.close();
    assert.deepEqual(r.final, { kind: 'exit', code: 9 });
    assert.equal(r.out.length + r.err.length + f.service.counters.outDroppedBytes, 2 * MB10);
    assert.ok(r.out.every((b) => b === 0x61));
  } finally {
    ticking = false;
    f.done();
  }
});

test('many callers that never read: the bytes queued over every call stay within the total bound', async () => {
  const MB = 1024 * 1024;
  const CALLERS = 6;
  let done = 0;
  const f = serve(
    (c) => {
      c.send({ kind: 'out', stream: 1, data: Buffer.alloc(MB, 0x61) });
      c.send({ kind: 'exit', code: 3 });
      done++;
    },
    { ...BOUNDS, maxOutQueueTotalBytes: 512 * 1024 },
  );
  try {
    const clients = Array.from({ length: CALLERS }, () => {
      const cl = ToolClient.connect(f.sock);
      cl.sendRequest({ argv: ['sv'] });
      return cl;
    });
    await waitFor('every handler ran', () => done === CALLERS || undefined);
    const peak = f.service.counters.outQueueTotalPeak;
    assert.ok(peak <= 512 * 1024, `total queued peak ${peak}`);
    // each call alone would have queued up to 256 KiB: the total bound is what held them
    assert.ok(f.service.counters.outDroppedBytes >= CALLERS * MB - 512 * 1024 - CALLERS * 300 * 1024, `dropped ${f.service.counters.outDroppedBytes}`);
    for (const cl of clients) {
      const r = await cl.untilEnd();
      cl.close();
      assert.deepEqual(r.final, { kind: 'exit', code: 3 });
    }
  } finally {
    f.done();
  }
});

test('as nobody: the client connects, its uid, gid and groups (more than 64 of them) arrive as they are', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to become nobody');
  const got: Array<{ cred: CallChannel['cred'] }> = [];
  const f = serve((c) => {
    got.push({ cred: c.cred });
    c.send({ kind: 'out', stream: 1, data: Buffer.from(JSON.stringify(c.cred)) });
    c.send({ kind: 'exit', code: 0 });
  });
  try {
    const cli = path.join(import.meta.dirname, '..', 'helpers', 'tool-client-cli.ts');
    // more groups than the first SO_PEERGROUPS buffer holds (64): the ERANGE retry
    const groups = [65534, 4242, ...Array.from({ length: 70 }, (_, i) => 5000 + i)];
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', `--groups=${groups.join(',')}`, process.execPath, cli, f.sock, 'svlogd', '-tt', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.equal(code, 0, err);
    const res = JSON.parse(out) as { final: Reply; out: string };
    assert.deepEqual(res.final, { kind: 'exit', code: 0 });
    assert.equal(got.length, 1);
    // the kernel keeps groups sorted
    assert.deepEqual(got[0]?.cred, { pid: child.pid, uid: 65534, gid: 65534, groups: [...groups].sort((a, b) => a - b) });
    assert.deepEqual(JSON.parse(res.out), got[0]?.cred);
  } finally {
    f.done();
  }
});

test('a non-root uid beyond its calls in flight gets FALLBACK; long-running calls do not count', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to become nobody');
  const held: CallChannel[] = [];
  const f = serve((c) => {
    if (c.request.argv[1]?.toString() === 'long') c.markLongRunning();
    held.push(c);
    c.send({ kind: 'out', stream: 1, data: Buffer.from('ready\n') });
  }, { maxPendingPerUid: 2 });
  const run = async (arg: string): Promise<Array<{ final: Reply }>> => {
    const cli = path.join(import.meta.dirname, '..', 'helpers', 'tool-client-cli.ts');
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, '--calls', '4', f.sock, 'svlogd', arg], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    // the calls the handler got end once the client has made all four
    const fallbacks = f.service.counters.uidFallbacks;
    await waitFor('four calls made', () => held.length + f.service.counters.uidFallbacks - fallbacks === 4 || undefined);
    for (const c of held.splice(0)) c.send({ kind: 'exit', code: 0 });
    assert.equal(await exited, 0);
    return JSON.parse(out) as Array<{ final: Reply }>;
  };
  try {
    const short = await run('short');
    assert.deepEqual(short.map((r) => r.final.kind), ['exit', 'exit', 'fallback', 'fallback']);
    assert.equal(f.service.counters.uidFallbacks, 2);
    const long = await run('long');
    assert.deepEqual(long.map((r) => r.final.kind), ['exit', 'exit', 'exit', 'exit']);
    assert.equal(f.service.counters.uidFallbacks, 2);
  } finally {
    f.done();
  }
});

test('a handler that throws: the caller gets the error and 111, the service logs once and carries on', async () => {
  const warnings: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-tools-'));
  const sock = path.join(dir, 'tools.sock');
  const service = startToolService({
    socketPath: sock,
    log: { debug: () => {}, warn: (m) => void warnings.push(m) },
    handler: (c) => {
      if (c.request.argv[0]?.toString() === 'big') {
        // an exec plan larger than a message: the full executable carries it out instead
        c.send({ kind: 'exec', words: [Buffer.alloc(200 * 1024, 0x61)] });
        return;
      }
      throw new Error('tool exploded');
    },
  });
  try {
    for (let i = 0; i < 2; i++) {
      const cl = ToolClient.connect(sock);
      cl.sendRequest({ argv: ['sv'] });
      const r = await cl.untilEnd();
      cl.close();
      assert.deepEqual(r.final, { kind: 'exit', code: 111 });
      assert.equal(r.err.toString(), 'tsinit: fatal: tool exploded\n');
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /handler: tool exploded/);
    assert.equal(service.counters.errors, 2);
    const big = ToolClient.connect(sock);
    big.sendRequest({ argv: ['big'] });
    assert.deepEqual((await big.untilEnd()).final, { kind: 'fallback' });
    big.close();
  } finally {
    service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('stop(): running calls hear onClose, clients see the end, descriptors and the socket go', async () => {
  const start = openFdCount();
  let closes = 0;
  const f = serve((c) => c.onClose(() => closes++));
  const devnull = fs.openSync('/dev/null', 'r');
  try {
    const clients = [ToolClient.connect(f.sock), ToolClient.connect(f.sock)];
    for (const c of clients) c.sendRequest({ argv: ['runsvdir', '-P', '.'], fds: { stdin: devnull, stdout: devnull } });
    await waitFor('two calls', () => f.service.counters.calls === 2 || undefined);
    f.service.stop();
    assert.equal(closes, 2);
    assert.equal(fs.existsSync(f.sock), false);
    for (const c of clients) {
      assert.equal(await c.next(), 'eof');
      c.close();
    }
  } finally {
    fs.closeSync(devnull);
    f.done();
  }
  await waitFor('descriptors back to the start', () => openFdCount() === start || undefined);
});

test('refused: a run dir others can write to, a path too long for a socket', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-tools-'));
  try {
    fs.chmodSync(dir, 0o777);
    assert.throws(() => startToolService({ socketPath: path.join(dir, 'tools.sock'), handler: () => {}, log: silent }), /writable by group or others/);
    assert.equal(fs.existsSync(path.join(dir, 'tools.sock')), false);
    fs.chmodSync(dir, 0o700);
    assert.throws(() => startToolService({ socketPath: path.join(dir, 'x'.repeat(120)), handler: () => {}, log: silent }), /ENAMETOOLONG/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('out of descriptors: accept fails, the listener rests instead of spinning, and the callers are served later', async () => {
  const warnings: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-tools-'));
  const sock = path.join(dir, 'tools.sock');
  const service = startToolService({ socketPath: sock, log: { debug: () => {}, warn: (m) => void warnings.push(m) }, handler: (c) => c.send({ kind: 'exit', code: 0 }) });
  const saved = libc.getrlimit(libc.Rlimit.NOFILE);
  const clients: ToolClient[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const c = ToolClient.connect(sock);
      c.sendRequest({ argv: ['sv'] });
      clients.push(c);
    }
    // no descriptor left for accept: the limit is the lowest free number
    const probe = fs.openSync('/dev/null', 'r');
    fs.closeSync(probe);
    libc.setrlimit(libc.Rlimit.NOFILE, { soft: BigInt(probe), hard: saved.hard });
    try {
      await waitFor('accept failing', () => warnings.some((w) => /accept: .*EMFILE/.test(w)) || undefined);
      const turns = service.counters.turns;
      for (let i = 0; i < 100; i++) await new Promise((r) => setImmediate(r));
      assert.ok(service.counters.turns - turns < 10, `${service.counters.turns - turns} turns while resting`);
    } finally {
      libc.setrlimit(libc.Rlimit.NOFILE, saved);
    }
    for (const c of clients) assert.deepEqual((await c.untilEnd()).final, { kind: 'exit', code: 0 });
    assert.equal(warnings.length, 1);
  } finally {
    libc.setrlimit(libc.Rlimit.NOFILE, saved);
    for (const c of clients) c.close();
    service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
