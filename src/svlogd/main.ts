// svlogd: read fd 0, log to the directories named on the command line.
// Signals as runit: TERM finishes the current line and exits 0, HUP reopens
// the directories, ALRM rotates. EOF drops an unterminated last line.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { scheduleTrim } from '../process/trim.ts';
import type { ToolContext } from '../tool.ts';
import { err } from '../util/output.ts';
import { createLogger, LoggerFatal, loggerOptions, type Logger } from './logger.ts';
import { FATAL, INFO, WARNING, sysMessage } from './messages.ts';
import { parseOptions } from './options.ts';

const READ_SIZE = 1 << 16;

function writeErr(data: string | Buffer): void {
  if (typeof data === 'string') {
    err(data);
    return;
  }
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(2, data, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return;
    }
  }
}

/**
 * Where a short line in progress ends in `chunk` (after its newline, or after
 * `room` more bytes: runit stops a line at len bytes); -1 when not in it.
 * Bytes of a line cut at len up to its newline go with it.
 */
function shortLineEnd(chunk: Buffer, room: number): number {
  const nl = chunk.indexOf(10);
  if (nl >= 0 && nl < room) return nl + 1;
  if (chunk.length < room) return -1;
  return nl >= 0 ? nl + 1 : chunk.length;
}

function readSome(buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(0, buf, 0, buf.length, null, (e, n) => (e ? reject(e) : resolve(n)));
  });
}

export async function main(ctx: ToolContext): Promise<number> {
  const parsed = parseOptions(ctx.argv0, ctx.args);
  if (!parsed.ok) {
    err(parsed.stderr);
    return 111;
  }
  const o = parsed.options;
  try {
    fs.closeSync(fs.openSync('.', fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  } catch (e) {
    err(sysMessage(FATAL, 'unable to open current working directory', undefined, e));
    return 111;
  }
  // A long-lived process: give back the start-up pages (process/trim.ts).
  scheduleTrim();
  const verbose = o.verbose > 0;
  const info = (text: string): void => {
    if (verbose) err(`${INFO}${text}\n`);
  };
  // Before the reaper's listener, so the message precedes the processor's results.
  if (verbose) process.on('SIGCHLD', () => info('sigchild received.'));

  let logger: Logger;
  try {
    logger = createLogger(
      o.dirs,
      // exit() would wait for the thread blocked in read(2) on fd 0
      { ...loggerOptions(o), onFatal: (code) => libc.exitNow(code) },
      writeErr,
    );
  } catch (e) {
    if (e instanceof LoggerFatal) return 111;
    throw e;
  }

  let terminating = false;
  let wakeTerm: (() => void) | undefined;
  const termSeen = new Promise<'term'>((resolve) => {
    wakeTerm = () => resolve('term');
  });
  process.on('SIGTERM', () => {
    info('sigterm received.');
    terminating = true;
    wakeTerm?.();
  });
  process.on('SIGHUP', () => {
    info('sighangup received.');
    logger.reload();
  });
  process.on('SIGALRM', () => {
    info('sigalarm received.');
    logger.rotate();
  });

  // The reads run in libuv's thread pool and need a blocking descriptor.
  try {
    libc.setNonblock(0, false);
  } catch {
    // not fatal: EAGAIN is retried below
  }

  // runit reads -b bytes at a time; larger reads cost less and change nothing
  // in the files, so -b only raises the read size.
  const readSize = Math.max(READ_SIZE, o.buflen);
  let pendingRead: Promise<number> | undefined;
  let pendingBuf: Buffer | undefined;
  let readStillPending = false;
  for (;;) {
    if (terminating) {
      await logger.settled();
      if (logger.lineInProgress().kind === 'none') {
        readStillPending = pendingRead !== undefined;
        break;
      }
    }
    if (!pendingRead) {
      // After TERM an unfinished line is read one byte at a time, as runit does.
      pendingBuf = Buffer.allocUnsafe(terminating ? 1 : readSize);
      pendingRead = readSome(pendingBuf);
    }
    let r: number | 'term';
    try {
      r = terminating ? await pendingRead : await Promise.race([pendingRead, termSeen]);
    } catch (e) {
      pendingRead = undefined;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') {
        await new Promise((res) => setTimeout(res, 20));
        continue;
      }
      err(sysMessage(WARNING, 'unable to read standard input', undefined, e));
      break;
    }
    if (r === 'term') continue;
    pendingRead = undefined;
    if (r === 0) break;
    const chunk = (pendingBuf as Buffer).subarray(0, r);
    if (terminating) {
      await logger.settled();
      const line = logger.lineInProgress();
      if (line.kind === 'short') {
        const cut = shortLineEnd(chunk, o.linemax - line.length);
        if (cut < 0) {
          logger.write(chunk);
          continue;
        }
        // runit drops the short line that a TERM makes it finish (its loop
        // stops once the 1-byte read buffer is empty). It would leave any
        // later bytes in the pipe; they were read here already, so they are
        // logged rather than lost.
        logger.discardLine();
        if (cut < chunk.length) logger.write(chunk.subarray(cut));
        break;
      }
    }
    if (!logger.write(chunk)) await logger.drained();
  }
  await logger.end();
  // exit() would wait for the thread blocked in read(2) on fd 0
  if (readStillPending) libc.exitNow(0);
  return 0;
}
