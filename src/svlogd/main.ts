// svlogd: read fd 0, log to the directories named on the command line.
// Signals as runit: TERM finishes the current line and exits 0, HUP reopens
// the directories, ALRM rotates. EOF drops an unterminated last line.
// Every complete line read is written before exit: input is read on the
// event loop (pipe-reader.ts), never ahead in a thread that TERM cannot stop.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { scheduleTrim } from '../process/trim.ts';
import { writerOf, writerTo, type ToolContext } from '../tool.ts';
import { createLogger, lineFinisher, LoggerFatal, loggerOptions, type Logger } from './logger.ts';
import { PipeReader } from './pipe-reader.ts';
import { FATAL, INFO, WARNING, sysMessage } from './messages.ts';
import { parseOptions, type SvlogdOptions } from './options.ts';

const READ_SIZE = 1 << 16;

/** The processors' stderr and svlogd's messages, to the context's stderr. */
function stderrWriter(fd: number): (data: string | Buffer) => void {
  const err = writerTo(fd);
  return (data) => {
    if (typeof data === 'string') err(data);
    else writeBytes(fd, data);
  };
}

function writeBytes(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += fs.writeSync(fd, data, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return;
    }
  }
}

// The input, the messages and the log directories' names come from the
// context (stdin, stderr, cwd). Signals (TERM, HUP, ALRM) are the process's:
// svlogd listens while it runs and stops listening when it returns.
export async function main(ctx: ToolContext): Promise<number> {
  const writeErr = stderrWriter(ctx.stderr);
  const err = writerOf(ctx, 2);
  const parsed = parseOptions(ctx.argv0, ctx.args);
  if (!parsed.ok) {
    err(parsed.stderr);
    return 111;
  }
  const o = parsed.options;
  try {
    fs.closeSync(fs.openSync(ctx.cwd, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
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
  const listening: Array<[NodeJS.Signals, () => void]> = [];
  const listen = (sig: NodeJS.Signals, f: () => void): void => {
    process.on(sig, f);
    listening.push([sig, f]);
  };
  try {
    // Before the reaper's listener, so the message precedes the processor's results.
    if (verbose) listen('SIGCHLD', () => info('sigchild received.'));
    return await run(ctx, o, { info, err, writeErr, listen });
  } finally {
    for (const [sig, f] of listening) process.off(sig, f);
  }
}

interface Io {
  info: (text: string) => void;
  err: (text: string) => void;
  writeErr: (data: string | Buffer) => void;
  listen: (sig: NodeJS.Signals, f: () => void) => void;
}

async function run(ctx: ToolContext, o: SvlogdOptions, io: Io): Promise<number> {
  const { info, listen } = io;
  let logger: Logger;
  try {
    logger = createLogger(
      o.dirs,
      // no functional directory left: exit at once, whatever is still queued
      { ...loggerOptions(o), cwd: ctx.cwd, onFatal: (code) => libc.exitNow(code) },
      io.writeErr,
    );
  } catch (e) {
    if (e instanceof LoggerFatal) return 111;
    throw e;
  }

  let onTerm: (() => void) | undefined;
  let terminating = false;
  listen('SIGTERM', () => {
    info('sigterm received.');
    if (terminating) return;
    terminating = true;
    onTerm?.();
  });
  listen('SIGHUP', () => {
    info('sighangup received.');
    logger.reload();
  });
  listen('SIGALRM', () => {
    info('sigalarm received.');
    logger.rotate();
  });

  // runit reads -b bytes at a time; larger reads cost less and change nothing
  // in the files, so -b only raises the read size.
  const readSize = Math.max(READ_SIZE, o.buflen);
  const input: Input = {
    fd: ctx.stdin,
    err: io.err,
    logger,
    readSize,
    linemax: o.linemax,
    terminating: () => terminating,
    onTerm: (f) => {
      onTerm = f;
      if (terminating) f();
    },
  };
  if (PipeReader.supports(ctx.stdin)) await logPipe(input);
  else await logFile(input);
  await logger.end();
  return 0;
}

interface Input {
  /** the descriptor read: the context's stdin */
  fd: number;
  err: (text: string) => void;
  logger: Logger;
  readSize: number;
  linemax: number;
  terminating: () => boolean;
  /** f runs once TERM has arrived (at once if it already has) */
  onTerm: (f: () => void) => void;
}

/** A pipe or socket: read on the event loop, nothing ahead of what is processed. */
function logPipe(io: Input): Promise<void> {
  const { logger } = io;
  return new Promise((resolve) => {
    let finish: ((byte: Buffer) => boolean) | undefined;
    let done = false;
    const stop = (): void => {
      if (done) return;
      done = true;
      reader.close();
      resolve();
    };
    const reader: PipeReader = new PipeReader(io.fd, io.readSize, {
      data(chunk) {
        if (finish) {
          if (!finish(chunk)) return true;
          stop();
          return false;
        }
        if (logger.write(chunk)) return true;
        void logger.drained().then(() => {
          if (!done && !io.terminating()) reader.resume();
        });
        return false;
      },
      end: stop,
      error(e) {
        io.err(sysMessage(WARNING, 'unable to read standard input', undefined, e));
        stop();
      },
    });
    io.onTerm(() => {
      // Everything read so far is in the logger: stop reading, let it catch up.
      reader.pause();
      void logger.settled().then(() => {
        finish = lineFinisher(logger, io.linemax);
        if (!finish) return stop();
        reader.readByteWise();
        reader.resume();
      });
    });
  });
}

/**
 * Anything else (a file, /dev/null, a terminal): synchronous reads, with a
 * turn of the event loop between them for signals.
 */
async function logFile(io: Input): Promise<void> {
  const { logger } = io;
  try {
    libc.setNonblock(io.fd, false);
  } catch {
    // not fatal: EAGAIN is retried below
  }
  let finish: ((byte: Buffer) => boolean) | undefined;
  for (;;) {
    if (io.terminating() && !finish) {
      await logger.settled();
      finish = lineFinisher(logger, io.linemax);
      if (!finish) return;
    }
    const buf = Buffer.allocUnsafe(finish ? 1 : io.readSize);
    let n: number;
    try {
      n = fs.readSync(io.fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') {
        await new Promise((res) => setTimeout(res, 20));
        continue;
      }
      io.err(sysMessage(WARNING, 'unable to read standard input', undefined, e));
      return;
    }
    if (n === 0) return;
    const chunk = buf.subarray(0, n);
    if (finish) {
      if (finish(chunk)) return;
      continue;
    }
    if (!logger.write(chunk)) await logger.drained();
    await new Promise((res) => setImmediate(res));
  }
}
