// Kubernetes drain: TSINIT_STOP_DELAY (parsed and checked against the
// budget in src/settings.ts) between a shutdown request and
// the shutdown itself. Readiness turns false at once (/readyz 503, `tsinit
// health --ready` fails) while the services keep serving, so the endpoints
// controller stops sending traffic before anything stops. The delay is part
// of the one shutdown budget; the rest must leave time to stop the services.
import { emitEvent } from '../events/bus.ts';

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
