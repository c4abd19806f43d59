// tsinit's `sv --json status`: the same facts as the status line, as one JSON
// object per service. Pure. The shape is shared by sv and the observe layer
// (health, metrics): it lives here, next to the files it is read from.
import type { ExtStatus } from './ext-status.ts';
import { statusPid, statusTai } from './status-file.ts';

export interface JsonState {
  state: 'down' | 'run' | 'finish' | 'unknown';
  pid: number | null;
  seconds: number;
  want: string;
  paused: boolean;
  normallyUp: boolean;
  termSent: boolean;
}

/**
 * tsinit's extension facts (supervise/tsinit-status.json, written by tsinit's
 * runsv): present only when that record exists (not under runit's runsv).
 */
export type JsonExt = Omit<ExtStatus, 'version' | 'supervisor' | 'updatedAt'> & {
  /** "waiting for: a b" or "not started: ..." (dependencies.d/), else null */
  note: string | null;
};

export interface JsonService extends JsonState, Partial<JsonExt> {
  name: string;
  /** the log service, null when there is no log/ directory */
  log: JsonState | { error: string } | null;
}

export interface JsonError {
  name: string;
  error: string;
}

const states = ['down', 'run', 'finish'] as const;

export function jsonState(st: Buffer, nowTai: bigint, normallyUp: boolean): JsonState {
  const pid = statusPid(st);
  const tai = statusTai(st);
  const want = st[17] === 0x75 ? 'up' : st[17] === 0x64 ? 'down' : String.fromCharCode(st[17] as number);
  return {
    state: states[st[19] as number] ?? 'unknown',
    pid: pid === 0 ? null : pid,
    seconds: Number(nowTai < tai ? 0n : nowTai - tai),
    want,
    paused: st[16] !== 0,
    normallyUp,
    termSent: st[18] !== 0,
  };
}

export function jsonExt(e: ExtStatus): JsonExt {
  const note =
    e.dependencyError !== null
      ? `not started: ${e.dependencyError}`
      : e.waitingFor.length > 0
        ? `waiting for: ${e.waitingFor.join(' ')}`
        : null;
  return {
    readiness: e.readiness,
    ready: e.ready,
    readySince: e.readySince,
    waitingFor: e.waitingFor,
    dependencyError: e.dependencyError,
    note,
    healthy: e.healthy,
    healthFailures: e.healthFailures,
    restarts: e.restarts,
    crashes: e.crashes,
    lastExit: e.lastExit,
    backoff: e.backoff,
    essential: e.essential,
  };
}

export function jsonLine(v: JsonService | JsonError): string {
  return `${JSON.stringify(v)}\n`;
}
