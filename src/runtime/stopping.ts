// The "stopping" marker in the runtime directory: tells `tsinit health
// --ready` (another process) that a shutdown of the tsinit serving a given
// service directory began.
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from './private-dir.ts';
import { STOPPING_FILE } from './paths.ts';

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

/** Write the marker (exclusively, never through a planted link); errors as text. */
export function markStopping(runDir: string, serviceDir: string): string | null {
  const bad = ensurePrivateDir(runDir);
  if (bad !== null) return bad;
  try {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(path.join(runDir, STOPPING_FILE), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      fs.writeSync(fd, `${JSON.stringify({ pid: process.pid, time: Date.now(), serviceDir: realOrResolved(serviceDir) })}\n`);
    } finally {
      fs.closeSync(fd);
    }
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
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
