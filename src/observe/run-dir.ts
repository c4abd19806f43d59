// tsinit's runtime directory (TSINIT_RUN_DIR, default /run/tsinit, mode 0700): the
// events socket and the "stopping" marker that tells `tsinit health --ready`
// (another process) that a shutdown began. Several instances on one host
// each get their own directory.
import fs from 'node:fs';
import path from 'node:path';
import { codeOf } from '../util/errstr.ts';

export const DEFAULT_RUN_DIR = '/run/tsinit';
export const STOPPING_FILE = 'stopping';

export function runDirOf(env: NodeJS.ProcessEnv): string {
  return env.TSINIT_RUN_DIR || DEFAULT_RUN_DIR;
}

/** The events socket's path; null when turned off (TSINIT_EVENTS_SOCKET=off). */
export function eventsSocketOf(env: NodeJS.ProcessEnv): string | null {
  const v = env.TSINIT_EVENTS_SOCKET;
  if (v === 'off') return null;
  return v || path.join(runDirOf(env), 'events.sock');
}

/** The service directory tools look at by default, as the init uses it. */
export function serviceDirOf(env: NodeJS.ProcessEnv): string {
  return env.TSINIT_SERVICE_DIR || '/etc/service';
}

function realOrResolved(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * A shutdown of the tsinit serving `serviceDir` has begun: the marker exists
 * and names that directory (another instance sharing the run directory, or
 * a marker about other services, does not count). Never throws.
 */
export function stoppingMarked(runDir: string, serviceDir: string): boolean {
  try {
    const fd = fs.openSync(path.join(runDir, STOPPING_FILE), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    let text: string;
    try {
      const buf = Buffer.alloc(8192);
      text = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    const v = JSON.parse(text) as { serviceDir?: unknown };
    return typeof v.serviceDir === 'string' && v.serviceDir === realOrResolved(serviceDir);
  } catch {
    return false;
  }
}

/**
 * Make sure `dir` is a directory of ours that nobody else can write to
 * (created with `mode` if missing, parents 0755). Throws an Error with a
 * message fit for a warning otherwise: as root we never work in a directory
 * an unprivileged user controls.
 */
export function ensurePrivateDir(dir: string, mode: number): void {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    fs.mkdirSync(dir, { mode });
  } catch (e) {
    if (codeOf(e) !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir}: not a directory`);
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== uid) throw new Error(`${dir}: owned by uid ${st.uid}, not by us`);
  if ((st.mode & 0o022) !== 0) throw new Error(`${dir}: writable by group or others`);
}

/** Write the marker (exclusively, never through a planted link); errors as text. */
export function markStopping(runDir: string, serviceDir: string): string | null {
  try {
    ensurePrivateDir(runDir, 0o700);
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(path.join(runDir, STOPPING_FILE), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      fs.writeSync(fd, `${JSON.stringify({ pid: process.pid, time: Date.now(), serviceDir: realOrResolved(serviceDir) })}\n`);
    } finally {
      fs.closeSync(fd);
    }
    return null;
  } catch (e) {
    if (codeOf(e) === 'EEXIST') return null;
    return e instanceof Error ? e.message : String(e);
  }
}

/** The marker is removed at start (one left by a killed run) and at exit. */
export function clearStopping(runDir: string): void {
  try {
    fs.unlinkSync(path.join(runDir, STOPPING_FILE));
  } catch {
    // usually absent
  }
}
