// A loop over a caller's list (sv over /etc/service/*, tsinit check, tsinit
// health over hundreds of services) run inside PID 1 by the tool service must
// not hold the event loop for the whole list: each iteration awaits pace(),
// which ends the turn after a few items (or a few ms), so PID 1's signals,
// reaper, control FIFOs and loggers run in between. Outside PID 1 it costs a
// few setImmediate turns, and nothing for a list shorter than one slice.
import { SLICE_MAX_MS } from './turn-slicer.ts';

/**
 * Items per turn at most by default. A tool's item (one service's supervise
 * files read or linted) costs some 0.05-0.1 ms, so 64 stay within the 5 ms a
 * turn may take (which bounds the turn anyway, SLICE_MAX_MS); the supervisor's
 * 8 (TurnSlicer: a spawn is an item there) made `sv status` of 20 services
 * yield twice, which cost 0.5-1.5 ms per served call (bench/tree.ts: 3.7-5.3 ms
 * against 3.1-3.5 ms, Debian's C sv 1.5-2.1 ms).
 */
export const PACE_MAX_ITEMS = 64;

/** Ends the current event-loop turn: resolves in a later one. */
export type NextTurn = () => Promise<void>;

export const nextImmediate: NextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface PaceOptions {
  /** items per turn at most (clamped to >= 1); default PACE_MAX_ITEMS */
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
  const maxItems = Math.max(1, Math.floor(opts.maxItems ?? PACE_MAX_ITEMS));
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
