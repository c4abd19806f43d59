// The pieces that keep a logger restart from losing or splitting lines, and
// an in-process logger acting for another account from doing more than it
// could: PipeReader (never reads ahead once paused; byte-wise to a line's
// end; a bounded number of bytes per event-loop turn, per reader or shared by
// several through a TurnPool), lineFinisher (TERM: a long line written to its end, a short one
// dropped), and the permission checks (owner-access.ts).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { createLogger, lineFinisher } from '../../src/svlogd/logger.ts';
import { mayAccess, mayChmod, numericSpec, R, W, X, type Owner } from '../../src/svlogd/owner-access.ts';
import { PipeReader, TurnPool } from '../../src/svlogd/pipe-reader.ts';
import { processorCommand } from '../../src/svlogd/processor.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svlogd-safety-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

test('PipeReader: paused inside data(), nothing more leaves the pipe; byte-wise reads stop at the newline', async () => {
  const [rd, wr] = libc.pipe2();
  const got: string[] = [];
  let stopAt = -1;
  const reader = new PipeReader(rd, 1 << 16, {
    data(chunk) {
      got.push(chunk.toString());
      if (stopAt >= 0 && chunk[0] === stopAt) return false;
      return got.length > 1 || !chunk.includes(10);
    },
    end() {},
    error() {},
  });
  fs.writeSync(wr, 'first\nhalf');
  await until(() => got.length === 1);
  assert.deepEqual(got, ['first\nhalf']);
  // paused by data()'s false: later bytes stay in the pipe
  fs.writeSync(wr, ' line\nnext line\n');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, 1);
  stopAt = 10;
  reader.readByteWise();
  reader.resume();
  await until(() => got.at(-1) === '\n');
  assert.deepEqual(got.slice(1), [' ', 'l', 'i', 'n', 'e', '\n']);
  reader.close();
  // the rest is still there, for the next reader, and the pipe is blocking again
  assert.equal(libc.fcntl(rd, libc.F_GETFL) & libc.O_NONBLOCK, 0);
  const rest = Buffer.alloc(100);
  assert.equal(rest.toString('latin1', 0, fs.readSync(rd, rest)), 'next line\n');
  fs.closeSync(rd);
  fs.closeSync(wr);
});

test('PipeReader: a flooding writer gets one turn budget of bytes, then the reader yields until its next turn', { timeout: 60000 }, async () => {
  const [rd, wr] = libc.pipe2();
  fs.writeSync(wr, Buffer.alloc(1 << 16, 97)); // a full pipe: libuv would read it all in one event
  let got = 0;
  const turns: Array<() => void> = [];
  const reader = new PipeReader(
    rd,
    4096,
    {
      data(chunk) {
        got += chunk.length;
        return true;
      },
      end() {},
      error() {},
    },
    { bytes: 8192, defer: (next) => turns.push(next) },
  );
  await until(() => turns.length === 1);
  // the budget was spent: two 4 KiB reads, then the reader asked for its next turn
  assert.equal(got, 8192);
  // other turns of the loop pass (poll phases included): the reader stays off the pipe
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(got, 8192);
  assert.equal(turns.length, 1);
  // a resume() meanwhile (backpressure over) does not jump the queue
  reader.resume();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(got, 8192);
  (turns.shift() as () => void)();
  await until(() => turns.length === 1);
  assert.equal(got, 16384);
  // every byte arrives, one budget per turn
  while (got < 1 << 16) {
    (turns.shift() as () => void)();
    await until(() => turns.length === 1 || got === 1 << 16);
  }
  assert.equal(got, 1 << 16);
  reader.close();
  fs.closeSync(rd);
  fs.closeSync(wr);
});

test('PipeReader: readers sharing a TurnPool read at most its bytes (plus one read) per turn together, and each gets its turns', { timeout: 60000 }, async () => {
  const READERS = 4;
  const EACH = 32768;
  const CHUNK = 4096;
  const turns: Array<() => void> = [];
  const pool = new TurnPool(8192, (next) => turns.push(next));
  const got: number[] = [];
  const pipes: Array<[number, number]> = [];
  const readers: PipeReader[] = [];
  for (let i = 0; i < READERS; i++) {
    const [rd, wr] = libc.pipe2();
    fs.writeSync(wr, Buffer.alloc(EACH, 97 + i)); // every writer floods at once
    pipes.push([rd, wr]);
    got.push(0);
    readers.push(
      new PipeReader(rd, CHUNK, {
        data(chunk) {
          got[i] = (got[i] as number) + chunk.length;
          return true;
        },
        end() {},
        error() {},
      }, pool),
    );
  }
  const total = (): number => got.reduce((a, b) => a + b, 0);
  const left = (): number => got.filter((g) => g < EACH).length;
  // quiet: 20 loop turns (poll phases included) pass without a read; readers left waiting in the pool's line
  const quiet = async (): Promise<void> => {
    for (;;) {
      const before = total();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      if (total() === before) break;
    }
    if (left() > 0) assert.ok(pool.queued > 0 && turns.length === 1, 'readers with bytes left wait for a turn');
  };
  await quiet();
  // the first turn: the pool's bytes, then one read of each reader that was not waiting yet
  assert.equal(total(), 8192 + (READERS - 1) * CHUNK);
  assert.equal(turns.length, 1);
  let turnsRun = 0;
  while (left() > 0) {
    const before = total();
    (turns.shift() as () => void)();
    turnsRun++;
    await quiet();
    // with a budget per reader, 4 readers would read 4 x 8192 here
    assert.ok(total() - before <= 8192 + CHUNK, `turn ${turnsRun} read ${total() - before} bytes`);
    assert.ok(total() > before, `turn ${turnsRun} read nothing`);
    assert.ok(turnsRun < 100);
  }
  // every byte of every writer arrived: each reader got its turns
  assert.deepEqual(got, Array(READERS).fill(EACH));
  for (const r of readers) r.close();
  for (const [rd, wr] of pipes) {
    fs.closeSync(rd);
    fs.closeSync(wr);
  }
});

function logger(linemax: number) {
  const d = fs.mkdtempSync(path.join(root, 'd'));
  const l = createLogger([d], { timestamp: 0, verbose: false, repl: 0, replace: Buffer.alloc(0), linemax }, () => undefined);
  return { l, current: () => fs.readFileSync(path.join(d, 'current'), 'latin1') };
}

test('lineFinisher: nothing to finish at a line boundary', async () => {
  const { l } = logger(10);
  l.write(Buffer.from('one\n'));
  await l.settled();
  assert.equal(lineFinisher(l, 10), undefined);
  await l.end();
});

test('lineFinisher: a short line is read to its newline and dropped', async () => {
  const { l, current } = logger(10);
  l.write(Buffer.from('one\npar'));
  await l.settled();
  const f = lineFinisher(l, 10);
  assert.ok(f);
  assert.equal(f(Buffer.from('t')), false);
  assert.equal(f(Buffer.from('\n')), true);
  await l.end();
  assert.equal(current(), 'one\n');
});

test('lineFinisher: a long line (len reached) is written to its newline', async () => {
  const { l, current } = logger(5);
  l.write(Buffer.from('0123456'));
  await l.settled();
  const f = lineFinisher(l, 5);
  assert.ok(f);
  assert.equal(f(Buffer.from('7')), false);
  assert.equal(f(Buffer.from('\n')), true);
  await l.end();
  assert.equal(current(), '01234567\n');
});

const nobody: Owner = { uid: 65534, gid: 65534, gids: [65534, 100] };

test('mayAccess: owner, group (any of the groups), other bits, as the kernel judges', () => {
  assert.equal(mayAccess({ uid: 65534, gid: 0, mode: 0o600 }, nobody, R | W), true);
  assert.equal(mayAccess({ uid: 0, gid: 0, mode: 0o600 }, nobody, R), false);
  assert.equal(mayAccess({ uid: 0, gid: 100, mode: 0o640 }, nobody, R), true);
  assert.equal(mayAccess({ uid: 0, gid: 100, mode: 0o640 }, nobody, W), false);
  assert.equal(mayAccess({ uid: 0, gid: 0, mode: 0o755 }, nobody, X), true);
  assert.equal(mayAccess({ uid: 0, gid: 0, mode: 0o755 }, nobody, W | X), false);
  // the owner's bits apply to the owner even when "other" would allow more
  assert.equal(mayAccess({ uid: 65534, gid: 0, mode: 0o077 }, nobody, R), false);
  assert.equal(mayAccess({ uid: 0, gid: 0, mode: 0 }, { uid: 0, gid: 0, gids: [] }, R | W), true);
});

test('mayChmod: only the owner', () => {
  assert.equal(mayChmod({ uid: 65534, gid: 0, mode: 0o600 }, nobody), true);
  assert.equal(mayChmod({ uid: 0, gid: 65534, mode: 0o666 }, nobody), false);
});

test('a processor for another account runs through chpst -u :uid:gids, as root through sh', () => {
  assert.equal(numericSpec(nobody), ':65534:65534:100');
  assert.deepEqual(processorCommand('gzip', undefined), { path: '/bin/sh', argv: ['sh', '-c', 'gzip'] });
  const c = processorCommand('gzip', nobody);
  assert.deepEqual(c.argv.slice(-5), ['-u', ':65534:65534:100', '/bin/sh', '-c', 'gzip']);
  assert.ok(c.argv.includes('chpst'));
});
