// Reads a pipe (or socket) on the event loop's own thread, never ahead of the
// caller: every byte read is handed over in the same turn, and once paused
// nothing more leaves the pipe. A read in libuv's thread pool (fs.read) cannot
// be taken back: bytes it reads after a TERM are lost when the process exits,
// and a blocked one keeps the process alive. With byteWise set, each read
// takes one byte, as runit's svlogd does after TERM to finish the line in
// progress, so the next logger starts exactly at a line boundary.
// With a turn budget, the reader yields once it has handed over that many
// bytes: libuv reads a readable stream up to 32 times per event, so a logger
// fed by a fast writer would otherwise split and write megabytes in one
// event-loop turn while PID 1's other I/O (the HTTP probes) waits. A yielded
// reader reads again after the loop's other I/O (setImmediate); meanwhile the
// bytes stay in the pipe and the writer blocks, as under runit's svlogd.
// Readers sharing a TurnPool share one such budget: the work of a turn stays
// bounded however many loggers are flooded at once.
import fs from 'node:fs';
import net from 'node:net';
import * as libc from '../../native/libc.ts';

const F_DUPFD_CLOEXEC = 1030;

export interface PipeSink {
  /** Bytes read; the buffer is the caller's to keep. Return false to pause. */
  data(chunk: Buffer): boolean;
  /** End of file: every writer has closed. */
  end(): void;
  error(e: Error): void;
}

export interface TurnBudget {
  /** bytes handed over before the reader yields to the event loop's other work */
  bytes: number;
  /** runs `next` once the loop's other I/O had its turn (default setImmediate; tests pass a fake) */
  defer?: (next: () => void) => void;
}

/**
 * One turn budget shared by several readers (PID 1's in-process loggers): the
 * bytes all of them together read per event-loop turn. A per-reader budget
 * lets the work of a turn grow with the number of flooding loggers; with the
 * pool, a reader that found it spent waits in line, and each later turn wakes
 * waiting readers in order only up to the pool's bytes (at least one), so
 * every reader gets its turns and no turn does more than about `bytes` (plus
 * one read of each reader that had not been waiting).
 */
export class TurnPool {
  readonly bytes: number;
  private readonly defer: (next: () => void) => void;
  private used = 0;
  /** readers waiting for a turn, first come first served, with the bytes one read of theirs may take */
  private readonly waiting: Array<{ next: () => void; readBytes: number }> = [];
  private armed = false;

  constructor(bytes: number, defer: (next: () => void) => void = (next) => void setImmediate(next)) {
    this.bytes = Math.max(1, bytes);
    this.defer = defer;
  }

  /** Counts bytes read; false once the pool is spent for this turn (the reader then waits). */
  spend(n: number): boolean {
    this.used += n;
    return this.used < this.bytes;
  }

  /** `next` runs in a later turn, in line with the other waiting readers. */
  wait(next: () => void, readBytes: number): void {
    this.waiting.push({ next, readBytes: Math.max(1, readBytes) });
    this.arm();
  }

  /** readers waiting (tests, and the metrics of a curious reader) */
  get queued(): number {
    return this.waiting.length;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    this.defer(() => this.turn());
  }

  private turn(): void {
    this.armed = false;
    this.used = 0;
    let planned = 0;
    const woken: Array<() => void> = [];
    while (this.waiting.length > 0 && (woken.length === 0 || planned < this.bytes)) {
      const w = this.waiting.shift() as { next: () => void; readBytes: number };
      planned += w.readBytes;
      woken.push(w.next);
    }
    if (this.waiting.length > 0) this.arm();
    for (const next of woken) next();
  }
}

export class PipeReader {
  private readonly sourceFd: number;
  private readonly sink: PipeSink;
  private chunkSize: number;
  private socket: net.Socket;
  private paused = false;
  private closed = false;
  private readonly turnBytes: number;
  private readonly defer: (next: () => void) => void;
  /** a budget shared with other readers, instead of turnBytes of its own */
  private readonly pool: TurnPool | undefined;
  /** bytes handed over since the reader last yielded or was resumed */
  private turnUsed = 0;
  /** waiting for defer() to give the reader its next turn */
  private yielded = false;

  /**
   * Reads `sourceFd` through a descriptor of its own (so closing the reader
   * leaves `sourceFd` open); chunkSize bounds every read, budget.bytes the
   * bytes read per event-loop turn (default: no bound), a TurnPool the bytes
   * read per turn by every reader sharing it.
   */
  constructor(sourceFd: number, chunkSize: number, sink: PipeSink, budget?: TurnBudget | TurnPool) {
    this.sourceFd = sourceFd;
    this.chunkSize = Math.max(1, Math.min(chunkSize, 1 << 24));
    this.sink = sink;
    this.pool = budget instanceof TurnPool ? budget : undefined;
    const own = budget instanceof TurnPool ? undefined : budget;
    this.turnBytes = own ? Math.max(1, own.bytes) : Infinity;
    this.defer = own?.defer ?? ((next) => void setImmediate(next));
    this.socket = this.open();
  }

  /** Whether `fd` can be read by a PipeReader (a pipe or a socket). */
  static supports(fd: number): boolean {
    try {
      const st = fs.fstatSync(fd);
      return st.isFIFO() || st.isSocket();
    } catch {
      return false;
    }
  }

  private open(): net.Socket {
    const fd = libc.fcntl(this.sourceFd, F_DUPFD_CLOEXEC, 0);
    const size = this.chunkSize;
    let sock: net.Socket;
    try {
      sock = new net.Socket({
        fd,
        readable: true,
        writable: false,
        onread: {
          // One buffer for every read of this socket; what was read is copied
          // out (a fresh chunkSize buffer per read was malloc churn that
          // fragmented PID 1's heap, a 64 kB allocation per logged line).
          buffer: Buffer.allocUnsafe(size),
          callback: (n: number, buf: Uint8Array) => this.onRead(sock, n, buf as Buffer),
        },
      });
    } catch (e) {
      libc.close(fd);
      throw e;
    }
    sock.on('end', () => {
      if (!this.closed && sock === this.socket) this.sink.end();
    });
    sock.on('error', (e) => {
      if (!this.closed && sock === this.socket) this.sink.error(e);
    });
    if (this.paused || this.yielded) sock.pause();
    return sock;
  }

  private onRead(sock: net.Socket, n: number, buf: Buffer): boolean {
    if (this.closed || sock !== this.socket) return false;
    if (n <= 0) return true;
    // The read buffer is used again: hand over a copy of just the bytes read
    // (small ones from Node's pool), so a queued short line pins nothing more.
    const more = this.sink.data(Buffer.from(buf.subarray(0, n)));
    if (!more || this.paused || this.closed || sock !== this.socket) {
      if (sock === this.socket) this.pause();
      return false;
    }
    this.turnUsed += n;
    if (this.pool ? !this.pool.spend(n) : this.turnUsed >= this.turnBytes) {
      this.yieldTurn();
      return false;
    }
    return true;
  }

  /** Budget spent: stop reading until the loop's other I/O has run. */
  private yieldTurn(): void {
    this.yielded = true;
    this.socket.pause();
    const next = (): void => {
      this.yielded = false;
      this.turnUsed = 0;
      if (!this.paused && !this.closed) this.socket.resume();
    };
    if (this.pool) this.pool.wait(next, this.chunkSize);
    else this.defer(next);
  }

  /**
   * From now on each read takes one byte (runit after TERM). The buffer for
   * the next read is already allocated, so a new reader replaces the old one.
   */
  readByteWise(): void {
    if (this.closed || this.chunkSize === 1) return;
    this.chunkSize = 1;
    const old = this.socket;
    this.socket = this.open();
    old.pause();
    old.destroy();
  }

  /** No further read until resume(); takes effect at once, even inside data(). */
  pause(): void {
    this.paused = true;
    if (!this.closed) this.socket.pause();
  }

  /** Read again (after a yield, only once its turn has come). */
  resume(): void {
    this.paused = false;
    // reads resume at the next poll phase at the earliest: a new turn
    if (!this.yielded) this.turnUsed = 0;
    if (!this.closed && !this.yielded) this.socket.resume();
  }

  /** Stop for good. The source descriptor stays open, blocking again for whoever reads it next. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.pause();
    this.socket.destroy();
    // libuv made the shared file description non-blocking; a real svlogd
    // started later on this pipe expects blocking reads.
    try {
      libc.setNonblock(this.sourceFd, false);
    } catch {
      // the pipe is gone
    }
  }
}
