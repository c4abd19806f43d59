// tsinit's own lines (log records, runsv/runsvdir/svlogd warnings) when it
// supervises: written so that a full stdout/stderr pipe (a stuck log driver,
// a paused terminal) can never stall the event loop, which is the whole
// supervisor.
//
// The descriptors 1 and 2 stay blocking: services share them and must not
// see EAGAIN. tsinit opens the same pipe or terminal again through
// /proc/self/fd/N with O_NONBLOCK: a new open file description, so the flag
// is its own. A socket (which cannot be reopened so) is written with
// send(MSG_DONTWAIT), non-blocking for that call only. Where neither can be
// done (a pipe owned by another user, no FFI), writes go to the thread pool,
// one at a time, so at most one thread waits in write(2). Regular files and
// /dev/null never block: written directly.
//
// What cannot be written waits in a bounded backlog; beyond it lines are
// dropped, counted, and reported by one line once the output drains.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';

/** Bytes of tsinit's own output kept waiting for a full pipe. */
export const MAX_BACKLOG = 256 * 1024;
const RETRY_MIN_MS = 10;
const RETRY_MAX_MS = 250;

/** How output reaches the descriptor. */
export type SinkKind = 'direct' | 'nonblocking' | 'socket' | 'threadpool';

/** The system calls used, so the logic can be tested with a fake pipe. */
export interface OutputSys {
  /** write; throws an error with code EAGAIN when it would block */
  writeSync(fd: number, buf: Buffer): number;
  /** send(MSG_DONTWAIT) on a socket; throws an error with code EAGAIN when it would block */
  sendNow(fd: number, buf: Buffer): number;
  /** asynchronous write (thread pool) */
  write(fd: number, buf: Buffer, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void;
  setTimer(cb: () => void, ms: number): void;
  now(): number;
  /** blocks the thread for ms (only in the bounded flush at exit) */
  pause(ms: number): void;
}

export const realOutputSys: OutputSys = {
  writeSync: (fd, buf) => fs.writeSync(fd, buf),
  sendNow: (fd, buf) => libc.send(fd, buf, libc.MSG_DONTWAIT | libc.MSG_NOSIGNAL),
  write: (fd, buf, cb) => fs.write(fd, buf, 0, buf.length, null, (e, n) => cb(e, n)),
  setTimer: (cb, ms) => {
    setTimeout(cb, ms).unref();
  },
  now: () => performance.now(),
  pause: (ms) => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  },
};

export type DroppedNotice = (lines: number, bytes: number) => string;

export const defaultDroppedNotice: DroppedNotice = (lines, bytes) =>
  `- tsinit: warning: ${lines} line(s), ${bytes} bytes, of tsinit's own output dropped: the output was not being read\n`;

export interface OpenedSink {
  kind: SinkKind;
  fd: number;
}

/** Choose how to write to fd: see the header. Never throws. */
export function openSink(fd: number): OpenedSink {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return { kind: 'direct', fd }; // closed: writes fail quietly
  }
  if (st.isFile() || st.isBlockDevice()) return { kind: 'direct', fd };
  if (st.isCharacterDevice() && st.rdev === 0x103) return { kind: 'direct', fd }; // /dev/null (1,3)
  if (st.isFIFO() || st.isCharacterDevice()) {
    try {
      const { O_WRONLY, O_NONBLOCK, O_NOCTTY, O_APPEND } = fs.constants;
      // O_NOCTTY: PID 1 must not acquire a controlling terminal by this open.
      const own = fs.openSync(`/proc/self/fd/${fd}`, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_APPEND);
      const again = fs.fstatSync(own);
      if (again.dev === st.dev && again.ino === st.ino) return { kind: 'nonblocking', fd: own };
      fs.closeSync(own);
    } catch {
      // no /proc, EACCES (a pipe made by another user), ENXIO: fall back
    }
  }
  if (st.isSocket()) {
    try {
      realOutputSys.sendNow(fd, Buffer.alloc(0)); // a stream socket, and the FFI works
      return { kind: 'socket', fd };
    } catch {
      // ENOTCONN, no FFI: fall back
    }
  }
  return { kind: 'threadpool', fd };
}

/** A run of dropped lines, kept in the queue where they were: reported there. */
interface Gap {
  lines: number;
  bytes: number;
}

export class OwnOutput {
  readonly kind: SinkKind;
  readonly fd: number;
  private readonly sys: OutputSys;
  private readonly maxBacklog: number;
  private readonly queue: Array<Buffer | Gap> = [];
  private queued = 0;
  private busy = false;
  private retryMs = RETRY_MIN_MS;
  private timerArmed = false;
  private idleWaiters: Array<() => void> = [];
  notice: DroppedNotice = defaultDroppedNotice;

  constructor(sink: OpenedSink, sys: OutputSys = realOutputSys, maxBacklog = MAX_BACKLOG) {
    this.kind = sink.kind;
    this.fd = sink.fd;
    this.sys = sys;
    this.maxBacklog = maxBacklog;
  }

  /** bytes waiting */
  get backlog(): number {
    return this.queued;
  }

  /** lines and bytes dropped and not reported yet */
  get dropped(): { lines: number; bytes: number } {
    const d = { lines: 0, bytes: 0 };
    for (const e of this.queue) {
      if (!Buffer.isBuffer(e)) {
        d.lines += e.lines;
        d.bytes += e.bytes;
      }
    }
    return d;
  }

  write(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (buf.length === 0) return;
    if (this.kind === 'direct') {
      this.direct(buf);
      return;
    }
    if (this.queued + buf.length > this.maxBacklog) {
      const last = this.queue[this.queue.length - 1];
      const gap = last !== undefined && !Buffer.isBuffer(last) ? last : undefined;
      if (gap) {
        gap.lines += countLines(buf);
        gap.bytes += buf.length;
      } else this.queue.push({ lines: countLines(buf), bytes: buf.length });
      return;
    }
    this.queue.push(buf);
    this.queued += buf.length;
    this.pump();
  }

  private direct(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      try {
        off += this.sys.writeSync(this.fd, off === 0 ? buf : buf.subarray(off));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        return;
      }
    }
  }

  /** The first entry as bytes: a gap becomes its notice (in the backlog from now on). */
  private head(): Buffer | undefined {
    const h = this.queue[0];
    if (h === undefined || Buffer.isBuffer(h)) return h;
    const b = Buffer.from(this.notice(h.lines, h.bytes));
    this.queue[0] = b;
    this.queued += b.length;
    return b;
  }

  /** nothing waiting and no write under way */
  get idle(): boolean {
    return this.queue.length === 0 && !this.busy;
  }

  /**
   * Resolves when everything has been written, or after maxMs (then false).
   * Used before exit: a write on the thread pool must be let finish, since
   * exiting would cut it off.
   */
  drain(maxMs: number): Promise<boolean> {
    if (this.idle) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      // a timer that keeps the process alive: exit must wait for this
      const timer = setTimeout(() => finish(this.idle), maxMs);
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(ok);
      };
      this.idleWaiters.push(() => finish(true));
    });
  }

  private becameIdle(): void {
    if (!this.idle) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Write as much as goes now; come back later for the rest. */
  private pump(): void {
    if (this.busy) return;
    if (this.kind === 'threadpool') {
      this.pumpAsync();
      return;
    }
    for (;;) {
      const head = this.head();
      if (head === undefined) return this.becameIdle();
      let n: number;
      try {
        n = this.tryWrite(head);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return this.retryLater();
        n = head.length; // EPIPE, EBADF: the output is gone; drop rather than stall
      }
      this.consumed(head, n);
      this.retryMs = RETRY_MIN_MS;
    }
  }

  /** one non-blocking attempt */
  private tryWrite(buf: Buffer): number {
    return this.kind === 'socket' ? this.sys.sendNow(this.fd, buf) : this.sys.writeSync(this.fd, buf);
  }

  private pumpAsync(): void {
    const head = this.head();
    if (head === undefined) return this.becameIdle();
    this.busy = true;
    this.sys.write(this.fd, head, (e, n) => {
      this.busy = false;
      if (e?.code === 'EAGAIN') return this.retryLater();
      this.consumed(head, e ? head.length : n);
      this.pump();
    });
  }

  private consumed(head: Buffer, n: number): void {
    if (n >= head.length) {
      this.queue.shift();
      this.queued -= head.length;
    } else {
      this.queue[0] = head.subarray(n);
      this.queued -= n;
    }
  }

  private retryLater(): void {
    if (this.timerArmed) return;
    this.timerArmed = true;
    const ms = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.sys.setTimer(() => {
      this.timerArmed = false;
      this.pump();
    }, ms);
  }

  /**
   * At exit: try for at most maxMs to write what is waiting (notices of
   * dropped lines included). True when everything went out.
   */
  flushSync(maxMs: number): boolean {
    if (this.kind === 'direct') return true;
    // A thread-pool write under way cannot be waited for; what is behind it stays.
    if (this.kind === 'threadpool') return this.queue.length === 0;
    const deadline = this.sys.now() + maxMs;
    let pause = 1;
    for (;;) {
      const head = this.head();
      if (head === undefined) return true;
      try {
        this.consumed(head, this.tryWrite(head));
        pause = 1;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') this.consumed(head, head.length);
        else {
          const left = deadline - this.sys.now();
          if (left <= 0) return false;
          this.sys.pause(Math.min(pause, left));
          pause = Math.min(pause * 2, 50);
        }
      }
    }
  }
}

function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n || 1;
}
