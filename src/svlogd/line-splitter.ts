// Bytes -> lines, as svlogd reads them. The first `linemax` bytes of a line are
// its "message" (replaced with -r/-R, used for matching and the stderr/UDP
// copies); a longer line's remaining bytes are passed on verbatim. An
// unterminated short line at EOF is dropped; an unterminated long line is
// ended (runit writes its newline). Pure: no I/O, the clock is injected.

export interface LineSink {
  /**
   * A line's message is ready: buf[start, start + len). `long` means the line
   * has linemax or more bytes: rest() pieces and one end() follow. The buffer
   * is only valid during the call.
   */
  line(buf: Buffer, start: number, len: number, stampUs: number, long: boolean): void;
  /** verbatim continuation bytes of a long line */
  rest(buf: Buffer, start: number, end: number): void;
  /** the newline (or EOF) that ends a long line */
  end(): void;
}

export interface SplitterOptions {
  linemax: number;
  /** replacement byte, 0 for none */
  repl: number;
  /** extra bytes to replace */
  replace: Uint8Array;
  /** take a timestamp at the first byte of every line */
  stamp: boolean;
  /** microseconds since the epoch */
  clock: () => number;
}

const START = 0;
const PARTIAL = 1;
const REST = 2;

/** table[b] = 1 when b must be replaced: < 32, > 126, or in the -R set. */
export function replaceTable(replace: Uint8Array): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) if (b < 32 || b > 126) t[b] = 1;
  for (const b of replace) t[b] = 1;
  return t;
}

export class LineSplitter {
  private readonly linemax: number;
  private readonly repl: number;
  private readonly table: Uint8Array | undefined;
  private readonly stamp: boolean;
  private readonly clock: () => number;
  private readonly sink: LineSink;
  private readonly scratch: Buffer;
  private state = START;
  private scratchLen = 0;
  private stampUs = 0;

  constructor(opts: SplitterOptions, sink: LineSink) {
    this.linemax = opts.linemax;
    this.repl = opts.repl;
    this.table = opts.repl ? replaceTable(opts.replace) : undefined;
    this.stamp = opts.stamp;
    this.clock = opts.clock;
    this.sink = sink;
    this.scratch = Buffer.alloc(opts.linemax);
  }

  /** The line in progress: none, a short one (bytes so far), or a long one (head written). */
  get inProgress(): { kind: 'none' | 'short' | 'long'; length: number } {
    if (this.state === START) return { kind: 'none', length: 0 };
    if (this.state === PARTIAL) return { kind: 'short', length: this.scratchLen };
    return { kind: 'long', length: this.linemax };
  }

  /** Forget a short line in progress (runit's SIGTERM drops the line it completes). */
  discard(): void {
    if (this.state === PARTIAL) {
      this.state = START;
      this.scratchLen = 0;
    }
  }

  /** True when no line is in progress (the last byte fed was a newline). */
  get complete(): boolean {
    return this.state === START;
  }

  private copyIn(chunk: Buffer, from: number, to: number): void {
    const s = this.scratch;
    let j = this.scratchLen;
    const t = this.table;
    if (t) {
      const r = this.repl;
      for (let i = from; i < to; i++) {
        const b = chunk[i] as number;
        s[j++] = t[b] ? r : b;
      }
    } else {
      chunk.copy(s, j, from, to);
      j += to - from;
    }
    this.scratchLen = j;
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    const sink = this.sink;
    let pos = 0;
    while (pos < n) {
      if (this.state === REST) {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          sink.rest(chunk, pos, n);
          return;
        }
        if (nl > pos) sink.rest(chunk, pos, nl);
        sink.end();
        this.state = START;
        pos = nl + 1;
        continue;
      }
      if (this.state === START) {
        if (this.stamp) this.stampUs = this.clock();
        this.scratchLen = 0;
      }
      const need = this.linemax - this.scratchLen;
      const limit = pos + need < n ? pos + need : n;
      const nl = chunk.indexOf(10, pos);
      if (nl >= 0 && nl < limit) {
        if (this.scratchLen === 0 && !this.table) {
          sink.line(chunk, pos, nl - pos, this.stampUs, false);
        } else {
          this.copyIn(chunk, pos, nl);
          sink.line(this.scratch, 0, this.scratchLen, this.stampUs, false);
        }
        this.state = START;
        pos = nl + 1;
      } else if (limit - pos === need) {
        // linemax bytes without a newline among them: a long line
        if (this.scratchLen === 0 && !this.table) {
          sink.line(chunk, pos, need, this.stampUs, true);
        } else {
          this.copyIn(chunk, pos, limit);
          sink.line(this.scratch, 0, this.scratchLen, this.stampUs, true);
        }
        this.state = REST;
        pos = limit;
      } else {
        this.copyIn(chunk, pos, n);
        this.state = PARTIAL;
        return;
      }
    }
  }

  /** End of input: finish a long line, drop an unterminated short one. */
  finish(): void {
    if (this.state === REST) this.sink.end();
    this.state = START;
    this.scratchLen = 0;
  }
}
