// How `tsinit halt [CODE]` reaches the running tsinit (PID 1) from another
// process: a request file in a root-only directory, then SIGCONT, as
// `runit-init 0` signals through /run/runit.stopit. The directory is
// TSINIT_RUN_DIR (default /run/tsinit): created mode 0700 by PID 1 at
// boot (or by the first halt), and used only when it is a real directory
// owned by us and closed to everyone else. Files in it are created
// exclusively and never followed through a link.
import fs from 'node:fs';
import path from 'node:path';
import { errstrOf } from '../util/errstr.ts';

export const DEFAULT_CONTROL_DIR = '/run/tsinit';
export const HALT_FILE = 'halt';
export const PID_FILE = 'pid';
const MAX_REQUEST_BYTES = 4096;

export interface HaltRequest {
  /** the exit code asked for; null: shut down, keep whatever code is set */
  code: number | null;
  /** who asked, for the log */
  by: string;
}

export function controlDirOf(env: NodeJS.ProcessEnv): string {
  // One runtime directory for tsinit (the events socket lives there too).
  return env.TSINIT_RUN_DIR || DEFAULT_CONTROL_DIR;
}

const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

function uid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** Create the directory if needed and check it is ours alone; an error text or null. */
export function ensureControlDir(dir: string): string | null {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return `unable to create ${dir}: ${errstrOf(e)}`;
  }
  return checkControlDir(dir);
}

export function checkControlDir(dir: string): string | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    return `unable to stat ${dir}: ${errstrOf(e)}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid()) return `${dir} is not owned by uid ${uid()}`;
  if ((st.mode & 0o022) !== 0) return `${dir} is writable by others`;
  return null;
}

function writeExclusive(file: string, text: string): void {
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

function readOwned(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== uid()) return null;
    const buf = Buffer.alloc(MAX_REQUEST_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** PID 1 at boot: the directory, and our pid for `tsinit halt` to signal. Error text or null. */
export function prepareControlDir(dir: string, pid: number): string | null {
  const bad = ensureControlDir(dir);
  if (bad) return bad;
  const file = path.join(dir, PID_FILE);
  try {
    fs.rmSync(file, { force: true });
    writeExclusive(file, `${pid}\n`);
  } catch (e) {
    return `unable to write ${file}: ${errstrOf(e)}`;
  }
  return null;
}

/** The pid `tsinit halt` signals: the one PID 1 wrote, else 1. */
export function initPid(dir: string): number {
  if (checkControlDir(dir) !== null) return 1;
  const text = readOwned(path.join(dir, PID_FILE));
  const n = text === null ? NaN : Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export type WriteResult = 'written' | 'pending' | { error: string };

/**
 * Leave a halt request for PID 1. 'pending': an earlier request is not taken
 * yet (its code wins: the first code set wins).
 */
export function writeHaltRequest(dir: string, req: HaltRequest): WriteResult {
  const bad = ensureControlDir(dir);
  if (bad) return { error: bad };
  try {
    writeExclusive(path.join(dir, HALT_FILE), `${JSON.stringify(req)}\n`);
    return 'written';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'pending';
    return { error: `unable to write ${path.join(dir, HALT_FILE)}: ${errstrOf(e)}` };
  }
}

/** PID 1 on SIGCONT: take (read and remove) a pending halt request, if any. */
export function takeHaltRequest(dir: string): HaltRequest | null {
  if (checkControlDir(dir) !== null) return null;
  const file = path.join(dir, HALT_FILE);
  const text = readOwned(file);
  if (text === null) return null;
  try {
    fs.unlinkSync(file);
  } catch {
    // taken by someone else meanwhile: still honoured once here
  }
  return parseHaltRequest(text);
}

export function parseHaltRequest(text: string): HaltRequest {
  try {
    const v = JSON.parse(text) as { code?: unknown; by?: unknown };
    const code = typeof v.code === 'number' && Number.isInteger(v.code) && v.code >= 0 && v.code <= 255 ? v.code : null;
    const by = typeof v.by === 'string' ? v.by.slice(0, 512) : 'tsinit halt';
    return { code, by };
  } catch {
    return { code: null, by: 'tsinit halt (unreadable request)' };
  }
}

/** PID 1's side of the channel, injectable for tests. */
export interface HaltChannel {
  /** at boot: the directory and the pid file; an error text or null */
  prepare(pid: number): string | null;
  /** on SIGCONT: a pending request, taken */
  take(): HaltRequest | null;
}

export function realHaltChannel(dir: string): HaltChannel {
  return {
    prepare: (pid) => prepareControlDir(dir, pid),
    take: () => takeHaltRequest(dir),
  };
}

/**
 * From another process (tsinit halt, a runsvdir started by /etc/runit/2):
 * leave the request and wake the init. With onlyUnderTsinit, nothing is
 * done unless a tsinit init announced itself (its pid file exists).
 */
export function sendHalt(dir: string, req: HaltRequest, onlyUnderTsinit = false): { written: WriteResult; pid: number } | { error: string } {
  if (onlyUnderTsinit && (checkControlDir(dir) !== null || readOwned(path.join(dir, PID_FILE)) === null)) {
    return { error: `no tsinit init announced in ${dir}` };
  }
  const written = writeHaltRequest(dir, req);
  if (typeof written === 'object') return written;
  const pid = initPid(dir);
  try {
    process.kill(pid, 'SIGCONT');
  } catch (e) {
    return { error: `unable to signal process ${pid}: ${errstrOf(e)}` };
  }
  return { written, pid };
}
