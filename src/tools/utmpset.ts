// utmpset [-w] line: mark a terminal line logged out in /var/run/utmp (and
// with -w append a logout record to /var/log/wtmp), as runit 2.1.2 does for
// getty services' finish scripts.
import fs from 'node:fs';
import { flock, LOCK_EX, O_NONBLOCK } from '../../native/libc.ts';
import { getopt, newGetopt } from '../util/getopt.ts';
import { writerOf, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { loggedOut, matches, UTMP_SIZE, wtmpRecord } from './utmp-record.ts';

const UTMP = '/var/run/utmp';
const WTMP = '/var/log/wtmp';
const ID = '$Id: cb399098f794012a7f5e6a3a7090b2d53b86c08c $';
const FATAL = 'utmpset: fatal: ';
const WARNING = 'utmpset: warning: ';

class Exit extends Error {
  readonly code: number;
  constructor(text: string, code: number) {
    super(text);
    this.code = code;
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** true if a record was logged out. */
function utmpLogout(line: Buffer): boolean {
  let fd: number;
  try {
    fd = fs.openSync(UTMP, fs.constants.O_RDWR);
  } catch (e) {
    throw new Exit(`${FATAL}unable to open ${UTMP}: ${errstrOf(e)}\n`, 111);
  }
  try {
    try {
      flock(fd, LOCK_EX);
    } catch (e) {
      throw new Exit(`${FATAL}unable to lock: ${UTMP}: ${errstrOf(e)}\n`, 111);
    }
    const rec = Buffer.alloc(UTMP_SIZE);
    let pos = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, rec, 0, UTMP_SIZE, pos);
      } catch {
        return false;
      }
      if (n !== UTMP_SIZE) return false;
      if (matches(rec, line)) {
        try {
          return fs.writeSync(fd, loggedOut(rec, now()), 0, UTMP_SIZE, pos) === UTMP_SIZE;
        } catch {
          return false;
        }
      }
      pos += UTMP_SIZE;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** undefined on success, else the error text. */
function wtmpLogout(line: Buffer): string | undefined {
  let fd: number;
  try {
    const c = fs.constants;
    fd = fs.openSync(WTMP, c.O_WRONLY | O_NONBLOCK | c.O_APPEND | c.O_CREAT, 0o600);
  } catch (e) {
    throw new Exit(`${FATAL}unable to open ${WTMP}: ${errstrOf(e)}\n`, 111);
  }
  try {
    try {
      flock(fd, LOCK_EX);
    } catch (e) {
      throw new Exit(`${FATAL}unable to lock ${WTMP}: ${errstrOf(e)}\n`, 111);
    }
    let size: number;
    try {
      size = fs.fstatSync(fd).size;
    } catch (e) {
      return errstrOf(e);
    }
    try {
      if (fs.writeSync(fd, wtmpRecord(line, now())) === UTMP_SIZE) return undefined;
      fs.ftruncateSync(fd, size);
      return 'no error';
    } catch (e) {
      try { fs.ftruncateSync(fd, size); } catch { /* as runit: best effort */ }
      return errstrOf(e);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function main(ctx: ToolContext): number {
  const err = writerOf(ctx, 2);
  // argv[0] exactly as invoked (a full path stays a full path), as runit prints it
  const progname = ctx.argv0;
  const usage = `usage: ${progname} [-w] line\n\n`;
  const argv = [progname, ...ctx.args];
  const st = newGetopt();
  let wtmp = false;
  for (;;) {
    const r = getopt(st, argv, 'wV', ctx.argv0);
    if (r.done) break;
    if ('problem' in r) {
      err(r.message + usage);
      return 1;
    }
    if (r.opt === 'w') wtmp = true;
    if (r.opt === 'V') {
      err(`${ID}\n${usage}`);
      return 1;
    }
  }
  const lineArg = argv[st.optind];
  if (lineArg === undefined) {
    err(usage);
    return 1;
  }
  const line = Buffer.from(lineArg);
  try {
    if (!utmpLogout(line)) throw new Exit(`${WARNING}unable to logout line ${lineArg} in utmp: no such entry\n`, 111);
    if (wtmp) {
      const problem = wtmpLogout(line);
      if (problem !== undefined) throw new Exit(`${WARNING}unable to logout line ${lineArg} in wtmp: ${problem}\n`, 111);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    err(e.message);
    return e.code;
  }
}
