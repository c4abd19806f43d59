// One run of svlogd over one input descriptor: the logger, the reader, and
// what each signal does. svlogd in its own process (svlogd/main.ts), svlogd
// served to a client inside PID 1 (the same main, through its context), and
// a log/run's svlogd run inside runsv (supervise/inprocess-log.ts) are this
// one object; they differ only in where signals come from and what ending means.
//
// Signals, as svlogd takes them:
//   TERM  stop reading; a line in progress is read to its end, one byte at a
//         time: a long one written, a short one dropped (as Debian's svlogd); exit 0
//   HUP   re-read config and reopen the directories        ALRM  rotate
//   STOP  stop reading (the pipe fills, writers block)     CONT  read again
//   EOF   (every writer closed) the unterminated last line is dropped; exit 0
//   KILL and any other deadly signal (inside another process, where no
//   signal can kill svlogd alone): stop as TERM does, so nothing read is
//   lost, read nothing more, and report death by that signal.
import fs from 'node:fs';
import os from 'node:os';
import { createLogger, lineFinisher, loggerOptions, LoggerFatal, type Logger } from './logger.ts';
import type { Report } from './messages.ts';
import { INFO } from './messages.ts';
import type { SvlogdOptions } from './options.ts';
import type { Owner } from './owner-access.ts';
import { FileReader } from './file-reader.ts';
import { PipeReader, TurnPool } from './pipe-reader.ts';

const READ_SIZE = 1 << 16;
/**
 * Bytes all loggers inside one process (PID 1's in-process loggers and the
 * svlogd calls it serves) together read (and so split and write) per
 * event-loop turn before the loop's other I/O runs: one pool for them all
 * (one read's worth), so a turn stays under a ms or so however many are
 * flooded (a budget per logger let 10 flooded loggers do 10 budgets' work per
 * turn), and a /readyz waits at most about one turn (docs/design.md). An
 * svlogd in its own process has the same budget to itself.
 */
export const TURN_BYTES = 1 << 16;
const LOG_TURNS = new TurnPool(TURN_BYTES);

/** What an input descriptor is, for reading it without blocking the event loop. */
export type InputKind = 'pipe' | 'file' | 'other';

/** pipe or socket: read on the loop; file: reads never wait; other (a terminal, a device): reads may wait. */
export function inputKind(fd: number): InputKind {
  if (PipeReader.supports(fd)) return 'pipe';
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() || st.isDirectory()) return 'file';
    // /dev/null, /dev/zero: never wait (1:3, 1:5)
    if (st.isCharacterDevice() && (st.rdev === 0x103 || st.rdev === 0x105)) return 'file';
  } catch {
    // a closed descriptor: the first read reports it
    return 'file';
  }
  return 'other';
}

export interface LogSessionOptions {
  /** the input; stays open (the caller's) */
  fd: number;
  /** svlogd's working directory: relative log directory names are taken from here */
  cwd: string;
  options: SvlogdOptions;
  /** acting for this account (`chpst -u USER svlogd`, or a non-root client): owner-access.ts's rules */
  owner?: Owner;
  /**
   * Inside another process (the supervisor, PID 1): never block it - no 3 s
   * retry loop, a bounded read size, only inputs whose reads cannot wait.
   */
  inprocess: boolean;
  /** svlogd's messages and the `e`-rule copies of lines: its stderr */
  report: Report;
  /** the logger could not start for another reason than its directories, or the input could not be read (the message is the caller's: runsv's or svlogd's) */
  failed: (what: 'start' | 'read', e: Error) => void;
  /** descriptor for the processors' stderr (default: this process's own; -1: closed) */
  processorStderr?: number;
  /** the wait status after a read error (default 0: svlogd ends as at EOF) */
  readErrorStatus?: number;
  /** called once, with a wait status (0 = exit 0; 111 << 8; or a signal number) */
  onExit: (wstat: number) => void;
}

/** The reader of the input: PipeReader or FileReader. */
interface Reader {
  pause(): void;
  resume(): void;
  readByteWise(): void;
  close(): void;
}

export class LogSession {
  private readonly o: LogSessionOptions;
  private logger: Logger | undefined;
  private reader: Reader | undefined;
  /** after TERM: consumes the 1-byte reads up to the end of the line in progress */
  private finishLine: ((byte: Buffer) => boolean) | undefined;
  /** EOF or a deadly signal while stopping: exit with this status, finish no line */
  private abortWith: number | undefined;
  private exited = false;
  private stopping = false;
  private paused = false;

  constructor(o: LogSessionOptions) {
    this.o = o;
  }

  /**
   * Open the log directories and start reading. Failures end in
   * onExit(111 << 8), after this returned.
   */
  start(): void {
    const { options } = this.o;
    try {
      this.logger = createLogger(
        options.dirs,
        {
          ...loggerOptions(options),
          cwd: this.o.cwd,
          ...(this.o.inprocess ? { inprocess: true } : {}),
          ...(this.o.owner ? { owner: this.o.owner } : {}),
          ...(this.o.processorStderr !== undefined ? { processorStderr: this.o.processorStderr } : {}),
          // no functional directory left: end now, whatever is still queued
          onFatal: (code) => this.finish(code << 8),
        },
        this.o.report,
      );
    } catch (e) {
      if (!(e instanceof LoggerFatal)) this.o.failed('start', e instanceof Error ? e : new Error(String(e)));
      this.exitSoon(111 << 8);
      return;
    }
    const sink = {
      data: (chunk: Buffer) => this.feed(chunk),
      end: () => void this.stop(0, 'now'),
      error: (e: Error) => {
        this.o.failed('read', e);
        void this.stop(this.o.readErrorStatus ?? 0, 'now');
      },
    };
    // runit reads -b bytes at a time; larger reads cost less and change
    // nothing in the files, so -b only raises the read size (inside another
    // process it stays bounded: every logger holds one read buffer).
    const readSize = this.o.inprocess ? READ_SIZE : Math.max(READ_SIZE, options.buflen);
    const budget = { bytes: TURN_BYTES };
    try {
      const kind = inputKind(this.o.fd);
      if (kind === 'pipe') this.reader = new PipeReader(this.o.fd, readSize, sink, this.o.inprocess ? LOG_TURNS : budget);
      else if (kind === 'file' || !this.o.inprocess) this.reader = new FileReader(this.o.fd, readSize, sink, budget, !this.o.inprocess);
      else {
        const e: NodeJS.ErrnoException = new Error('not a pipe, socket or file');
        e.code = 'ESPIPE';
        throw e;
      }
    } catch (e) {
      this.o.failed('read', e instanceof Error ? e : new Error(String(e)));
      void this.logger.end().then(() => this.exitSoon(111 << 8));
    }
  }

  /** Bytes read; false pauses the reader. */
  private feed(chunk: Buffer): boolean {
    const logger = this.logger;
    if (!logger) return false;
    if (this.finishLine) {
      if (!this.finishLine(chunk)) return true;
      this.finishLine = undefined;
      void this.close(0);
      return false;
    }
    if (this.stopping) return false;
    if (logger.write(chunk)) return true;
    // Backpressure: the pipe fills and the writer blocks, as with svlogd.
    void logger.drained().then(() => {
      if (!this.paused && !this.stopping) this.reader?.resume();
    });
    return false;
  }

  private info(text: string): void {
    if (this.o.options.verbose > 0) this.o.report(`${INFO}${text}\n`);
  }

  /** A signal sent to svlogd (by name: TERM, HUP, ALRM, STOP, CONT, KILL...). */
  signal(name: string): void {
    if (this.exited) return;
    switch (name) {
      case 'TERM':
        this.info('sigterm received.');
        void this.stop(0, 'term');
        return;
      case 'HUP':
        this.info('sighangup received.');
        this.logger?.reload();
        return;
      case 'ALRM':
        this.info('sigalarm received.');
        this.logger?.rotate();
        return;
      case 'STOP':
        this.paused = true;
        this.reader?.pause();
        return;
      case 'CONT':
        this.paused = false;
        if (!this.stopping || this.finishLine) this.reader?.resume();
        return;
      default: {
        const num = os.constants.signals[`SIG${name}` as NodeJS.Signals];
        void this.stop(num ?? 9, 'now');
      }
    }
  }

  /**
   * Stop reading; what was read is logged. TERM with a line in progress reads
   * on, one byte at a time, to that line's end (as svlogd does), so the next
   * logger starts at a line boundary: a long line is written to its end, a
   * short one dropped. EOF and deadly signals stop at once, also while a line
   * is being finished.
   */
  private async stop(wstat: number, how: 'term' | 'now'): Promise<void> {
    if (how === 'now' && this.stopping) {
      // a line being finished (or about to be) is given up
      this.abortWith ??= wstat;
      // killed while closing: stop waiting for processors
      if ((wstat & 0x7f) !== 0) void this.logger?.end(true);
      if (this.finishLine) {
        this.finishLine = undefined;
        void this.close(wstat);
      }
      return;
    }
    if (this.stopping) return;
    this.stopping = true;
    // Everything read so far is already in the logger (reads are delivered at once).
    this.reader?.pause();
    const logger = this.logger;
    if (logger && how === 'term' && this.reader) {
      await logger.settled();
      const finish = this.abortWith === undefined ? lineFinisher(logger, this.o.options.linemax) : undefined;
      if (finish && !this.exited) {
        this.finishLine = finish;
        this.reader.readByteWise();
        if (!this.paused) this.reader.resume();
        return;
      }
    }
    await this.close(this.abortWith ?? wstat);
  }

  private async close(wstat: number): Promise<void> {
    this.reader?.close();
    // killed: no waiting for a processor (one that keeps failing would be waited for forever)
    if (this.logger) await this.logger.end((wstat & 0x7f) !== 0);
    this.finish(wstat);
  }

  private exitSoon(wstat: number): void {
    setImmediate(() => this.finish(wstat));
  }

  private finish(wstat: number): void {
    if (this.exited) return;
    this.exited = true;
    this.stopping = true;
    this.finishLine = undefined;
    this.reader?.close();
    this.o.onExit(wstat);
  }
}
