// When a served runsvdir gives its start-up memory back (process/trim.ts's
// trimSoon), as a pure schedule over an injected host (timers, effects).
// Measured on bench/tree.ts's tree: every page of the executable that runs
// after a trim comes back (with the whole page-cache folio around it: some
// 400 KB a fault on Linux 6.18), so a trim is worth most once nothing new runs
// after it. Two things ran after the one trim of before: the rest of a boot
// that outlasted its fixed 2 s (a slow or loaded machine), and V8's memory
// reducer, which collects about 8 s after the full collection that precedes
// the trim. So each trim waits for a quiet second (the event loop busy under
// 5% of it), and one more trim follows 10 s after the first, once, past the
// memory reducer. Bounded: a host busy for good gets its trims all the same
// after 30 s of waiting; then the schedule ends (the init's periodic trim,
// scheduleTrim, carries on).

export interface QuietTrimHost {
  /** a one-shot timer (unref'd: it keeps no process alive) */
  after(ms: number, fn: () => void): void;
  /** whether the event loop was busy since the previous call (the first call: since the schedule began) */
  busySinceLastAsk(): boolean;
  /** a full collection that gives the heap's free pages back */
  collect(): void;
  /** malloc_trim and the clean-page trim */
  trim(): void;
}

/** How long a window must be quiet before a trim. */
export const QUIET_WINDOW_MS = 1000;
/** The first trim's collection: at the earliest this long after the schedule starts. */
export const FIRST_TRIM_MS = 2000;
/** After the collection, how long V8's helper threads get to finish their part (sweeping) before the trim. */
export const SETTLE_SWEEP_MS = 1000;
/** The second trim: at the earliest this long after the first (V8's memory reducer collects ~8 s after a full collection). */
export const SECOND_TRIM_MS = 10_000;
/** Past its earliest time, a trim waits at most this long for a quiet window. */
export const MAX_QUIET_WAIT_MS = 30_000;

/**
 * Run once `earliestMs` passed and the last QUIET_WINDOW_MS were quiet, or
 * MAX_QUIET_WAIT_MS later at the latest: two wake-ups when quiet (the
 * window's start, its end), one a second while busy.
 */
function whenQuiet(host: QuietTrimHost, earliestMs: number, then: () => void): void {
  let waited = 0;
  const check = (): void => {
    if (!host.busySinceLastAsk() || waited >= MAX_QUIET_WAIT_MS) then();
    else {
      waited += QUIET_WINDOW_MS;
      host.after(QUIET_WINDOW_MS, check);
    }
  };
  host.after(Math.max(0, earliestMs - QUIET_WINDOW_MS), () => {
    host.busySinceLastAsk(); // the window starts here
    host.after(QUIET_WINDOW_MS, check);
  });
}

/** The schedule: quiet -> collect -> settle -> trim; 10 s later, quiet -> trim; then done(). */
export function runQuietTrims(host: QuietTrimHost, done: () => void, firstMs: number = FIRST_TRIM_MS): void {
  whenQuiet(host, firstMs, () => {
    host.collect();
    host.after(SETTLE_SWEEP_MS, () => {
      host.trim();
      whenQuiet(host, SECOND_TRIM_MS, () => {
        host.trim();
        done();
      });
    });
  });
}
