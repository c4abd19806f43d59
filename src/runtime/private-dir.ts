// The one check of tsinit's runtime directory (TSINIT_RUN_DIR): a real
// directory, owned by our effective uid, closed to group and others. As root
// tsinit never works in a directory an unprivileged user controls, and never
// follows a link to one.
import fs from 'node:fs';
import path from 'node:path';
import { errstrOf } from '../util/errstr.ts';

/** The uid files are created with (the effective one). */
export function ownUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** Is `dir` ours alone? An error text or null. */
export function checkPrivateDir(dir: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    return `unable to stat ${dir}: ${errstrOf(e)}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== ownUid()) return `${dir} is owned by uid ${st.uid}, not by uid ${ownUid()}`;
  if ((st.mode & 0o022) !== 0) return `${dir} is writable by group or others`;
  return null;
}

/** Create `dir` (mode 0700, parents 0755) if needed, then check it. An error text or null. */
export function ensurePrivateDir(dir: string): string | null {
  try {
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return `unable to create ${dir}: ${errstrOf(e)}`;
  }
  return checkPrivateDir(dir);
}

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const MAX_FILE_BYTES = 4096;

/** Create `file` exclusively (never through a link) with `text`; throws. */
export function writeExclusive(file: string, text: string): void {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** The text of a regular file of ours (not a link, at most 4 KiB); null otherwise. */
export function readOwned(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== ownUid()) return null;
    const buf = Buffer.alloc(MAX_FILE_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
