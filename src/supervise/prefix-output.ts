// TSINIT_LOG_PREFIX=1: the output of a service without log/ reaches
// tsinit's stdout/stderr (docker logs) line by line, each line prefixed with
// the service name. Every service writes into its own pipes; tsinit reads
// them and writes whole lines only, so lines of different services never mix
// mid-line.
//
// tsinit's stdout/stderr are written with fs.write on the thread pool, never
// made non-blocking (services that inherit them expect blocking descriptors)
// and never blocking the event loop: a slow reader of `docker logs` slows
// the service writing, not the supervisor.
import fs from 'node:fs';
import net from 'node:net';
import * as libc from '../../native/libc.ts';
import { flushOutputSync, writeOut } from '../util/output.ts';
import { readSetting } from '../settings.ts';

/** Longest piece kept waiting for its newline before it is written as a line. */
const MAX_PARTIAL = 64 * 1024;
/** Bytes queued for one output descriptor before the services feeding it are paused. */
const HIGH_WATER = 256 * 1024;

/** Splits bytes into prefixed whole lines. Pure. */
export class LinePrefixer {
  private readonly prefix: Buffer;
  private partial: Buffer = Buffer.alloc(0);

  constructor(name: string) {
    this.prefix = Buffer.from(`${name}: `);
  }

  /** The prefixed complete lines in chunk (with what was held back before). */
  push(chunk: Buffer): Buffer[] {
    const data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      lines.push(Buffer.concat([this.prefix, data.subarray(start, nl + 1)]));
      start = nl + 1;
    }
    let rest = data.subarray(start);
    if (rest.length >= MAX_PARTIAL) {
      lines.push(Buffer.concat([this.prefix, rest, NL]));
      rest = Buffer.alloc(0);
    }
    this.partial = Buffer.from(rest);
    return lines;
  }

  /** End of input: an unterminated last line gets its newline. */
  flush(): Buffer[] {
    if (!this.partial.length) return [];
    const b = Buffer.concat([this.prefix, this.partial, NL]);
    this.partial = Buffer.alloc(0);
    return [b];
  }
}

const NL = Buffer.from('\n');
/** Up to this many bytes of whole lines go out in one write(): atomic on a pipe. */
const PIPE_BUF = 4096;

/**
 * All prefixed output, to fd 1 and fd 2 alike, goes through one ordered
 * queue written on the thread pool, one write() at a time. Each write holds
 * whole lines only and, where the lines allow, at most PIPE_BUF bytes, so a
 * line is never split by another writer of the same pipe (when stdout and
 * stderr are one pipe or terminal, or a service with log/ writes to stderr).
 */
/** fs.write's shape (a fake in tests) */
export type WriteFn = (fd: number, buf: Buffer, done: (e: NodeJS.ErrnoException | null, written: number) => void) => void;

const fsWrite: WriteFn = (fd, buf, done) => fs.write(fd, buf, 0, buf.length, null, done);

export class OutputQueue {
  private readonly write0: WriteFn;

  constructor(write: WriteFn = fsWrite) {
    this.write0 = write;
  }

  /** entries from head on; written ones are cleared at once (nothing written stays referenced) */
  private readonly queue: Array<{ fd: number; line: Buffer } | undefined> = [];
  private head = 0;
  private busy = false;
  /** entries from head on that the write under way holds */
  private inflight = 0;
  queued = 0;
  private waiters: Array<() => void> = [];

  /** Queue lines; false once past the high-water mark (the caller pauses its input). */
  write(fd: number, lines: Buffer[]): boolean {
    for (const line of lines) {
      this.queue.push({ fd, line });
      this.queued += line.length;
    }
    this.pump();
    return this.queued < HIGH_WATER;
  }

  onDrain(cb: () => void): void {
    this.waiters.push(cb);
  }

  /** set at process exit: no new asynchronous write may start, flushSync() writes the rest */
  exiting = false;

  private pump(): void {
    if (this.busy || this.exiting) return;
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      for (const w of this.waiters.splice(0)) w();
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const first = this.queue[this.head] as { fd: number; line: Buffer };
    const batch: Buffer[] = [first.line];
    let size = first.line.length;
    let n = 1;
    for (let i = this.head + 1; i < this.queue.length; i++) {
      const e = this.queue[i] as { fd: number; line: Buffer };
      if (e.fd !== first.fd || size + e.line.length > PIPE_BUF) break;
      batch.push(e.line);
      size += e.line.length;
      n++;
    }
    const buf = batch.length === 1 ? first.line : Buffer.concat(batch, size);
    this.busy = true;
    this.inflight = n;
    this.writeAll(first.fd, buf, () => {
      this.inflight = 0;
      this.queue.fill(undefined, this.head, this.head + n);
      this.head += n;
      this.queued -= size;
      this.busy = false;
      this.pump();
    });
  }

  /** At exit: everything still queued, synchronously (bounded for the init: util/output). */
  flushSync(): void {
    // The write under way on the thread pool finishes on its own.
    for (let i = this.head + this.inflight; i < this.queue.length; i++) {
      const { fd, line } = this.queue[i] as { fd: number; line: Buffer };
      writeOut(fd === 1 ? 1 : 2, line);
    }
    this.queue.length = 0;
    this.head = 0;
    flushOutputSync(1000);
  }

  private writeAll(fd: number, buf: Buffer, done: () => void): void {
    this.write0(fd, buf, (e, written) => {
      // Inherited as non-blocking and full: wait a little, as a blocking write would.
      if (e?.code === 'EAGAIN') setTimeout(() => this.writeAll(fd, buf, done), 10);
      // stdout/stderr gone or broken: drop the line rather than stall services
      else if (e || written >= buf.length) done();
      else this.writeAll(fd, buf.subarray(written), done);
    });
  }
}

const output = new OutputQueue();
const liveStreams = new Set<PrefixedStream>();
// At exit, what the services wrote and tsinit has not written yet goes out
// first: unread pipe contents, unterminated last lines, the queue.
process.on('exit', () => {
  output.exiting = true;
  for (const s of liveStreams) s.drainSync();
  output.flushSync();
});

/** One stream of one service: a pipe whose write end the service gets. */
class PrefixedStream {
  readonly writeFd: number;
  private readonly readFd: number;
  private readonly target: number;
  private readonly prefixer: LinePrefixer;
  private readonly socket: net.Socket;

  constructor(name: string, target: number) {
    const [r, w] = libc.pipe2(libc.O_CLOEXEC);
    this.writeFd = w;
    this.readFd = r;
    this.target = target;
    const prefixer = new LinePrefixer(name);
    this.prefixer = prefixer;
    liveStreams.add(this);
    this.socket = new net.Socket({ fd: r, readable: true, writable: false });
    this.socket.on('data', (chunk: Buffer) => {
      if (!output.write(target, prefixer.push(chunk))) {
        this.socket.pause();
        output.onDrain(() => this.socket.resume());
      }
    });
    this.socket.on('end', () => {
      liveStreams.delete(this);
      output.write(target, prefixer.flush());
    });
    this.socket.on('error', () => {
      // nothing sensible to report to: the service's output is lost from here on
    });
  }

  close(): void {
    try {
      libc.close(this.writeFd);
    } catch {
      // already closed
    }
    // The read side ends by itself once the last writer (a leftover child) is gone.
  }

  /** At exit: read what is left in the pipe (it is non-blocking) and queue it, last line included. */
  drainSync(): void {
    const buf = Buffer.allocUnsafe(65536);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.readFd, buf, 0, buf.length, null);
      } catch {
        break; // EAGAIN: empty; or already closed
      }
      if (n <= 0) break;
      output.write(this.target, this.prefixer.push(Buffer.from(buf.subarray(0, n))));
    }
    output.write(this.target, this.prefixer.flush());
  }
}

/** A service's stdout and stderr, prefixed, to tsinit's fd 1 and fd 2. */
export class PrefixedOutput {
  readonly stdoutFd: number;
  readonly stderrFd: number;
  private readonly streams: PrefixedStream[];

  constructor(name: string) {
    const o = new PrefixedStream(name, 1);
    const e = new PrefixedStream(name, 2);
    this.streams = [o, e];
    this.stdoutFd = o.writeFd;
    this.stderrFd = e.writeFd;
  }

  close(): void {
    for (const s of this.streams) s.close();
  }
}

export function prefixEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return readSetting('logPrefix', env);
}
