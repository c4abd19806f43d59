// What PID 1 keeps per spawn, exit, restart and logged line stays bounded:
// thousands of events go through each structure and the test checks, by
// count, what is still referenced afterwards (WeakRefs and a forced GC for
// the queues, sizes for maps, histories and listeners). Nothing is timed.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as libc from '../../native/libc.ts';
import { createLogger } from '../../src/svlogd/logger.ts';
import { PipeReader } from '../../src/svlogd/pipe-reader.ts';
import { TurnSlicer } from '../../src/util/turn-slicer.ts';
import { emitEvent, eventHistory, HISTORY, resetEvents } from '../../src/events/bus.ts';
import { follow } from '../../src/events/follower.ts';
import { OrphanTally, Reaper, type WaitSource } from '../../src/process/reaper.ts';
import { Harness } from '../helpers/service-machine.ts';
import { OutputQueue } from '../../src/supervise/prefix-output.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'retained-bounds-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** How many of the objects are still reachable after a full collection. */
async function alive(refs: ReadonlyArray<WeakRef<object>>): Promise<number> {
  // WeakRefs are cleared after the job that created them: collect in a later turn.
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  return refs.filter((r) => r.deref() !== undefined).length;
}

test('svlogd logger: lines written and logged are not kept (1 line per read, 3000 reads)', async () => {
  const d = path.join(root, 'log');
  fs.mkdirSync(d);
  const logger = createLogger([d], { timestamp: 2, verbose: false, repl: 0, replace: Buffer.alloc(0), linemax: 1000 }, () => {});
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(`crash ${i}\n`);
    refs.push(new WeakRef(b));
    logger.write(b);
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  await logger.settled();
  assert.equal(fs.readFileSync(path.join(d, 'current'), 'latin1').split('\n').length - 1, 3000, 'every line logged');
  const left = await alive(refs);
  // main kept every performed op until 1024 of them had piled up: ~900 here.
  assert.ok(left <= 2, `${left} of 3000 logged chunks still referenced by the logger`);
  await logger.end();
});

test('pipe reader: a short read does not hand over (and so pin) the whole read buffer', async () => {
  const [r, w] = libc.pipe2(libc.O_CLOEXEC);
  const got: Buffer[] = [];
  let wake: () => void = () => {};
  const reader = new PipeReader(r, 1 << 20, {
    data: (chunk) => {
      got.push(chunk);
      wake();
      return true;
    },
    end: () => {},
    error: (e) => assert.fail(e),
  });
  try {
    for (let i = 0; i < 20; i++) {
      const line = Buffer.from(`crash ${i}\n`);
      const seen = new Promise<void>((res) => (wake = res));
      fs.writeSync(w, line);
      await seen;
    }
  } finally {
    reader.close();
    libc.close(w);
    libc.close(r);
  }
  assert.equal(Buffer.concat(got).toString(), Array.from({ length: 20 }, (_, i) => `crash ${i}\n`).join(''));
  // A copy (from Node's shared pool at most), not a view of the 1 MB read buffer.
  for (const c of got) assert.ok(c.buffer.byteLength <= Buffer.poolSize, `a ${c.length}-byte read holds a ${c.buffer.byteLength}-byte buffer`);
});

test('turn slicer: handled items are not kept while a backlog lasts (5000 items)', async () => {
  const turns: Array<() => void> = [];
  const s = new TurnSlicer<object>(() => {}, { maxItems: 4, maxMs: 1000, now: () => 0, later: (fn) => turns.push(fn) });
  const refs: WeakRef<object>[] = [];
  const add = (): void => {
    const o = { payload: new Uint8Array(64) };
    refs.push(new WeakRef(o));
    s.push(o);
  };
  // Always 4 to 8 pending: the queue never drains, so it is never reset.
  for (let i = 0; i < 8; i++) add();
  for (let i = 0; i < 1250; i++) {
    for (let k = 0; k < 4; k++) add();
    turns.shift()?.();
  }
  assert.ok(s.pending > 0);
  const left = await alive(refs);
  assert.ok(left <= s.pending, `${left} items referenced, ${s.pending} pending`);
});

test('service machine and driver: 5000 crash-loop restarts (main and log) leave the state the size it had after 10', () => {
  const h = new Harness({ log: { down: false } });
  h.start();
  let pid = h.s.main.pid;
  let shape = '';
  const refs: WeakRef<object>[] = [];
  for (let i = 1; i <= 5000; i++) {
    h.advance(100);
    const ev = { type: 'exit' as const, pid, wstat: 1 << 8 };
    refs.push(new WeakRef(ev));
    h.driver.post(ev);
    assert.ok(h.sleeping, `restart ${i}: runit's 1 s pause`);
    h.releaseSleep();
    assert.notEqual(h.s.main.pid, pid, `restart ${i}: a new ./run`);
    pid = h.s.main.pid;
    h.take();
    // The numbers grow (pids, counters, clock); nothing else may.
    const now = JSON.stringify({ s: h.s, p: h.machine.p }).replace(/\d+/g, '0');
    if (i === 10) shape = now;
    if (i > 10) assert.equal(now, shape, `restart ${i}: the state changed shape`);
  }
  assert.equal(h.machine.p.restarts, 5000);
  assert.equal(h.driver.pending, 0, 'no event left queued');
  assert.equal(h.timers.size, 0, 'no timer left armed');
  assert.deepEqual(h.errors, []);
  return alive(refs).then((left) => assert.ok(left <= 1, `${left} of 5000 exit events still referenced`));
});

test('event bus: 20,000 events and 1000 followers come and go: history and listeners bounded', () => {
  resetEvents();
  let written = 0;
  const sink = { write: (): void => void written++, backlog: (): number => 0, destroy: (): void => {} };
  for (let i = 0; i < 1000; i++) follow(sink)();
  for (let i = 0; i < 20_000; i++) emitEvent({ type: 'exited', service: `s${i % 100}`, side: 'main', pid: 1000 + i, code: 1 });
  assert.equal(written, 0, 'a stopped follower is no listener any more');
  assert.equal(eventHistory().length, HISTORY);
  const oldest = eventHistory()[0];
  assert.equal(oldest?.type === 'exited' ? oldest.pid : undefined, 1000 + 20_000 - HISTORY, 'the newest are kept');
  resetEvents();
});

test('reaper: 10,000 spawned children and 10,000 orphans reaped: no owner left, one pending tally', () => {
  let next: Array<{ pid: number; status: number }> = [];
  const source: WaitSource = { waitAny: () => next.shift() ?? { pid: 0, status: 0 } };
  const windows: Array<() => void> = [];
  const events: number[] = [];
  const tally = new OrphanTally((ev) => events.push(ev.type === 'orphans-reaped' ? ev.count : -1), (fn) => windows.push(fn));
  const r = new Reaper(source, { maxPerTurn: 1 << 30, maxMs: 1e9, later: () => {} }, tally);
  let exits = 0;
  for (let i = 0; i < 10_000; i++) {
    const pid = 2 + i;
    r.watch(pid, () => void exits++);
    next = [{ pid, status: 1 << 8 }, { pid: 100_000 + i, status: 0 }];
    r.reapNow();
    if (i % 1000 === 999) windows.splice(0).forEach((fn) => fn());
  }
  assert.equal(exits, 10_000);
  assert.equal(r.running, 0, 'every owner dropped at its exit');
  assert.equal(r.orphansReaped, 10_000);
  assert.equal(events.reduce((a, b) => a + b, 0), 10_000);
  assert.ok(windows.length === 0 && events.length === 10, 'one report per window, not per orphan');
});

test('prefixed output queue: written lines are not kept while output keeps coming (3000 lines)', async () => {
  const pending: Array<() => void> = [];
  const q = new OutputQueue((_fd, buf, done) => pending.push(() => done(null, buf.length)));
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < 3000; i++) {
    const line = Buffer.from(`svc: line ${i}\n`);
    refs.push(new WeakRef(line));
    q.write(1, [line]);
    // The write under way completes after the next line came: the queue never drains.
    if (i > 0) pending.shift()?.();
  }
  assert.equal(pending.length, 1, 'one write under way');
  const left = await alive(refs);
  assert.ok(left <= 2, `${left} of 3000 written lines still referenced`);
});
