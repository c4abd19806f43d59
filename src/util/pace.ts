// A loop over a caller's list (sv over /etc/service/*, tsinit check, tsinit
// health over hundreds of services) run inside PID 1 by the tool service must
// not hold the event loop for the whole list: each iteration awaits pace(),
// which ends the turn after a few items (or a few ms), so PID 1's signals,
// reaper, control FIFOs and loggers run in between. Outside PID 1 it costs a
// few setImmediate turns, and nothing for a list shorter than one slice.
import { SLICE_MAX_ITEMS, SLICE_MAX_MS } from './turn-slicer.ts';

/** Ends the current event-loop turn: resolves in a later one. */
export type NextTurn = () => Promise<void>;

export const nextImmediate: NextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface PaceOptions {
  /** items per turn at most (clamped to >= 1); default SLICE_MAX_ITEMS */
  maxItems?: number;
  /** ms per turn at most; default SLICE_MAX_MS */
  maxMs?: number;
  now?: () => number;
}

/**
 * A pace() to await after each item: it yields (through nextTurn) once
 * maxItems items or maxMs have gone by since the turn began, else it
 * resolves at once (a microtask: the turn goes on).
 */
export function pacer(nextTurn: NextTurn = nextImmediate, opts: PaceOptions = {}): () => Promise<void> {
  const maxItems = Math.max(1, Math.floor(opts.maxItems ?? SLICE_MAX_ITEMS));
  const maxMs = Math.max(0, opts.maxMs ?? SLICE_MAX_MS);
  const now = opts.now ?? (() => performance.now());
  let items = 0;
  let since = now();
  return async () => {
    items++;
    if (items < maxItems && now() - since < maxMs) return;
    await nextTurn();
    items = 0;
    since = now();
  };
}
