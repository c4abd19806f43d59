// Issue 18's security tests under abuse, end to end against a real tsinit
// PID 1 in a PID namespace: a raw client (tool-abuse-cli.ts) that sends
// garbage, disconnects half-way (after connect, after the request, during a
// long call), floods SIGNAL messages; and 1,000 calls of the real C client at
// once, root and nobody mixed. PID 1 keeps serving, its open descriptors
// return to where they were, its RSS stays put.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import * as libc from '../../native/libc.ts';
import { encodeStatus } from '../../src/supervise/status-file.ts';
import { wallNow } from '../../src/util/tai64n.ts';
import { requestMessage } from '../helpers/tool-client.ts';
import { fakeService, NOBODY, NOWHERE_ERR, startPid1, until, type Pid1 } from '../helpers/pid1-tools.ts';

const cli = path.join(import.meta.dirname, '../helpers/tool-abuse-cli.ts');
const SIGCONT = 18;
const status = (pid: number, up: boolean): Buffer =>
  encodeStatus({ since: wallNow(), pid: up ? pid : 0, paused: false, want: up ? 'up' : 'down', termSent: false, state: up ? 'run' : 'down' });

interface Abuser {
  step(...cmd: unknown[]): Promise<Record<string, unknown>>;
  end(): Promise<void>;
}

/** The raw client inside PID 1's namespace, as root or nobody, one step at a time. */
function abuser(p: Pid1, nobody: boolean): Abuser {
  const proc = spawn('nsenter', ['-t', String(p.pid), '-p', '-m', '--', ...(nobody ? NOBODY : []), process.execPath, '--no-warnings', cli, path.join(p.runDir, 'tools.sock')], {
    cwd: p.dir,
    env: { PATH: '/usr/bin:/bin' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  readline.createInterface({ input: proc.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else answers.push(l);
  });
  const closed = new Promise<void>((r) => proc.on('close', () => r()));
  return {
    step: (...cmd) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(cmd)}`)), 60_000);
        const take = (l: string): void => {
          clearTimeout(timer);
          resolve(JSON.parse(l) as Record<string, unknown>);
        };
        const ready = answers.shift();
        if (ready !== undefined) take(ready);
        else waiting.push(take);
        proc.stdin.write(`${JSON.stringify(cmd)}\n`);
      }),
    end: async () => {
      proc.stdin.end();
      await closed;
    },
  };
}

/** Clients of this test (sv under dir) that sent their request and wait in poll() for the answer. */
function waitingClients(dir: string): number {
  let n = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8') === 'sv\n' && fs.readFileSync(`/proc/${d}/cmdline`, 'latin1').startsWith(`${dir}/`) && /poll/.test(fs.readFileSync(`/proc/${d}/wchan`, 'utf8'))) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/**
 * PID 1's descriptor count once it is quiet: a call's answer reaches its
 * client before PID 1 is done with everything (a file handle closed a turn
 * later), so a count taken right after a call can be one high.
 */
async function quietFds(p: Pid1): Promise<number> {
  let last = p.fdCount();
  for (let same = 0; same < 5; ) {
    await new Promise((r) => setTimeout(r, 20));
    const n = p.fdCount();
    same = n === last ? same + 1 : 0;
    last = n;
  }
  return last;
}

/** PID 1's descriptors are back to `base` (the calls' sockets and the descriptors they sent all closed). */
async function fdsBack(p: Pid1, base: number, what: string): Promise<void> {
  // (not above: a descriptor of PID 1's own may have been open at the first count)
  await until(`PID 1's descriptors back to ${base} after ${what} (now ${p.fdCount()})`, () => p.fdCount() <= base);
}

/** A real client's `sv status` as root is answered in-process, correctly. */
async function stillServing(p: Pid1, svc: string, pid: number): Promise<void> {
  const r = await p.call(['sv', 'status', svc], { nowhere: true });
  assert.equal(r.err, '');
  assert.match(r.out, new RegExp(`^run: ${svc}: \\(pid ${pid}\\) \\d+s\\n$`));
}

/**
 * SIGSTOP and SIGCONT for PID 1, to let callers queue up in the kernel while
 * it cannot accept; a test that fails while it is stopped continues it at
 * its end, so that it can be stopped and the namespace goes.
 */
function stopper(t: { after(fn: () => void): void }, p: Pid1): { stop(): void; cont(): void } {
  const cont = (): void => void process.kill(p.pid, 'SIGCONT');
  t.after(() => {
    try {
      cont();
    } catch {
      // PID 1 has exited already
    }
  });
  return { stop: () => void process.kill(p.pid, 'SIGSTOP'), cont };
}

test('a raw client as nobody: garbage, a disconnect after connect and after the request, a connection that never sends one - closed, every descriptor back, others served', async (t) => {
  const p = await startPid1(t);
  const web = fakeService(path.join(p.dir, 'web'), { status: status(4545, true), fifoMode: 0o644 });
  t.after(() => web.close());
  await stillServing(p, web.dir, 4545);
  const base = await quietFds(p);
  const a = abuser(p, true);
  t.after(() => a.end());
  const valid = requestMessage({ argv: ['sv', 'status', web.dir], cwd: '/' }).bytes;
  const tweak = (at: number, value: number): string => {
    const b = Buffer.from(valid);
    b.writeUInt32LE(value, at);
    return b.toString('hex');
  };
  const garbage: Array<[string, string, boolean, RegExp]> = [
    ['bad magic, with descriptors', Buffer.alloc(64, 0x5a).toString('hex'), true, /^bad magic$/],
    ['too short', '545343', false, /^request of 3 bytes$/],
    ['version 2, with descriptors', tweak(4, 2), true, /^version 2$/],
    ['argc past the end', tweak(5 * 4 + 16 * 16, 0xffffff), false, /^lengths past the end$/],
    ['descriptors the flags do not name', valid.toString('hex'), true, /^flags name 0 descriptors, 3 came$/],
    ['a signal before the request', Buffer.from([7, 0, 0, 0, 15, 0, 0, 0]).toString('hex'), false, /^request of 8 bytes$/],
  ];
  for (const [what, hex, withFds, reason] of garbage) {
    const mark = p.log().length;
    assert.deepEqual(await a.step('connect'), { ok: true });
    assert.deepEqual(await a.step('raw', hex, withFds), { ok: true }, what);
    const r = await a.step('until-eof');
    assert.deepEqual({ eof: r.eof, replies: r.replies }, { eof: true, replies: [] }, `${what}: closed without an answer`);
    await until(`the debug line for ${what}`, () => /closed a connection of pid \d+ uid 65534: (.*)\n/.test(p.log().slice(mark)));
    assert.match(/closed a connection of pid \d+ uid 65534: (.*)\n/.exec(p.log().slice(mark))?.[1] ?? '', reason, what);
    await a.step('close');
    await fdsBack(p, base, what);
  }
  // gone right after connect; gone after the request without reading the answer
  await a.step('connect');
  await a.step('close');
  await fdsBack(p, base, 'a disconnect after connect');
  await a.step('connect');
  await a.step('request', 'sv', 'status', web.dir);
  await a.step('close');
  await fdsBack(p, base, 'a disconnect after the request');
  // connected, never a request: served meanwhile, closed at the deadline
  const mark = p.log().length;
  await a.step('connect');
  await stillServing(p, web.dir, 4545);
  const r = await a.step('until-eof');
  assert.deepEqual({ eof: r.eof, replies: r.replies }, { eof: true, replies: [] });
  // (PID 1's log reaches this process through another pipe than the end of file)
  await until('the debug line for the deadline', () => /uid 65534: no request within 5000 ms/.test(p.log().slice(mark)));
  await a.step('close');
  await fdsBack(p, base, 'the request deadline');
  // SIGNAL floods from nobody: before a request it is garbage; after its
  // FALLBACK the connection is shut and they go nowhere
  await a.step('connect');
  const before = await a.step('signals', 2000, SIGCONT);
  assert.ok(Number(before.sent) >= 1, JSON.stringify(before));
  await a.step('close');
  await a.step('connect');
  await a.step('request', 'sv', 'status', web.dir);
  const fb = await a.step('until-eof');
  assert.deepEqual(fb.final, { kind: 'fallback' });
  await a.step('signals', 2000, SIGCONT);
  await a.step('close');
  await fdsBack(p, base, 'SIGNAL floods from nobody');
  await stillServing(p, web.dir, 4545);
  assert.equal(web.control(), '');
});

test('a flood of connections from nobody that send nothing holds at most its 64 calls: beyond, each is answered at once, not kept until the deadline', async (t) => {
  const p = await startPid1(t);
  const web = fakeService(path.join(p.dir, 'web'), { status: status(4747, true), fifoMode: 0o644 });
  t.after(() => web.close());
  await stillServing(p, web.dir, 4747);
  const base = await quietFds(p);
  const a = abuser(p, true);
  t.after(() => a.end());
  // more than PID 1's 1,024 open calls: kept until their deadline they would shut every caller out
  const N = 1100;
  // PID 1 stopped while they connect: all wait in the listener's backlog and
  // are accepted at once when it continues, so that the first 64 cannot reach
  // their deadline before the last is accepted, however slow the machine
  const pid1 = stopper(t, p);
  pid1.stop();
  const held = await a.step('hold', N);
  pid1.cont();
  assert.deepEqual(held, { held: N });
  const count = (re: RegExp): number => (p.log().match(re) ?? []).length;
  const answered = /uid 65534 has 64 calls in flight: FALLBACK/g;
  const expired = /uid 65534: no request within 5000 ms/g;
  // all but 64 answered FALLBACK as they were accepted (their end of file
  // seen while nobody still holds them), not kept until their deadline
  let eof = 0;
  for (const end = Date.now() + 120_000; eof < N - 64 && Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    eof = Number((await a.step('held-eof')).eof);
  }
  await stillServing(p, web.dir, 4747);
  // the 64 it may hold expire at the deadline
  await until('the 64 held calls expiring', () => count(expired) >= 64);
  assert.ok(eof >= N - 64, `${eof} closed`);
  assert.deepEqual({ answered: count(answered), expired: count(expired) }, { answered: N - 64, expired: 64 });
  await a.step('release');
  await fdsBack(p, base, 'the flood');
});

test('a long call (sv -w 600 up on a service that never comes up) takes 2,000 SIGNALs and is dropped when its client goes', async (t) => {
  const p = await startPid1(t);
  const web = fakeService(path.join(p.dir, 'web'), { status: status(4646, true), fifoMode: 0o600 });
  t.after(() => web.close());
  const never = fakeService(path.join(p.dir, 'never'), { status: status(0, false), fifoMode: 0o600 });
  t.after(() => never.close());
  await stillServing(p, web.dir, 4646);
  const base = await quietFds(p);
  // root's sv runs in PID 1 (a nobody caller's would fall back)
  const a = abuser(p, false);
  t.after(() => a.end());
  await a.step('connect');
  await a.step('request', 'sv', '-w', '600', 'up', never.dir);
  // the call holds its socket and the five descriptors it sent; it asked runsv for `up`
  await until('the long call running', () => p.fdCount() >= base + 6 && never.control() === 'u');
  const sent = await a.step('signals', 2000, SIGCONT);
  assert.equal(sent.sent, 2000, JSON.stringify(sent));
  await stillServing(p, web.dir, 4646);
  // SIGCONT without a listener only continues a process: the call still runs
  assert.ok(p.fdCount() >= base + 6, `${p.fdCount()} descriptors: the call was dropped`);
  assert.equal(never.control(), 'u');
  await a.step('close');
  await fdsBack(p, base, 'the long call\'s client left');
  await until('PID 1 saying the client went away', () => /the client of pid \d+ went away/.test(p.log()));
  await stillServing(p, web.dir, 4646);
  t.diagnostic(`PID 1 had ${base} descriptors before and after; the SIGNAL flood met a full socket ${String(sent.full)} times`);
});

/**
 * The callers of one flood that wait at the gate: the flood's own shell's
 * children, still `sh`, asleep in the open of the gate FIFO (which returns
 * only once a writer opens it).
 */
function atGate(gate: string): number {
  const openat = process.arch === 'arm64' ? '56' : '257';
  const read = (pid: string, f: string): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/${f}`, 'latin1');
    } catch {
      return ''; // gone meanwhile
    }
  };
  const pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const shells = new Set(pids.filter((d) => read(d, 'cmdline').startsWith('sh\0-c\0') && read(d, 'cmdline').includes(`<${gate};`)));
  let n = 0;
  for (const d of pids) {
    const stat = read(d, 'stat');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '';
    if (!shells.has(ppid) || read(d, 'comm') !== 'sh\n') continue;
    if (read(d, 'wchan').includes('partner') || read(d, 'syscall').split(' ')[0] === openat) n++;
  }
  return n;
}

test('1,000 concurrent calls of the real client (sv status as root and as nobody, mixed): all answered, PID 1\'s descriptors back, its RSS flat from one flood to the next', async (t) => {
  const p = await startPid1(t);
  const names = ['a', 'b', 'c'];
  const svcs = names.map((n, i) => fakeService(path.join(p.dir, 'sv', n), { status: status(5000 + i, true), fifoMode: 0o644 }));
  t.after(() => svcs.forEach((s) => s.close()));
  const N = 1000;
  const outDir = path.join(p.dir, 'out');
  const gate = path.join(p.dir, 'gate');
  // One process per call, so that 1,000 calls in flight are 1,000 processes
  // (a machine's pids limit is met less soon): each caller is a subshell that
  // opens the gate FIFO (blocking until the test opens its other end: then all
  // go at once) and execs the client; the flood's shell waits for each and
  // writes its exit code. Every fourth call is nobody's, through the client
  // whose slot names nothing: its sv falls back, which shows as NOWHERE_ERR.
  const script = (n: number, gated: boolean): string => [
    `export SVDIR=${path.join(p.dir, 'sv')}`,
    'i=0',
    'pids=',
    `while [ $i -lt ${n} ]; do`,
    '  if [ $((i % 4)) -eq 3 ]; then',
    `    ( ${gated ? `exec 9<${gate}; ` : ''}exec ${NOBODY.join(' ')} ${p.nowhere}/sv status ${names.join(' ')} >${outDir}/$i.out 2>${outDir}/$i.err ) &`,
    '  else',
    `    ( ${gated ? `exec 9<${gate}; ` : ''}exec ${p.bin}/sv status ${names.join(' ')} >${outDir}/$i.out 2>${outDir}/$i.err ) &`,
    '  fi',
    '  pids="$pids $!"',
    '  i=$((i+1))',
    'done',
    'i=0',
    `for c in $pids; do wait $c; echo $? >${outDir}/$i.code; i=$((i+1)); done`,
  ].join('\n');
  const inDir = { cwd: path.join(p.dir, 'sv') };
  const freshOut = (): void => {
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { mode: 0o777 });
    fs.chmodSync(outDir, 0o777);
  };
  const check = (n: number): void => {
    let root = 0;
    let nobody = 0;
    for (let i = 0; i < n; i++) {
      const read = (ext: string): string => fs.readFileSync(path.join(outDir, `${i}.${ext}`), 'utf8');
      if (i % 4 === 3) {
        assert.deepEqual({ code: read('code'), out: read('out'), err: read('err') }, { code: '111\n', out: '', err: NOWHERE_ERR }, `call ${i} (nobody)`);
        nobody++;
      } else {
        assert.equal(read('err'), '', `call ${i}`);
        assert.equal(read('code'), '0\n', `call ${i}`);
        assert.match(read('out'), /^run: a: \(pid 5000\) \d+s\nrun: b: \(pid 5001\) \d+s\nrun: c: \(pid 5002\) \d+s\n$/, `call ${i}`);
        root++;
      }
    }
    assert.deepEqual({ root, nobody }, { root: (n / 4) * 3, nobody: n / 4 });
  };
  // warm up (the tools loaded, the heap grown to its working size)
  freshOut();
  const warm = await p.exec(['sh', '-c', script(100, false)], inDir);
  assert.equal(warm.code, 0, warm.err);
  check(100);
  const base = await quietFds(p);
  const rss: number[] = [p.rssKb()];
  let peak = base;
  const pid1 = stopper(t, p);
  // Two floods: the first grows PID 1's heap to what 1,000 calls at once
  // need; the second must find it so (what a call leaves behind would add up)
  for (const round of [1, 2]) {
    freshOut();
    fs.rmSync(gate, { force: true });
    libc.mkfifo(gate, 0o600);
    const flood = p.exec(['sh', '-c', script(N, true)], inDir);
    await until(`${N} callers waiting at the gate, round ${round} (${atGate(gate)})`, () => atGate(gate) === N, 300_000);
    // PID 1 stopped while they connect and send their requests: all 1,000 are
    // in flight at once (queued in the listener's backlog, each client waiting
    // for its answer), then PID 1 continues and takes them all
    pid1.stop();
    fs.closeSync(fs.openSync(gate, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    await until(`${N} clients waiting for their answer, round ${round} (${waitingClients(p.dir)})`, () => waitingClients(p.dir) === N, 300_000);
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, p.fdCount());
      } catch {
        // PID 1 between two reads: the next sample
      }
    }, 2);
    pid1.cont();
    const done = await flood;
    clearInterval(sampler);
    assert.equal(done.code, 0, done.err);
    check(N);
    await fdsBack(p, base, `${N} calls, round ${round}`);
    rss.push(p.rssKb());
  }
  t.diagnostic(`${N} clients in flight at once, twice (sent their request, waiting for the answer); PID 1's descriptors peaked at ${peak - base} over its ${base} (sampled: about ${Math.round((peak - base) / 6)} calls open at once, 6 descriptors each); RSS ${rss.join(' kB, ')} kB (after the warm-up, the first and the second flood)`);
  const [, first = 0, second = 0] = rss;
  assert.ok(second - first < 8 * 1024, `RSS grew by ${second - first} kB from the first flood to the second`);
  // and still serving
  await stillServing(p, svcs[0]?.dir as string, 5000);
});
