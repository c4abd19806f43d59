// Resource limits as chpst sets them: only the soft limit changes; a negative
// value (softlimit's `=`, or a number that overflowed a C long) or one above
// the hard limit becomes the hard limit. Limits left at -2 are not touched.
import { getrlimit, Rlimit, setrlimit, type RlimitValue } from '../../native/libc.ts';
import type { LimitSettings } from './options.ts';
import { sysFatal } from './fatal.ts';

/** The new soft limit for a requested C-long value `l` under hard limit `hard`. */
export function softValue(l: bigint, hard: bigint): bigint {
  if (l < 0n || l > hard) return hard;
  return l;
}

/** runit's order of setting them; -m's four come first. */
export const limitOrder: readonly (readonly [keyof LimitSettings, number])[] = [
  ['data', Rlimit.DATA],
  ['stack', Rlimit.STACK],
  ['memlock', Rlimit.MEMLOCK],
  ['as', Rlimit.AS],
  ['nofile', Rlimit.NOFILE],
  ['nproc', Rlimit.NPROC],
  ['fsize', Rlimit.FSIZE],
  ['core', Rlimit.CORE],
  ['rss', Rlimit.RSS],
  ['cpu', Rlimit.CPU],
];

/** The (resource, value) pairs to apply, in order. */
export function limitsToApply(l: LimitSettings): [number, bigint][] {
  return limitOrder.filter(([key]) => l[key] >= -1n).map(([key, res]) => [res, l[key]]);
}

/** The memory limits: once they are in force Node must not grow, so they are set last. */
const memoryResources: ReadonlySet<number> = new Set([Rlimit.DATA, Rlimit.STACK, Rlimit.MEMLOCK, Rlimit.AS]);

/**
 * Set the limits. All hard limits are read first, and the memory limits are
 * set last, right before the exec: Node's other threads may allocate at any
 * moment, and fail once DATA or AS is below what the process already uses.
 * (runit interleaves getrlimit/setrlimit per resource; the end state and the
 * messages are the same, and a failure exits before the program runs.)
 */
export function applyLimits(l: LimitSettings): void {
  const todo = limitsToApply(l);
  const ordered = [...todo.filter(([r]) => !memoryResources.has(r)), ...todo.filter(([r]) => memoryResources.has(r))];
  const planned: [number, RlimitValue][] = [];
  for (const [res, value] of ordered) {
    let cur: RlimitValue;
    try {
      cur = getrlimit(res);
    } catch (e) {
      throw sysFatal('unable to getrlimit()', e);
    }
    planned.push([res, { soft: softValue(value, cur.hard), hard: cur.hard }]);
  }
  for (const [res, v] of planned) {
    try {
      setrlimit(res, v);
    } catch (e) {
      throw sysFatal('unable to setrlimit()', e);
    }
  }
}
