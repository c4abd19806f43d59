// Timers that take any delay. Node's setTimeout/setInterval hold at most
// 2^31-1 ms (about 24.8 days); a larger, negative or NaN delay fires after
// 1 ms with a TimeoutOverflowWarning. Every delay that can come from outside
// (environment, service files, svlogd config) goes through here: long delays
// are chained, nonsense becomes 0 (fire on the next turn).

/** Longest delay one Node timer can hold. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay Node can hold: NaN and negatives become 0, fractions are rounded up, at most MAX_TIMER_MS. */
export function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(Math.ceil(ms), MAX_TIMER_MS);
}

const monotonicMs = (): number => performance.now();

export interface LongTimer {
  clear(): void;
  /** does not keep the process alive (as Timeout.unref) */
  unref(): LongTimer;
  readonly pending: boolean;
}

/**
 * setTimeout for any delay in ms (Infinity: never fires). A delay above
 * MAX_TIMER_MS is waited out in pieces, each re-measured against the clock,
 * so the callback runs once, not before the delay has passed.
 */
export function setLongTimeout(cb: () => void, ms: number, now: () => number = monotonicMs): LongTimer {
  const due = ms > 0 ? now() + ms : now();
  let t: NodeJS.Timeout | undefined;
  let unrefd = false;
  let pending = true;
  const arm = (): void => {
    if (due === Infinity) return;
    const delay = clampDelay(due - now());
    t = setTimeout(() => {
      t = undefined;
      // only a piece of a longer wait: measure again
      if (delay === MAX_TIMER_MS && due - now() >= 1) return arm();
      pending = false;
      cb();
    }, delay);
    if (unrefd) t.unref();
  };
  arm();
  const timer: LongTimer = {
    clear(): void {
      pending = false;
      if (t) clearTimeout(t);
      t = undefined;
    },
    unref(): LongTimer {
      unrefd = true;
      t?.unref();
      return timer;
    },
    get pending(): boolean {
      return pending;
    },
  };
  return timer;
}

/** Resolves after ms (any value; see setLongTimeout). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setLongTimeout(resolve, ms);
  });
}
