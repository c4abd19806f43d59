// The system calls sv makes on a service directory (reference spec 2.2, 4.2,
// 4.4, 4.6): entering it, probing supervise/ok, reading supervise/status,
// writing supervise/control, testing ./down. Each returns its failure as a
// value carrying the errno name.
//
// runit chdirs into each service; this names files under the service's path
// instead, so sv leaves its caller's directory alone (it may run inside
// another process). Paths are joined, never normalised: the kernel resolves
// "..", symlinks and trailing slashes as it did after runit's chdir.
import fs from 'node:fs';
import { codeOf } from '../util/errstr.ts';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;

/** An errno name such as 'ENOENT' (undefined if the error carried none). */
export type Errno = string | undefined;

/** A directory path: a string, or bytes for a name that is not UTF-8. */
export type Dir = string | Buffer;

/** name as chdir(name) would take it from dir: absolute names as they are, "" as "" (ENOENT). */
export function under(dir: Dir, name: Dir): Dir {
  if (name.length === 0) return name;
  if (typeof name === 'string' ? name.startsWith('/') : name[0] === 0x2f) return name;
  if (typeof dir === 'string' && typeof name === 'string') return `${dir}/${name}`;
  return Buffer.concat([Buffer.from(dir), Buffer.from('/'), Buffer.from(name)]);
}

/**
 * runit's open_read("."): sv gives up at once when its directory cannot be
 * opened for reading.
 */
export function probeCurrentDir(cwd: string): Errno | null {
  try {
    fs.closeSync(fs.openSync(cwd, O_RDONLY | O_NONBLOCK));
    return null;
  } catch (e) {
    return codeOf(e);
  }
}

/** What chdir(dir) would refuse, as its errno (ENOENT, ENOTDIR, EACCES, ELOOP...); null when it would succeed. */
export function enterable(dir: Dir): Errno | null {
  try {
    if (!fs.statSync(dir).isDirectory()) return 'ENOTDIR';
    fs.accessSync(dir, fs.constants.X_OK);
    return null;
  } catch (e) {
    return codeOf(e);
  }
}

/** Arguments whose bytes are not UTF-8: their display string -> the bytes (see util/raw-argv.ts). */
let rawByName: ReadonlyMap<string, Buffer> = new Map();

export function setRawNames(m: ReadonlyMap<string, Buffer>): void {
  rawByName = m;
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

/**
 * The service's directory as runit's chdir(svdir), chdir(name) from cwd
 * reaches it; the errno of the failing chdir otherwise.
 */
export function enterService(cwd: string, name: string, svdir: string, forSending: boolean): { dir: Dir } | { error: Errno } {
  let base: Dir = cwd;
  if (inServiceDir(name, forSending)) {
    base = under(cwd, svdir);
    const e = enterable(base);
    if (e !== null) return { error: e };
  }
  const dir = under(base, rawByName.get(name) ?? name);
  const e = enterable(dir);
  return e !== null ? { error: e } : { dir };
}

/** Open supervise/ok for writing without blocking: ENXIO means no runsv. */
export function probeOk(dir: Dir): Errno | null {
  try {
    fs.closeSync(fs.openSync(under(dir, 'supervise/ok'), O_WRONLY | O_NONBLOCK));
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
export function readStatusFile(dir: Dir, into: Buffer): StatusRead {
  let fd: number;
  try {
    fd = fs.openSync(under(dir, 'supervise/status'), O_RDONLY | O_NONBLOCK);
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
export function writeControl(dir: Dir, acts: string): ControlWrite {
  let fd: number;
  try {
    fd = fs.openSync(under(dir, 'supervise/control'), O_WRONLY | O_NONBLOCK);
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
export function normallyUp(dir: Dir): boolean | { error: Errno } {
  try {
    fs.statSync(under(dir, 'down'));
    return false;
  } catch (e) {
    const code = codeOf(e);
    if (code === 'ENOENT') return true;
    return { error: code };
  }
}
