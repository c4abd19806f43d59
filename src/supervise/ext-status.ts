// tsinit's own facts about a service beyond runit's 20-byte status record:
// readiness, dependencies, health, restarts. Written by the in-process runsv
// to supervise/tsinit-status.json (runit's tools ignore unknown files there),
// read by `sv status --json`, `tsinit health` and the HTTP server, so a
// probe in another process needs no round trip to PID 1.
import fs from 'node:fs';
import path from 'node:path';
import type { Essential } from './service-spec.ts';

export const EXT_STATUS_FILE = 'tsinit-status.json';

export type ExitInfo = { code: number } | { signal: string };

export interface ExtStatus {
  version: 1;
  /** how readiness is decided: s6's notification-fd, polling ./check, or "up" (runit's meaning) */
  readiness: 'notification-fd' | 'check' | 'up';
  /** running and ready */
  ready: boolean;
  /** unix time in ms when it last became ready; null when not ready */
  readySince: number | null;
  /** dependencies (dependencies.d/) not ready yet: the first start waits for these */
  waitingFor: string[];
  /** a dependency error (missing, cycle) that keeps this service from starting */
  dependencyError: string | null;
  /** null when the service has no ./health; else the last verdict */
  healthy: boolean | null;
  /** consecutive failed health checks */
  healthFailures: number;
  /** starts of ./run after the first one */
  restarts: number;
  /** how ./run last ended; null before it ever ended */
  lastExit: ExitInfo | null;
  /** consecutive exits of ./run sooner than the reset time (restart-backoff's, else 1 s) */
  crashes: number;
  /** a restart pause in progress (restart-backoff or runit's 1 s), else null */
  backoff: { pauseMs: number; untilMs: number; crashes: number } | null;
  essential: Essential | null;
  /** unix time in ms of this record */
  updatedAt: number;
}

export function initialExtStatus(now: number): ExtStatus {
  return {
    version: 1,
    readiness: 'up',
    ready: false,
    readySince: null,
    waitingFor: [],
    dependencyError: null,
    healthy: null,
    healthFailures: 0,
    restarts: 0,
    crashes: 0,
    lastExit: null,
    backoff: null,
    essential: null,
    updatedAt: now,
  };
}

/** Parse the file's text; null when it is not a record this version wrote. */
export function parseExtStatus(text: string): ExtStatus | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || (v as { version?: unknown }).version !== 1) return null;
  const r = v as Partial<ExtStatus>;
  if (typeof r.ready !== 'boolean' || typeof r.updatedAt !== 'number') return null;
  return { ...initialExtStatus(r.updatedAt), ...r } as ExtStatus;
}

/**
 * Write the record atomically: a temporary file created exclusively (never
 * following a planted link), then renamed over the old one. Returns an error
 * text or null.
 */
export function writeExtStatus(superviseDir: string, status: ExtStatus): string | null {
  const tmp = path.join(superviseDir, `${EXT_STATUS_FILE}.new`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  try {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // usually absent
    }
    const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      fs.writeSync(fd, `${JSON.stringify(status)}\n`);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(superviseDir, EXT_STATUS_FILE));
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Read supervise/tsinit-status.json; null when absent or not readable. */
export function readExtStatus(superviseDir: string): ExtStatus | null {
  try {
    const fd = fs.openSync(path.join(superviseDir, EXT_STATUS_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const buf = Buffer.alloc(16384);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      return parseExtStatus(buf.subarray(0, n).toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}
