// Work over many items (start 1,000 services, stop them, reap their exits)
// done in slices that give the event loop back between them: PID 1's signal
// handlers, control FIFOs and timers run between two slices, so a SIGTERM
// during a long boot is acted on within one slice instead of after the
// whole batch. A slice ends after maxItems items or maxMs milliseconds,
// whichever comes first (at least one item per slice).
// No I/O here: the clock and the "later" are injected (setImmediate and
// performance.now by default; fakes in tests).

export interface SlicerOptions {
  /** items per slice at most (clamped to >= 1) */
  maxItems?: number;
  /** milliseconds per slice at most (clamped to >= 0; one item always runs) */
  maxMs?: number;
  now?: () => number;
  /** run fn in a later turn of the event loop, after pending I/O and signals */
  later?: (fn: () => void) => void;
  /** an item's handler threw: the others still run */
  onError?: (err: unknown) => void;
}

/** Defaults: a few services per slice, and about 5 ms of work (on an idle CPU) at most. */
export const SLICE_MAX_ITEMS = 8;
export const SLICE_MAX_MS = 5;

export class TurnSlicer<T> {
  private readonly handle: (item: T) => void;
  private readonly maxItems: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private readonly later: (fn: () => void) => void;
  private readonly onError: (err: unknown) => void;
  /** items from head on; a handled item's slot is cleared so that nothing handled stays referenced */
  private readonly queue: Array<T | undefined> = [];
  private head = 0;
  private scheduled = false;
  private running = false;
  /** slices run so far (for tests and benchmarks) */
  slices = 0;

  constructor(handle: (item: T) => void, opts: SlicerOptions = {}) {
    this.handle = handle;
    this.maxItems = Math.max(1, Math.floor(opts.maxItems ?? SLICE_MAX_ITEMS));
    this.maxMs = Math.max(0, opts.maxMs ?? SLICE_MAX_MS);
    this.now = opts.now ?? (() => performance.now());
    this.later = opts.later ?? ((fn) => setImmediate(fn));
    this.onError = opts.onError ?? (() => {});
  }

  /** Queue an item; it is handled in a later turn, never inside this call. */
  push(item: T): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Items not handled yet. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  has(item: T): boolean {
    return this.queue.indexOf(item, this.head) >= 0;
  }

  /** Drop every item not handled yet; returns them. */
  clear(): T[] {
    const dropped = this.queue.slice(this.head) as T[];
    this.queue.length = 0;
    this.head = 0;
    return dropped;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    this.later(() => this.slice());
  }

  private slice(): void {
    this.scheduled = false;
    if (this.pending === 0) return;
    this.running = true;
    this.slices++;
    const t0 = this.now();
    try {
      for (let n = 0; this.pending > 0; ) {
        const item = this.queue[this.head] as T;
        this.queue[this.head++] = undefined;
        try {
          this.handle(item);
        } catch (err) {
          this.onError(err);
        }
        n++;
        if (n >= this.maxItems || this.now() - t0 >= this.maxMs) break;
      }
    } finally {
      this.running = false;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (this.pending > 0) this.schedule();
      else {
        this.queue.length = 0;
        this.head = 0;
      }
    }
  }
}
