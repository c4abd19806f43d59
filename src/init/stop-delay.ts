// Kubernetes drain: TSINIT_STOP_DELAY seconds between a shutdown request and
// the shutdown itself. Readiness turns false at once (/readyz 503, `tsinit
// health --ready` fails) while the services keep serving, so the endpoints
// controller stops sending traffic before anything stops. The delay is part
// of the one shutdown budget; the rest must leave time to stop the services.
import { emitEvent } from '../events/bus.ts';
import { MAX_TIMER_MS } from '../util/timers.ts';

/** Time that must remain of the budget after the delay. */
export const MIN_REST_MS = 1000;

/** Parse TSINIT_STOP_DELAY against the budget; a clear error for a delay that leaves no time. */
export function parseStopDelay(v: string | undefined, budgetMs: number): { ms: number } | { error: string } {
  if (v === undefined || v.trim() === '') return { ms: 0 };
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) return { error: `TSINIT_STOP_DELAY: not a number of seconds: ${v}` };
  const ms = Math.min(Math.round(n * 1000), MAX_TIMER_MS);
  if (ms > 0 && budgetMs - ms < MIN_REST_MS) {
    return {
      error:
        `TSINIT_STOP_DELAY=${v} leaves ${Math.max(0, budgetMs - ms)} ms of the ${budgetMs} ms shutdown budget ` +
        `(TSINIT_SHUTDOWN_TIMEOUT) to stop the services; at least ${MIN_REST_MS} ms must remain`,
    };
  }
  return { ms };
}

/** The budget left for the normal shutdown once the delay has run (never below zero). */
export function restOfBudget(budgetMs: number, elapsedMs: number): number {
  return Math.max(0, budgetMs - elapsedMs);
}

/**
 * Wait out the delay; resolves early when `cut` settles (a second TERM).
 * `wait` is raceDeadline from system.ts (injected for fake clocks).
 */
export async function runStopDelay(
  ms: number,
  cut: Promise<void>,
  now: () => number,
  wait: (p: Promise<unknown>, deadline: number, now: () => number) => Promise<boolean>,
): Promise<void> {
  if (ms <= 0) return;
  emitEvent({ type: 'shutdown-phase', phase: 'stop-delay', state: 'started', ms });
  const cutShort = await wait(cut, now() + ms, now);
  emitEvent({ type: 'shutdown-phase', phase: 'stop-delay', state: 'ended', cutShort });
}
