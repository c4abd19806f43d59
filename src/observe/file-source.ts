// Snapshots from the supervise files, as sv reads them but by path (no
// chdir, no FFI): probing supervise/ok tells whether a runsv is there,
// supervise/status holds runit's 20 bytes, tsinit-status.json tsinit's
// extension record. Loads nothing but node:fs, so `tsinit health` stays a
// cheap exec probe.
import fs from 'node:fs';
import path from 'node:path';
import { codeOf, errstr } from '../util/errstr.ts';
import { readExtStatus } from '../supervise/ext-status.ts';
import { pacer, type NextTurn } from '../util/pace.ts';
import type { ServiceSnapshot, SideRead, SnapshotSource } from './snapshot.ts';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;

/** One side's files, with sv's error texts (src/sv/json-report.ts). */
export function readSide(dir: string): SideRead {
  try {
    fs.closeSync(fs.openSync(path.join(dir, 'supervise', 'ok'), O_WRONLY | O_NONBLOCK));
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENXIO') return { error: 'runsv not running' };
    return { error: `unable to open supervise/ok: ${errstr(code)}` };
  }
  const st = Buffer.alloc(20);
  let fd: number;
  try {
    fd = fs.openSync(path.join(dir, 'supervise', 'status'), O_RDONLY | O_NONBLOCK);
  } catch (e) {
    return { error: `unable to open supervise/status: ${errstr(codeOf(e))}` };
  }
  try {
    const n = fs.readSync(fd, st, 0, 20, null);
    if (n !== 20) return { error: 'unable to read supervise/status: bad format' };
  } catch (e) {
    return { error: `unable to read supervise/status: ${errstr(codeOf(e))}` };
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.statSync(path.join(dir, 'down'));
    return { st, normallyUp: false };
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT') return { st, normallyUp: true };
    return { error: `unable to stat down: ${errstr(code)}` };
  }
}

/** The snapshot of the service directory `dir` (named `name`). */
export function readServiceSnapshot(dir: string, name: string): ServiceSnapshot {
  const main = readSide(dir);
  let log: SideRead | null = null;
  const logDir = path.join(dir, 'log');
  try {
    if (fs.statSync(logDir).isDirectory()) log = readSide(logDir);
  } catch (e) {
    const code = codeOf(e);
    if (code !== 'ENOENT') log = { error: `unable to change directory: ${errstr(code)}` };
  }
  const ext = 'st' in main ? readExtStatus(path.join(dir, 'supervise')) : null;
  return { name, main, log, ext };
}

/** A scan directory entry runsvdir takes for a service: a sub-directory not starting with a dot (a dangling link is none). */
function isService(svdir: string, name: string): boolean {
  if (name.startsWith('.')) return false;
  try {
    return fs.statSync(path.join(svdir, name)).isDirectory();
  } catch {
    return false;
  }
}

/** Service names in a scan directory, as runsvdir sees them: sub-directories not starting with a dot. */
export function listServices(svdir: string): string[] {
  return fs.readdirSync(svdir).filter((name) => isService(svdir, name)).sort();
}

export function fileSource(svdir: string): SnapshotSource {
  return {
    snapshots: () => listServices(svdir).map((name) => readServiceSnapshot(path.join(svdir, name), name)),
  };
}

/** fileSource's snapshots, a few entries per event-loop turn (util/pace.ts): for a `tsinit health` PID 1 serves. */
export async function pacedSnapshots(svdir: string, nextTurn?: NextTurn): Promise<ServiceSnapshot[]> {
  const pace = pacer(nextTurn);
  const names: string[] = [];
  for (const name of fs.readdirSync(svdir)) {
    if (isService(svdir, name)) names.push(name);
    await pace();
  }
  const out: ServiceSnapshot[] = [];
  for (const name of names.sort()) {
    out.push(readServiceSnapshot(path.join(svdir, name), name));
    await pace();
  }
  return out;
}
