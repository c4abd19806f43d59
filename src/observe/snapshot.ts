// What a probe needs to know about each service: runit's 20-byte status
// record of the service (and of its log service), and tsinit's extension
// record (tsinit-status.json) when there is one. Two sources build the same
// snapshot: the supervise files (`tsinit health`, PID 1 with an out-of-process
// runsvdir) and the in-process runsv handles (the HTTP server in PID 1).
import type { ExtStatus } from '../supervise/ext-status.ts';

/** One side (the service, or its log service) as runit's tools see it. */
export interface SideRecord {
  /** the 20 bytes of supervise/status */
  st: Buffer;
  /** ./down does not exist; null where the source does not know (in-process) */
  normallyUp: boolean | null;
}

export type SideRead = SideRecord | { error: string };

export interface ServiceSnapshot {
  name: string;
  main: SideRead;
  /** null when the service has no log/ directory */
  log: SideRead | null;
  ext: ExtStatus | null;
}

/** Where snapshots come from; the HTTP server and `tsinit health` only see this. */
export interface SnapshotSource {
  /** every service, sorted by name */
  snapshots(): ServiceSnapshot[];
}

export function isRecord(r: SideRead | null): r is SideRecord {
  return r !== null && 'st' in r;
}

export const RUN_STATE = 1;
export const WANT_UP = 0x75;

/** A process is running in the run state (not finish, not down). */
export function sideUp(st: Buffer): boolean {
  return st.readUInt32LE(12) !== 0 && st[19] === RUN_STATE;
}

/** runit's want byte: 'u' means someone (default, `sv up`) wants it up. */
export function sideWantedUp(st: Buffer): boolean {
  return st[17] === WANT_UP;
}
