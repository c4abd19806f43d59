// tsinit's opt-in policy for one service, as pure functions the service
// machine consults: how long to pause before a restart (restart-backoff),
// and whether an exit of an essential service ends the container.
// Nothing here runs without the matching file in the service directory
// (or TSINIT_RESTART_BACKOFF): runit's rules stay in service-machine.ts.
import { decodeWaitStatus, shellExitCode } from '../process/wait-status.ts';
import { signalNameOf } from '../util/signal-names.ts';
import type { BackoffSpec, Essential, ServiceSpec, SignalName } from './service-spec.ts';
import type { ExitInfo } from './ext-status.ts';

/** What the machine needs from the service's spec (service-spec.ts). */
export interface MachinePolicy {
  restartBackoff: BackoffSpec | null;
  /** sent instead of TERM by sv down, restarts and the shutdown; null: TERM */
  downSignal: SignalName | null;
  /** KILL this long after the down signal when still running; null: never */
  timeoutKillMs: number | null;
  essential: Essential | null;
  /** an essential service that dies within 1 s this many times in a row ends the container */
  essentialAttempts: number;
}

/** The policy a service's spec asks for. */
export function policyOf(spec: ServiceSpec): MachinePolicy {
  return {
    restartBackoff: spec.restartBackoff,
    downSignal: spec.downSignal,
    timeoutKillMs: spec.timeoutKillMs,
    essential: spec.essential,
    essentialAttempts: spec.essentialAttempts,
  };
}

export const NO_POLICY: Readonly<MachinePolicy> = Object.freeze({
  restartBackoff: null,
  downSignal: null,
  timeoutKillMs: null,
  essential: null,
  essentialAttempts: 3,
});

/** A death within this long after the start of ./run is a failed start (runit's 1 s rule). */
export const QUICK_DEATH_MS = 1000;

/**
 * The pause before the next start after `crashes` consecutive crashes
 * (crashes >= 1): initial * factor^(crashes-1), never above the cap.
 */
export function backoffPause(b: BackoffSpec, crashes: number): number {
  const n = Math.max(1, Math.floor(crashes));
  // Stop multiplying at the cap: no overflow to Infinity for a long crash loop.
  let pause = b.initialMs;
  for (let i = 1; i < n && pause < b.capMs; i++) pause *= b.factor;
  return Math.round(Math.min(pause, b.capMs));
}

export function exitInfoOf(wstat: number): ExitInfo {
  const st = decodeWaitStatus(0, wstat);
  if (st.signal === null) return { code: st.code ?? 0 };
  return { signal: signalNameOf(st.signal)?.slice(3) ?? String(st.signal) };
}

export interface RunEnd {
  wstat: number;
  /** ./run could not be executed at all (the effect layer simulates an exit) */
  execFailed: boolean;
  /** how long ./run ran */
  livedMs: number;
  /** the service is wanted up and tsinit did not stop it itself (sv down, restart, k, shutdown) */
  unexpected: boolean;
  /** consecutive quick deaths before this one */
  quickDeaths: number;
}

export type EssentialVerdict =
  | { kind: 'none'; quickDeaths: number }
  | { kind: 'ended'; code: number; reason: string };

/**
 * Does this end of ./run end the container? Any unexpected exit does (for
 * on-failure: not an exit 0); a death within 1 s is a failed start, retried
 * until `attempts` of them came in a row; an exec failure ends it at once.
 */
export function essentialVerdict(essential: Essential | null, attempts: number, end: RunEnd): EssentialVerdict {
  if (essential === null || !end.unexpected) return { kind: 'none', quickDeaths: 0 };
  if (essential === 'on-failure' && end.wstat === 0) return { kind: 'none', quickDeaths: 0 };
  // the shell convention for the container's exit code: the code, or 128 + signal
  const st = decodeWaitStatus(0, end.wstat);
  const code = shellExitCode(st);
  const how = st.signal !== null ? `killed by signal ${st.signal}` : `exit ${code}`;
  if (end.execFailed) return { kind: 'ended', code, reason: `./run could not be started (${how})` };
  if (end.livedMs < QUICK_DEATH_MS) {
    const n = end.quickDeaths + 1;
    if (n < Math.max(1, attempts)) return { kind: 'none', quickDeaths: n };
    return { kind: 'ended', code, reason: `./run died within 1 s ${n} times in a row (${how})` };
  }
  return { kind: 'ended', code, reason: `./run ended (${how})` };
}
