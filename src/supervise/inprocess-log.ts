// A log service's svlogd run inside the supervisor process: it reads the
// service's log pipe and writes the very files svlogd would (src/svlogd is
// the same code the svlogd tool runs). To runsv it looks like a process: it
// is started, receives signals, and exits with a wait status.
//
// Signals, as svlogd would take them:
//   TERM  stop reading, drop a short unfinished line (as Debian's svlogd), close, exit 0
//   HUP   re-read config and reopen the directories        ALRM  rotate
//   STOP  stop reading (the pipe fills, writers block)     CONT  read again
//   KILL and any other deadly signal: stop as TERM does, so nothing read is
//   lost, and report death by that signal.
import net from 'node:net';
import os from 'node:os';
import * as libc from '../../native/libc.ts';
import { extendedIds, filesDb } from '../chpst/ids.ts';
import { createLogger, loggerOptions, LoggerFatal, type Logger } from '../svlogd/logger.ts';
import { parseOptions } from '../svlogd/options.ts';
import { err, out } from '../util/output.ts';
import type { InprocessLogPlan } from './log-run.ts';

const F_DUPFD_CLOEXEC = 1030;

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

/** Owner of created files for `chpst -u SPEC`; undefined when SPEC names no account. */
export function ownerOf(spec: string): { uid: number; gid: number } | undefined {
  try {
    const ids = extendedIds(filesDb, spec);
    return ids ? { uid: ids.uid, gid: ids.gids[0] ?? ids.uid } : undefined;
  } catch {
    return undefined; // unreadable /etc/passwd or /etc/group
  }
}

export class InprocessLog {
  private readonly o: InprocessLogOptions;
  private logger: Logger | undefined;
  private socket: net.Socket | undefined;
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
    let owner: { uid: number; gid: number } | undefined;
    if (plan.user !== undefined) {
      owner = ownerOf(plan.user);
      if (!owner) {
        err(`chpst: fatal: unknown user/group: ${plan.user}\n`);
        this.exitSoon(111 << 8);
        return;
      }
    }
    try {
      this.logger = createLogger(parsed.options.dirs, {
        ...loggerOptions(parsed.options),
        cwd: this.o.cwd,
        ...(owner ? { owner } : {}),
        onFatal: (code) => this.finish(code << 8),
      }, report);
    } catch (e) {
      if (!(e instanceof LoggerFatal)) this.o.warn(`unable to start the in-process svlogd: ${String(e)}`);
      this.exitSoon(111 << 8);
      return;
    }
    let fd: number;
    try {
      fd = libc.fcntl(this.o.readFd, F_DUPFD_CLOEXEC, 0);
    } catch (e) {
      this.o.warn(`unable to read the log pipe: ${String(e)}`);
      void this.logger.end().then(() => this.exitSoon(111 << 8));
      return;
    }
    const sock = new net.Socket({ fd, readable: true, writable: false });
    this.socket = sock;
    sock.on('data', (chunk: Buffer) => this.feed(chunk));
    sock.on('end', () => void this.stop(0));
    sock.on('error', (e) => {
      this.o.warn(`unable to read the log pipe: ${e.message}`);
      void this.stop(111 << 8);
    });
  }

  private feed(chunk: Buffer): void {
    const logger = this.logger;
    if (!logger || this.stopping) return;
    if (!logger.write(chunk)) {
      // Backpressure: the pipe fills and the service blocks, as with svlogd.
      this.socket?.pause();
      void logger.drained().then(() => {
        if (!this.paused && !this.stopping) this.socket?.resume();
      });
    }
  }

  /** A signal runsv would send to the svlogd process. */
  signal(name: string): void {
    if (this.exited) return;
    switch (name) {
      case 'TERM':
        void this.stop(0);
        return;
      case 'HUP':
        this.logger?.reload();
        return;
      case 'ALRM':
        this.logger?.rotate();
        return;
      case 'STOP':
        this.paused = true;
        this.socket?.pause();
        return;
      case 'CONT':
        this.paused = false;
        if (!this.stopping) this.socket?.resume();
        return;
      default: {
        const num = os.constants.signals[`SIG${name}` as NodeJS.Signals];
        void this.stop(num ?? 9);
      }
    }
  }

  /** Stop reading; what was read is logged; the log pipe's unread bytes stay for the next logger. */
  private async stop(wstat: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const sock = this.socket;
    const logger = this.logger;
    if (sock) {
      sock.pause();
      for (let c = sock.read() as Buffer | null; c !== null; c = sock.read() as Buffer | null) logger?.write(c);
      this.releasePipe();
    }
    if (logger) {
      await logger.settled();
      if (wstat === 0 && logger.lineInProgress().kind === 'short') logger.discardLine();
      await logger.end();
    }
    this.finish(wstat);
  }

  private exitSoon(wstat: number): void {
    setImmediate(() => this.finish(wstat));
  }

  private finish(wstat: number): void {
    if (this.exited) return;
    this.exited = true;
    if (!this.stopping) {
      this.stopping = true;
      this.releasePipe();
    }
    this.o.onExit(wstat);
  }

  /** Stop reading the log pipe; it stays open, for the next logger. */
  private releasePipe(): void {
    this.socket?.destroy();
    // libuv made the shared file description non-blocking; a real svlogd
    // started later on this pipe expects blocking reads.
    try {
      libc.setNonblock(this.o.readFd, false);
    } catch {
      // the pipe is gone
    }
  }
}
