// When is a service ready? Pure decisions, the effect layer (service-probes.ts)
// does the pipes, timers and ./check runs.
//  * notification-fd (s6): ready when the service writes a newline on fd N;
//  * ./check (runit's script), when there is no notification-fd: polled after
//    each start, at an interval that grows from CHECK_FIRST_MS to
//    CHECK_MAX_MS, until it exits 0;
//  * neither: ready as soon as ./run runs (runit's "up").
// A service that exits is not ready, whatever it said before.
import type { ServiceSpec } from './service-spec.ts';

export type ReadinessMode = 'notification-fd' | 'check' | 'up';

/** First pause before ./check is run after a start. */
export const CHECK_FIRST_MS = 50;
/** Each further attempt waits this many times longer... */
export const CHECK_FACTOR = 2;
/** ...but never longer than this. */
export const CHECK_MAX_MS = 3000;
/** A ./check still running after this long is KILLed and counts as "not yet". */
export const CHECK_TIMEOUT_MS = 10_000;

export function readinessMode(spec: Pick<ServiceSpec, 'notificationFd' | 'hasCheck'>): ReadinessMode {
  if (spec.notificationFd !== null) return 'notification-fd';
  if (spec.hasCheck) return 'check';
  return 'up';
}

/** Pause before check attempt number `attempt` (0 = the first after a start). */
export function checkDelay(attempt: number): number {
  const a = Math.max(0, Math.min(attempt, 64));
  return Math.min(CHECK_MAX_MS, Math.round(CHECK_FIRST_MS * CHECK_FACTOR ** a));
}

/** s6: the service is ready once a newline came through the notification pipe. */
export function notificationSaysReady(chunk: Uint8Array): boolean {
  return chunk.includes(0x0a);
}
