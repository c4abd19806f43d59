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
