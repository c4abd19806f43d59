// src/util/own-output.ts with a fake pipe: a full pipe never blocks the
// caller; lines wait in a bounded backlog; beyond it they are counted and
// reported once the pipe drains; the exit flush is bounded.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { OwnOutput, openSink, type OutputSys } from '../../src/util/own-output.ts';

class FakePipe implements OutputSys {
  capacity: number;
  data = '';
  timers: Array<() => void> = [];
  clock = 0;
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  writeSync(_fd: number, buf: Buffer): number {
    const room = this.capacity - this.data.length;
    if (room <= 0) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
    const n = Math.min(room, buf.length);
    this.data += buf.subarray(0, n).toString();
    return n;
  }
  sendNow(fd: number, buf: Buffer): number {
    return this.writeSync(fd, buf);
  }
  write(): void {
    throw new Error('not used');
  }
  setTimer(cb: () => void): void {
    this.timers.push(cb);
  }
  now(): number {
    return this.clock;
  }
  pause(ms: number): void {
    this.clock += ms;
  }
  /** the reader takes everything */
  read(): string {
    const d = this.data;
    this.data = '';
    this.capacity = Math.max(this.capacity, 0);
    return d;
  }
  runTimers(): void {
    for (const t of this.timers.splice(0)) t();
  }
}

test('a full pipe: lines wait, in order, and go out when there is room', () => {
  const p = new FakePipe(10);
  const o = new OwnOutput({ kind: 'nonblocking', fd: 9 }, p, 1000);
  o.write('line one\n'); // 9 bytes: fits
  o.write('line two\n'); // 1 byte fits, the rest waits
  o.write('line three\n');
  assert.equal(p.data, 'line one\nl');
  assert.equal(o.backlog, 8 + 11);
  assert.equal(p.timers.length, 1, 'one retry scheduled, no spin');
  let got = p.read();
  p.capacity = 1000;
  p.runTimers();
  got += p.read();
  assert.equal(got, 'line one\nline two\nline three\n');
  assert.equal(o.backlog, 0);
});

test('beyond the backlog lines are dropped, counted, and reported once the pipe drains', () => {
  const p = new FakePipe(0);
  const o = new OwnOutput({ kind: 'nonblocking', fd: 9 }, p, 20);
  o.write('0123456789\n'); // 11 queued
  o.write('abcdefghij\n'); // 22 > 20: dropped
  o.write('x\ny\n'); // 11 + 4 = 15: queued
  o.write('zzzzzzzzzzzzzzzz\n'); // dropped
  assert.deepEqual(o.dropped, { lines: 2, bytes: 28 });
  p.capacity = 10_000;
  p.runTimers();
  // each notice stands where its lines would have been
  const lines = p.read().split('\n');
  assert.equal(lines[0], '0123456789');
  assert.match(lines[1] as string, /^- tsinit: warning: 1 line\(s\), 11 bytes, of tsinit's own output dropped/);
  assert.deepEqual(lines.slice(2, 4), ['x', 'y']);
  assert.match(lines[4] as string, /^- tsinit: warning: 1 line\(s\), 17 bytes, of tsinit's own output dropped/);
  assert.deepEqual(o.dropped, { lines: 0, bytes: 0 });
});

test('the exit flush gives up at its deadline and does not hang', () => {
  const p = new FakePipe(0);
  const o = new OwnOutput({ kind: 'nonblocking', fd: 9 }, p, 100);
  o.write('last words\n');
  assert.equal(o.flushSync(1000), false);
  assert.ok(p.clock >= 1000 && p.clock < 1100, String(p.clock));
  p.capacity = 100;
  assert.equal(o.flushSync(1000), true);
  assert.equal(p.read(), 'last words\n');
});

test('openSink: pipes and ttys get their own non-blocking open; files are written directly', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-sink-'));
  const fifo = path.join(dir, 'p');
  execFileSync('mkfifo', [fifo]);
  const r = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const w = fs.openSync(fifo, fs.constants.O_WRONLY);
  const s = openSink(w);
  assert.equal(s.kind, 'nonblocking');
  assert.notEqual(s.fd, w);
  // the original descriptor stays blocking: the flag is on our own open only
  const flags = (fd: number): string => fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/flags:\s+(\d+)/)?.[1] ?? '';
  assert.equal(parseInt(flags(w), 8) & fs.constants.O_NONBLOCK, 0);
  assert.notEqual(parseInt(flags(s.fd), 8) & fs.constants.O_NONBLOCK, 0);
  fs.writeSync(s.fd, 'via own\n');
  const buf = Buffer.alloc(100);
  assert.equal(buf.subarray(0, fs.readSync(r, buf)).toString(), 'via own\n');
  const file = fs.openSync(path.join(dir, 'f'), 'w');
  assert.deepEqual(openSink(file), { kind: 'direct', fd: file });
  for (const fd of [r, w, s.fd, file]) fs.closeSync(fd);
});

test('openSink: a socket (what child_process gives for "pipe") is written with send(MSG_DONTWAIT)', () => {
  const mod = path.join(import.meta.dirname, '..', '..', 'src', 'util', 'own-output.ts');
  const script = `
    import { OwnOutput, openSink } from ${JSON.stringify(mod)};
    const sink = openSink(1);
    const o = new OwnOutput(sink);
    o.write(sink.kind + '\\n');
    o.write('via send\\n');`;
  const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'socket\nvia send\n');
});
