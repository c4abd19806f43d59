// A one-shot timer for any delay: Node's setTimeout takes at most 2^31-1 ms
// (longer delays fire at once, with a warning), so longer ones are chained.
export const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

export function setLongTimeout(ms: number, fn: () => void): LongTimer {
  let remaining = Number.isFinite(ms) ? Math.max(0, ms) : MAX_NODE_TIMER_MS;
  let t: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const step = Math.min(remaining, MAX_NODE_TIMER_MS);
    remaining -= step;
    t = setTimeout(() => {
      t = undefined;
      if (remaining > 0) arm();
      else fn();
    }, step);
  };
  arm();
  return {
    clear(): void {
      if (t) clearTimeout(t);
      t = undefined;
    },
  };
}
