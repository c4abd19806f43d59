// Reads an input that is not a pipe or socket (a file, /dev/null, a
// terminal) the way PipeReader reads a pipe: handed over in the same turn,
// nothing read ahead, at most a budget of bytes per event-loop turn, with a
// turn of the loop between reads so signals are taken. A read of such a
// descriptor is synchronous: only svlogd in its own process may wait on one
// that blocks (a terminal); inside another process (PID 1) the caller checks
// first that reads cannot wait (svlogd/session.ts: inputKind).
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import type { PipeSink, TurnBudget } from './pipe-reader.ts';

/** How long to wait before reading again after EAGAIN (a non-blocking terminal). */
const RETRY_MS = 20;

export class FileReader {
  private readonly fd: number;
  private readonly sink: PipeSink;
  private chunkSize: number;
  private readonly turnBytes: number;
  private readonly defer: (next: () => void) => void;
  private paused = false;
  private closed = false;
  /** a read is scheduled (setImmediate or the EAGAIN timer) */
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  /** blocking: make the descriptor blocking first (svlogd's own process: a terminal waits for input) */
  constructor(fd: number, chunkSize: number, sink: PipeSink, budget?: TurnBudget, blocking = false) {
    this.fd = fd;
    this.chunkSize = Math.max(1, Math.min(chunkSize, 1 << 24));
    this.sink = sink;
    this.turnBytes = budget ? Math.max(1, budget.bytes) : Infinity;
    this.defer = budget?.defer ?? ((next) => void (this.immediate = setImmediate(next)));
    if (blocking) {
      try {
        libc.setNonblock(fd, false);
      } catch {
        // not fatal: EAGAIN is retried
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.closed) return;
    this.scheduled = true;
    this.defer(() => {
      this.immediate = undefined;
      this.scheduled = false;
      this.turn();
    });
  }

  /** One turn: read until the budget is spent, the sink pauses, or the input ends. */
  private turn(): void {
    let used = 0;
    while (!this.paused && !this.closed) {
      const buf = Buffer.allocUnsafe(this.chunkSize);
      let n: number;
      try {
        // a descriptor the caller did not pass (-1): read(2) would say EBADF
        if (this.fd < 0) throw Object.assign(new Error('EBADF: standard input not open'), { code: 'EBADF' });
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EINTR') {
          this.scheduled = true;
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.scheduled = false;
            this.turn();
          }, RETRY_MS);
          return;
        }
        this.closed = true;
        this.sink.error(e as Error);
        return;
      }
      if (n === 0) {
        this.closed = true;
        this.sink.end();
        return;
      }
      if (!this.sink.data(buf.subarray(0, n))) {
        this.paused = true;
        return;
      }
      used += n;
      if (used >= this.turnBytes) break;
    }
    this.schedule();
  }

  /** From now on each read takes one byte (runit after TERM). */
  readByteWise(): void {
    this.chunkSize = 1;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
