// Health checks (./health, health-interval, health-timeout, health-retries):
// the pure bookkeeping of one service's verdicts. The effect layer
// (service-probes.ts) runs ./health and acts on the decisions returned here.
import type { HealthSpec } from './service-spec.ts';

// One meaning everywhere (status, probes, events, metrics): a service is
// unhealthy after `retries` consecutive failed checks, healthy after a check
// that passed; fewer failures change nothing but the count. Both start again
// at every start of ./run.

export interface HealthState {
  /** null until a first verdict of this start; then the last one */
  healthy: boolean | null;
  /** consecutive failed checks of this start since the last success */
  failures: number;
}

export interface HealthDecision {
  state: HealthState;
  /** an event to announce: it became healthy, or it was declared unhealthy */
  event: 'healthy' | 'unhealthy' | null;
  /** restart the service now (TERM, then KILL after the stop timeout) */
  restart: boolean;
}

export function initialHealth(): HealthState {
  return { healthy: null, failures: 0 };
}

/**
 * One check's result. After `retries` consecutive failures the service is
 * unhealthy and is restarted once; the count then starts again, so a service
 * that keeps failing is restarted once per `retries` failures, never more.
 */
export function healthResult(prev: HealthState, ok: boolean, spec: Pick<HealthSpec, 'retries'>): HealthDecision {
  if (ok) {
    return { state: { healthy: true, failures: 0 }, event: prev.healthy === true ? null : 'healthy', restart: false };
  }
  const failures = prev.failures + 1;
  if (failures < spec.retries) return { state: { healthy: prev.healthy, failures }, event: null, restart: false };
  return { state: { healthy: false, failures }, event: 'unhealthy', restart: true };
}

/** A new ./run started: the verdict and the count were about the old process. */
export function healthRestarted(): HealthState {
  return initialHealth();
}

/** "1 failed health check", "3 failed health checks". */
export function failedChecks(n: number): string {
  return `${n} failed health check${n === 1 ? '' : 's'}`;
}

/** How long to wait after a health restart's TERM before KILL: timeout-kill when set, else this. */
export const HEALTH_KILL_DEFAULT_MS = 7000;

export function healthKillAfterMs(timeoutKillMs: number | null): number {
  return timeoutKillMs ?? HEALTH_KILL_DEFAULT_MS;
}
