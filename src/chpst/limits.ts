// Resource limits as chpst sets them: only the soft limit changes; a negative
// value (softlimit's `=`, or a number that overflowed a C long) or one above
// the hard limit becomes the hard limit. Limits left at -2 are not touched.
import { getrlimit, Rlimit, setrlimit } from '../../native/libc.ts';
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

export function applyLimits(l: LimitSettings): void {
  for (const [res, value] of limitsToApply(l)) {
    let cur;
    try {
      cur = getrlimit(res);
    } catch (e) {
      throw sysFatal('unable to getrlimit()', e);
    }
    try {
      setrlimit(res, { soft: softValue(value, cur.hard), hard: cur.hard });
    } catch (e) {
      throw sysFatal('unable to setrlimit()', e);
    }
  }
}
