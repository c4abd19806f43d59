// svlogd's line timestamps: -t TAI64N label, -tt "YYYY-MM-DD_HH:MM:SS.xxxxx",
// -ttt the same with 'T'. Fractions are the first 5 of runit's 9 nanosecond
// digits (1000 * usec + 500), i.e. truncated, never rounded. Pure.
import { TAI_OFFSET } from '../util/tai64n.ts';

export const STAMP_LEN = 26; // 25 characters + one space

const HEX = '0123456789abcdef';

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** The 25-character stamp for a wall-clock time in microseconds. */
export function formatStamp(mode: 1 | 2 | 3, us: number): string {
  const sec = Math.floor(us / 1e6);
  const usec = us - sec * 1e6;
  if (mode === 1) {
    const s = (TAI_OFFSET + BigInt(sec)).toString(16).padStart(16, '0');
    return `@${s}${(usec * 1000 + 500).toString(16).padStart(8, '0')}`;
  }
  const d = new Date(sec * 1000);
  const sep = mode === 2 ? '_' : 'T';
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}${sep}` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.` +
    pad(Math.floor(usec / 10), 5)
  );
}

/**
 * Writes stamps (with the trailing space) into one reusable buffer; the part
 * that only changes once a second is cached, so a line costs a few stores.
 */
export class StampWriter {
  readonly buf = Buffer.alloc(STAMP_LEN, 32);
  private readonly mode: 1 | 2 | 3;
  private cachedSec = -1;

  constructor(mode: 1 | 2 | 3) {
    this.mode = mode;
  }

  /** Fill `buf` for the time `us` (microseconds since the epoch). */
  set(us: number): Buffer {
    const sec = Math.floor(us / 1e6);
    const usec = us - sec * 1e6;
    const b = this.buf;
    if (sec !== this.cachedSec) {
      b.write(formatStamp(this.mode, sec * 1e6), 0, 'latin1');
      this.cachedSec = sec;
    }
    if (this.mode === 1) {
      let v = usec * 1000 + 500;
      for (let i = 24; i >= 17; i--) {
        b[i] = HEX.charCodeAt(v & 15);
        v >>>= 4;
      }
    } else {
      let v = Math.floor(usec / 10);
      for (let i = 24; i >= 20; i--) {
        b[i] = 48 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
    return b;
  }
}

let anchorMs = performance.timeOrigin;
let lastCheck = -Infinity;

/**
 * Wall-clock microseconds: performance.now() for resolution, re-anchored to
 * Date.now() (checked once a second) when the system clock moved by > 5 ms.
 */
export function wallClockUs(): number {
  const p = performance.now();
  if (p - lastCheck > 1000) {
    lastCheck = p;
    const diff = Date.now() - (anchorMs + p);
    if (diff > 5 || diff < -5) anchorMs += diff;
  }
  return Math.floor((anchorMs + p) * 1000);
}
