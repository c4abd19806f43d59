// svlogd's pattern matcher (runit pmatch): a plain byte matches itself,
// "+c" one or more c, "*c" skips to the FIRST c (no backtracking), a final "*"
// matches the rest, and the whole message must be consumed. Pure.

const STAR = 42;
const PLUS = 43;

/**
 * Match pattern p (its end acts as runit's NUL terminator) against
 * s[start, start + len).
 */
export function pmatch(p: Uint8Array, s: Uint8Array, start: number, len: number): boolean {
  let pi = 0;
  let si = start;
  const pend = p.length;
  for (;;) {
    if (pi >= pend) return len === 0;
    let c = p[pi++] as number;
    if (c === 0) return len === 0;
    if (c === STAR) {
      if (pi >= pend || p[pi] === 0) return true;
      c = p[pi] as number;
      for (;;) {
        if (!len) return false;
        if (s[si] === c) break;
        si++;
        len--;
      }
      continue;
    }
    if (c === PLUS) {
      // runit compares before looking at the length; an empty rest (or "+" at
      // the end of the pattern) reads undefined memory there: no match here.
      if (pi >= pend || !len) return false;
      c = p[pi++] as number;
      if (c !== s[si]) return false;
      for (;;) {
        if (!len) return true; // runit: the message ended inside the run
        if (s[si] !== c) break;
        si++;
        len--;
      }
      continue;
    }
    if (!len) return false;
    if (s[si] !== c) return false;
    si++;
    len--;
  }
}
