// A log service's svlogd run inside the supervisor process: it reads the
// service's log pipe and writes the very files svlogd would (src/svlogd is
// the same code the svlogd tool runs). To runsv it looks like a process: it
// is started, receives signals, and exits with a wait status.
//
// Signals, as svlogd would take them:
//   TERM  stop reading; a line in progress is read to its end, one byte at a
//         time: a long one written, a short one dropped (as Debian's svlogd); exit 0
//   HUP   re-read config and reopen the directories        ALRM  rotate
//   STOP  stop reading (the pipe fills, writers block)     CONT  read again
//   EOF   (every writer closed) the unterminated last line is dropped; exit 0
//   KILL and any other deadly signal: stop as TERM does, so nothing read is
//   lost, and report death by that signal.
import os from 'node:os';
import { extendedIds, filesDb } from '../chpst/ids.ts';
import { createLogger, lineFinisher, loggerOptions, LoggerFatal, type Logger } from '../svlogd/logger.ts';
import type { Owner } from '../svlogd/owner-access.ts';
import { PipeReader, TurnPool } from '../svlogd/pipe-reader.ts';
import { parseOptions } from '../svlogd/options.ts';
import { err, out } from '../util/output.ts';
import type { InprocessLogPlan } from './log-run.ts';

const READ_SIZE = 1 << 16;
/**
 * Bytes all in-process loggers together read (and so split and write) per
 * event-loop turn before the loop's other I/O runs: one pool for them all (one
 * read's worth), so a turn stays under a ms or so however many are flooded (a
 * budget per logger let 10 flooded loggers do 10 budgets' work per turn), and
 * a /readyz waits at most about one turn (docs/design.md).
 */
const TURN_BYTES = 1 << 16;
const LOG_TURNS = new TurnPool(TURN_BYTES);

export interface InprocessLogOptions {
  /** the log pipe's read end; stays open (it belongs to runsv) */
  readFd: number;
  /** the service's log/ folder: svlogd's working directory */
  cwd: string;
  plan: InprocessLogPlan;
  /** called once, with a wait status (0 = exit 0; 111 << 8; or a signal number) */
  onExit: (wstat: number) => void;
  /** runsv-style warnings (e.g. an unknown chpst account) */
  warn: (msg: string) => void;
}

/** The account `chpst -u SPEC` would run as; undefined when SPEC names no account. */
export function ownerOf(spec: string): Owner | undefined {
  try {
    const ids = extendedIds(filesDb, spec);
    return ids ? { uid: ids.uid, gid: ids.gids[0] ?? ids.uid, gids: ids.gids } : undefined;
  } catch {
    return undefined; // unreadable /etc/passwd or /etc/group
  }
}

export class InprocessLog {
  private readonly o: InprocessLogOptions;
  private logger: Logger | undefined;
  private reader: PipeReader | undefined;
  /** after TERM: consumes the 1-byte reads up to the end of the line in progress */
  private finishLine: ((byte: Buffer) => boolean) | undefined;
  private linemax = 1000;
  /** EOF or a deadly signal while stopping: exit with this status, finish no line */
  private abortWith: number | undefined;
  private exited = false;
  private stopping = false;
  private paused = false;

  constructor(o: InprocessLogOptions) {
    this.o = o;
  }

  /** Open the log directories and start reading. Failures end in onExit(111 << 8). */
  start(): void {
    const { plan } = this.o;
    const report = plan.stderrToStdout ? (t: string | Buffer) => out(t.toString()) : (t: string | Buffer) => err(t.toString());
    const parsed = parseOptions('svlogd', plan.args);
    if (!parsed.ok) {
      report(parsed.stderr);
      this.exitSoon(111 << 8);
      return;
    }
    let owner: Owner | undefined;
    if (plan.user !== undefined) {
      owner = ownerOf(plan.user);
      if (!owner) {
        err(`chpst: fatal: unknown user/group: ${plan.user}\n`);
        this.exitSoon(111 << 8);
        return;
      }
    }
    this.linemax = parsed.options.linemax;
    try {
      this.logger = createLogger(parsed.options.dirs, {
        ...loggerOptions(parsed.options),
        cwd: this.o.cwd,
        inprocess: true,
        ...(owner ? { owner } : {}),
        onFatal: (code) => this.finish(code << 8),
      }, report);
    } catch (e) {
      if (!(e instanceof LoggerFatal)) this.o.warn(`unable to start the in-process svlogd: ${String(e)}`);
      this.exitSoon(111 << 8);
      return;
    }
    try {
      this.reader = new PipeReader(this.o.readFd, READ_SIZE, {
        data: (chunk) => this.feed(chunk),
        end: () => void this.stop(0, 'now'),
        error: (e) => {
          this.o.warn(`unable to read the log pipe: ${e.message}`);
          void this.stop(111 << 8, 'now');
        },
      }, LOG_TURNS);
    } catch (e) {
      this.o.warn(`unable to read the log pipe: ${String(e)}`);
      void this.logger.end().then(() => this.exitSoon(111 << 8));
      return;
    }
  }

  /** Bytes read from the pipe; false pauses the reader. */
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
    // Backpressure: the pipe fills and the service blocks, as with svlogd.
    void logger.drained().then(() => {
      if (!this.paused && !this.stopping) this.reader?.resume();
    });
    return false;
  }

  /** A signal runsv would send to the svlogd process. */
  signal(name: string): void {
    if (this.exited) return;
    switch (name) {
      case 'TERM':
        void this.stop(0, 'term');
        return;
      case 'HUP':
        this.logger?.reload();
        return;
      case 'ALRM':
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
      const finish = this.abortWith === undefined ? lineFinisher(logger, this.linemax) : undefined;
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
