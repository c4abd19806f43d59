// tsinit's own facts about a service beyond runit's 20-byte status record:
// readiness, dependencies, health, restarts. Written by the in-process runsv
// to supervise/tsinit-status.json (runit's tools ignore unknown files there),
// read by `sv status --json`, `tsinit health` and the HTTP server, so a
// probe in another process needs no round trip to PID 1.
//
// A record describes the running supervisor only: it names that process
// (pid and start time), runsv rewrites it (or removes it, for a service
// without extensions) when it takes supervise/lock, and a reader ignores a
// record whose process is gone: one left by a killed tsinit, or by an
// earlier boot, is never taken for the present.
import fs from 'node:fs';
import path from 'node:path';
import { lockHolders, startTimeOf } from '../process/proc.ts';
import type { Essential } from './service-spec.ts';

export const EXT_STATUS_FILE = 'tsinit-status.json';

export type ExitInfo = { code: number } | { signal: string };

/** The process that wrote a record: its pid and start time (/proc/PID/stat). */
export interface SupervisorId {
  pid: number;
  start: number;
}

export interface ExtStatus {
  version: 1;
  /** the supervisor (runsv: tsinit's own process) this record describes */
  supervisor: SupervisorId | null;
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

let self: SupervisorId | null | undefined;

/** This process as the writer of records (null when /proc cannot tell). */
export function selfSupervisor(): SupervisorId | null {
  if (self === undefined) {
    const start = startTimeOf('self');
    self = start === null ? null : { pid: process.pid, start };
  }
  return self;
}

/**
 * dir/name, joined without normalising (sv reads a service it reached by a
 * path with ".." or symlinks in it, or by bytes that are not UTF-8).
 */
function fileIn(dir: string | Buffer, name: string): string | Buffer {
  return typeof dir === 'string' ? `${dir}/${name}` : Buffer.concat([dir, Buffer.from(`/${name}`)]);
}

/**
 * The process the record names still runs: same pid and start time, or,
 * seen from another PID namespace (the pid means another process there), a
 * holder of supervise/lock with that start time (start times do not depend
 * on the namespace).
 */
export function supervisorAlive(id: SupervisorId | null, superviseDir?: string | Buffer): boolean {
  if (id === null) return false;
  if (startTimeOf(id.pid) === id.start) return true;
  if (superviseDir === undefined) return false;
  let ino: number;
  let locks: string;
  try {
    ino = fs.statSync(fileIn(superviseDir, 'lock')).ino;
    locks = fs.readFileSync('/proc/locks', 'latin1');
  } catch {
    return false;
  }
  return lockHolders(locks, ino).some((pid) => startTimeOf(pid) === id.start);
}

export function initialExtStatus(now: number): ExtStatus {
  return {
    version: 1,
    supervisor: selfSupervisor(),
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
  const sup = r.supervisor as Partial<SupervisorId> | null | undefined;
  if (!sup || typeof sup !== 'object' || !Number.isSafeInteger(sup.pid) || !Number.isSafeInteger(sup.start)) return null;
  return { ...initialExtStatus(r.updatedAt), ...r, supervisor: { pid: sup.pid as number, start: sup.start as number } } as ExtStatus;
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

/**
 * Remove supervise/tsinit-status.json (and a temporary file left beside it):
 * a service that no longer uses an extension keeps runit's supervise/ only.
 * unlink never follows a link. Returns an error text or null.
 */
export function removeExtStatus(superviseDir: string): string | null {
  for (const name of [EXT_STATUS_FILE, `${EXT_STATUS_FILE}.new`]) {
    try {
      fs.unlinkSync(path.join(superviseDir, name));
    } catch (e) {
      const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
      if (code !== 'ENOENT') return e instanceof Error ? e.message : String(e);
    }
  }
  return null;
}

/**
 * Read supervise/tsinit-status.json; null when absent, not readable, or
 * written by a supervisor that no longer runs (a stale record says nothing
 * about the present).
 */
export function readExtStatus(superviseDir: string | Buffer): ExtStatus | null {
  const r = readExtStatusFile(superviseDir);
  return r && supervisorAlive(r.supervisor, superviseDir) ? r : null;
}

/** The record as the file holds it, live or not. */
export function readExtStatusFile(superviseDir: string | Buffer): ExtStatus | null {
  try {
    const fd = fs.openSync(fileIn(superviseDir, EXT_STATUS_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
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
