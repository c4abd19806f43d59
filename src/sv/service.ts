// The system calls sv makes on a service directory (reference spec 2.2, 4.2,
// 4.4, 4.6): changing into it, probing supervise/ok, reading
// supervise/status, writing supervise/control, testing ./down. Each returns
// its failure as a value carrying the errno name.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { codeOf } from '../util/errstr.ts';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;

/** An errno name such as 'ENOENT' (undefined if the error carried none). */
export type Errno = string | undefined;

/**
 * The directory sv started in, held open so it can return there even if the
 * path changed meanwhile.
 */
export function openCurrentDir(): number | { error: Errno } {
  try {
    return fs.openSync('.', O_RDONLY);
  } catch (e) {
    return { error: codeOf(e) };
  }
}

export function returnToDir(fd: number): Errno | null {
  // chdir through /proc/self/fd/N reaches the very directory fd holds, as
  // fchdir does, without loading the FFI addon (sv runs often, as a probe).
  try {
    process.chdir(`/proc/self/fd/${fd}`);
    return null;
  } catch {
    // no /proc mounted: fchdir itself
  }
  try {
    libc.fchdir(fd);
    // Node caches process.cwd(); make it forget the directory it knew.
    process.chdir('.');
    return null;
  } catch (e) {
    return codeOf(e) ?? 'EBADF';
  }
}

/** Arguments whose bytes are not UTF-8: their display string -> the bytes (see util/raw-argv.ts). */
let rawByName: ReadonlyMap<string, Buffer> = new Map();

export function setRawNames(m: ReadonlyMap<string, Buffer>): void {
  rawByName = m;
}

/** chdir; a path given as bytes (not UTF-8) goes through open + fchdir. */
export function changeDir(dir: string | Buffer): Errno | null {
  try {
    if (typeof dir === 'string') {
      process.chdir(dir);
      return null;
    }
    const fd = fs.openSync(dir, O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      libc.fchdir(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Node caches process.cwd(); make it forget the directory it knew.
    process.chdir('.');
    return null;
  } catch (e) {
    return codeOf(e);
  }
}

/**
 * Names that do not start with "/" or ".", are not empty and (when sending,
 * not when waiting) do not end in "/" are looked up in SVDIR.
 */
export function inServiceDir(name: string, forSending: boolean): boolean {
  if (name[0] === '/' || name[0] === '.') return false;
  if (!forSending) return true;
  return name !== '' && !name.endsWith('/');
}

/** chdir into the service; the errno of the failing chdir otherwise. */
export function enterService(name: string, svdir: string, forSending: boolean): Errno | null {
  if (inServiceDir(name, forSending)) {
    const e = changeDir(svdir);
    if (e !== null) return e;
  }
  return changeDir(rawByName.get(name) ?? name);
}

/** Open supervise/ok for writing without blocking: ENXIO means no runsv. */
export function probeOk(): Errno | null {
  try {
    fs.closeSync(fs.openSync('supervise/ok', O_WRONLY | O_NONBLOCK));
    return null;
  } catch (e) {
    return codeOf(e);
  }
}

export type StatusRead =
  | { ok: true }
  | { ok: false; stage: 'open' | 'read'; code: Errno }
  | { ok: false; stage: 'short' };

/**
 * One read of up to 20 bytes from supervise/status into `into` (bytes beyond
 * a short read keep their old contents, as runit's global buffer does).
 */
export function readStatusFile(into: Buffer): StatusRead {
  let fd: number;
  try {
    fd = fs.openSync('supervise/status', O_RDONLY | O_NONBLOCK);
  } catch (e) {
    return { ok: false, stage: 'open', code: codeOf(e) };
  }
  try {
    const n = fs.readSync(fd, into, 0, 20, null);
    if (n !== 20) return { ok: false, stage: 'short' };
    return { ok: true };
  } catch (e) {
    return { ok: false, stage: 'read', code: codeOf(e) };
  } finally {
    fs.closeSync(fd);
  }
}

export type ControlWrite = { ok: true } | { ok: false; stage: 'open' | 'write'; code: Errno };

/** Write the whole action string to supervise/control in one write. */
export function writeControl(acts: string): ControlWrite {
  let fd: number;
  try {
    fd = fs.openSync('supervise/control', O_WRONLY | O_NONBLOCK);
  } catch (e) {
    return { ok: false, stage: 'open', code: codeOf(e) };
  }
  try {
    const buf = Buffer.from(acts, 'latin1');
    const n = fs.writeSync(fd, buf, 0, buf.length, null);
    if (n !== buf.length) return { ok: false, stage: 'write', code: undefined };
    return { ok: true };
  } catch (e) {
    return { ok: false, stage: 'write', code: codeOf(e) };
  } finally {
    fs.closeSync(fd);
  }
}

/** stat("down"): false when it exists, true when ENOENT, else the errno. */
export function normallyUp(): boolean | { error: Errno } {
  try {
    fs.statSync('down');
    return false;
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT') return true;
    return { error: code };
  }
}
