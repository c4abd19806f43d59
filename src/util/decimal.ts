// Numbers in tsinit's extension files and settings: plain decimals (no hex,
// no exponent, no units) and restart-backoff's four numbers. Pure; shared by
// src/settings.ts and supervise/service-spec.ts.
import { MAX_TIMER_MS } from './timers.ts';

export { MAX_TIMER_MS };

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export interface BackoffSpec {
  /** first pause after a crash */
  initialMs: number;
  /** each further consecutive crash multiplies the pause by this */
  factor: number;
  /** the pause never exceeds this */
  capMs: number;
  /** uptime after which the next pause starts again from initialMs */
  resetAfterMs: number;
}

/** First line, without surrounding white space (s6 reads these files the same way). */
function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

/** A decimal number (no hex, no exponent, no units) within [min, max]. */
export function parseDecimal(text: string, min: number, max: number, what: string): Parsed<number> {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return { ok: false, message: `${what}: not a number: ${JSON.stringify(t)}` };
  const n = Number(t);
  if (!Number.isFinite(n) || n < min || n > max) {
    return { ok: false, message: `${what}: ${t} is out of range (${min} to ${max})` };
  }
  return { ok: true, value: n };
}

/** restart-backoff: "INITIAL FACTOR CAP RESET", seconds (decimals allowed) and a factor. */
export function parseBackoff(text: string): Parsed<BackoffSpec> {
  const parts = firstLine(text).split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 4) {
    return { ok: false, message: `expected four numbers "INITIAL FACTOR CAP RESET", got ${JSON.stringify(firstLine(text))}` };
  }
  const maxS = MAX_TIMER_MS / 1000;
  const [a, b, c, d] = parts as [string, string, string, string];
  const initial = parseDecimal(a, 0, maxS, 'initial pause');
  if (!initial.ok) return initial;
  const factor = parseDecimal(b, 1, 1000, 'factor');
  if (!factor.ok) return factor;
  const cap = parseDecimal(c, 0, maxS, 'cap');
  if (!cap.ok) return cap;
  const reset = parseDecimal(d, 0, maxS, 'reset');
  if (!reset.ok) return reset;
  if (cap.value < initial.value) return { ok: false, message: `cap ${c} is below the initial pause ${a}` };
  return {
    ok: true,
    value: {
      initialMs: Math.round(initial.value * 1000),
      factor: factor.value,
      capMs: Math.round(cap.value * 1000),
      resetAfterMs: Math.round(reset.value * 1000),
    },
  };
}
