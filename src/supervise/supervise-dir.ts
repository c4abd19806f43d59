// The supervise/ directory of one service (reference spec 2.1): the directory
// itself (or a symlink's target), supervise/lock, and the FIFOs control and ok.
import fs from 'node:fs';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { codeOf, errstrOf } from '../util/errstr.ts';

/** A start-up failure; `text` is what follows "runsv DIR: fatal: ". */
export class StartupError extends Error {
  readonly text: string;
  constructor(text: string) {
    super(text);
    this.name = 'StartupError';
    this.text = text;
  }
}

export function fatalSys(msg: string, err: unknown): StartupError {
  return new StartupError(`${msg}: ${errstrOf(err)}`);
}

const { O_WRONLY, O_RDONLY, O_NONBLOCK, O_APPEND, O_CREAT } = fs.constants;

/**
 * mkdir base/rel 0700; when that fails and rel is a symlink, create its
 * target (relative to the symlink's folder) with errors ignored.
 * `shown` is the name runit prints: "./supervise" or "./log/supervise".
 */
export function makeSuperviseDir(base: string, rel: string, shown: string): void {
  const p = path.join(base, rel);
  try {
    fs.mkdirSync(p, 0o700);
    return;
  } catch {
    // exists, or a (dangling) symlink: look below
  }
  let target: Buffer;
  try {
    target = fs.readlinkSync(p, { encoding: 'buffer' });
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENOENT' || code === 'EINVAL') return;
    throw fatalSys(`unable to readlink ${shown}`, err);
  }
  // runit reads into 256 bytes and treats a full buffer as too long
  if (target.length >= 256) throw new StartupError(`unable to readlink ${shown}: name too long`);
  try {
    // The link's target as bytes: a name that is not UTF-8 must not be mangled.
    const abs = target[0] === 0x2f ? target : Buffer.concat([Buffer.from(`${path.dirname(p)}/`), target]);
    fs.mkdirSync(abs, 0o700);
  } catch {
    // ignored, as by runit
  }
}

export function openLock(file: string, shown: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT, 0o600);
  } catch (err) {
    throw fatalSys(`unable to open ${shown}`, err);
  }
  return fd;
}

/** flock(LOCK_EX|LOCK_NB): true when locked, false when another holds it; throws on other errors. */
export function tryLock(fd: number, shown: string): boolean {
  try {
    libc.flock(fd, libc.LOCK_EX | libc.LOCK_NB);
    return true;
  } catch (err) {
    const code = codeOf(err);
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    throw fatalSys(`unable to lock ${shown}`, err);
  }
}

/** The main lock: a second runsv on the same service is fatal. */
export function lockNow(fd: number, shown: string): void {
  if (!tryLock(fd, shown)) throw new StartupError(`unable to lock ${shown}: temporary failure`);
}

/** mkfifo 0600, errors ignored (runit's fifo_make; the caller checks the result). */
export function makeFifo(file: string): void {
  try {
    libc.mkfifo(file, 0o600);
  } catch {
    // EEXIST and friends: checked by the caller
  }
}

/** Control FIFO descriptors: the read end and runsv's own writer (so it never sees EOF). */
export interface ControlFds {
  readFd: number;
  writeFd: number;
}

export function openControl(file: string, shown: string, statShown: string): ControlFds {
  makeFifo(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw fatalSys(`unable to stat ${statShown}`, err);
  }
  if (!st.isFIFO()) throw new StartupError(`${shown} exists but is not a fifo`);
  let readFd: number;
  try {
    readFd = fs.openSync(file, O_RDONLY | O_NONBLOCK);
  } catch (err) {
    throw fatalSys(`unable to open ${shown}`, err);
  }
  try {
    return { readFd, writeFd: fs.openSync(file, O_WRONLY | O_NONBLOCK) };
  } catch (err) {
    fs.closeSync(readFd);
    throw fatalSys(`unable to open ${shown}`, err);
  }
}

/** supervise/ok: the read end is held open forever so `sv` can tell runsv is alive. */
export function openOk(file: string, shown: string): number {
  makeFifo(file);
  try {
    return fs.openSync(file, O_RDONLY | O_NONBLOCK);
  } catch (err) {
    throw fatalSys(`unable to read ${shown}`, err);
  }
}
