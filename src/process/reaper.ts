// The one reaper: waitpid(-1, WNOHANG) on every SIGCHLD, dispatching each
// exit to whoever spawned that pid. Anything else is an adopted orphan.
import * as libc from '../../native/libc.ts';
import { decodeWaitStatus, type ExitStatus } from './wait-status.ts';
import { emitEvent, type EventInput } from '../events/bus.ts';

export type ExitHandler = (status: ExitStatus) => void;

export interface WaitSource {
  /** next exited child, pid 0 when none is ready, undefined when there are no children */
  waitAny(): { pid: number; status: number } | undefined;
}

export const libcWaitSource: WaitSource = {
  waitAny: () => libc.waitpid(-1, libc.WNOHANG),
};

/**
 * One turn of the event loop reaps at most this many children or for this
 * long; the rest is reaped in the next turn. A thousand services dying at
 * once (each exit writes status files and may start ./finish or a restart)
 * must not hold PID 1's signals back for the whole batch.
 */
export const REAP_MAX_PER_TURN = 64;
export const REAP_MAX_MS = 5;

export interface ReaperLimits {
  maxPerTurn?: number;
  maxMs?: number;
  now?: () => number;
  later?: (fn: () => void) => void;
}

export type Schedule = (fn: () => void, ms: number) => void;

const realSchedule: Schedule = (fn, ms) => {
  // Never keeps the process alive just to report a count.
  setTimeout(fn, ms).unref();
};

/**
 * Orphans reaped are reported as one 'orphans-reaped' event per second at
 * most (a fork bomb's thousands of zombies are one line, not thousands):
 * the first orphan of a quiet period opens a one-second window.
 */
export class OrphanTally {
  private pending = 0;
  private open = false;
  total = 0;
  private readonly emit: (ev: EventInput) => void;
  private readonly schedule: Schedule;
  readonly windowMs: number;

  constructor(emit: (ev: EventInput) => void = emitEvent, schedule: Schedule = realSchedule, windowMs = 1000) {
    this.emit = emit;
    this.schedule = schedule;
    this.windowMs = windowMs;
  }

  add(n = 1): void {
    this.pending += n;
    this.total += n;
    if (this.open) return;
    this.open = true;
    this.schedule(() => this.flush(), this.windowMs);
  }

  /** Report what the window collected (also called at shutdown). */
  flush(): void {
    this.open = false;
    if (this.pending === 0) return;
    const count = this.pending;
    this.pending = 0;
    this.emit({ type: 'orphans-reaped', count, total: this.total });
  }
}

export class Reaper {
  private readonly owners = new Map<number, ExitHandler>();
  private readonly source: WaitSource;
  private started = false;
  private readonly reapListeners = new Set<() => void>();
  /** false once waitpid reported ECHILD: no child (spawned or adopted) is left */
  private childrenSeen = true;
  private readonly maxPerTurn: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private readonly later: (fn: () => void) => void;
  private continuing = false;
  orphansReaped = 0;
  readonly orphanTally: OrphanTally;
  onOrphan: ((status: ExitStatus) => void) | undefined;
  onError: ((err: unknown) => void) | undefined;

  constructor(source: WaitSource = libcWaitSource, limits: ReaperLimits = {}, tally: OrphanTally = new OrphanTally()) {
    this.source = source;
    this.orphanTally = tally;
    this.maxPerTurn = Math.max(1, Math.floor(limits.maxPerTurn ?? REAP_MAX_PER_TURN));
    this.maxMs = Math.max(0, limits.maxMs ?? REAP_MAX_MS);
    this.now = limits.now ?? (() => performance.now());
    this.later = limits.later ?? ((fn) => setImmediate(fn));
  }

  /** Register the owner of a freshly spawned pid. */
  watch(pid: number, handler: ExitHandler): void {
    this.owners.set(pid, handler);
  }

  /** Whether pid is a child tsinit spawned itself (not an adopted orphan). */
  owns(pid: number): boolean {
    return this.owners.has(pid);
  }

  /** Number of children spawned by tsinit that are still running. */
  get running(): number {
    return this.owners.size;
  }

  /** Called after every round of reaping that reaped something; returns an unsubscribe. */
  onReaped(listener: () => void): () => void {
    this.reapListeners.add(listener);
    return () => this.reapListeners.delete(listener);
  }

  /** Whether any child process (spawned or adopted) is still alive. */
  hasChildren(): boolean {
    this.reapNow();
    return this.childrenSeen;
  }

  /** Reap everything that has exited; returns how many were reaped. */
  reapNow(): number {
    const n = this.reapLoop();
    if (n > 0) {
      for (const l of [...this.reapListeners]) {
        try {
          l();
        } catch (err) {
          this.onError?.(err);
        }
      }
    }
    return n;
  }

  private reapLoop(): number {
    let n = 0;
    const t0 = this.now();
    for (;;) {
      if (n >= this.maxPerTurn || (n > 0 && this.now() - t0 >= this.maxMs)) {
        // More may be waiting: the next turn goes on (signals first).
        if (!this.continuing) {
          this.continuing = true;
          this.later(() => {
            this.continuing = false;
            this.reapNow();
          });
        }
        return n;
      }
      let r: { pid: number; status: number } | undefined;
      try {
        r = this.source.waitAny();
      } catch (err) {
        this.onError?.(err);
        return n;
      }
      if (!r) this.childrenSeen = false;
      else if (r.pid === 0) this.childrenSeen = true;
      if (!r || r.pid <= 0) return n;
      n++;
      const st = decodeWaitStatus(r.pid, r.status);
      const owner = this.owners.get(r.pid);
      if (owner) {
        this.owners.delete(r.pid);
        try {
          owner(st);
        } catch (err) {
          // One owner's bug must not stop the reaping of the others.
          this.onError?.(err);
        }
      } else {
        this.orphansReaped++;
        this.orphanTally.add();
        try {
          this.onOrphan?.(st);
        } catch (err) {
          this.onError?.(err);
        }
      }
    }
  }

  /** Install the SIGCHLD handler (once per process). */
  start(): void {
    if (this.started) return;
    this.started = true;
    process.on('SIGCHLD', () => this.reapNow());
    // Children that exited before the handler was installed.
    setImmediate(() => this.reapNow());
  }
}

export const reaper = new Reaper();
