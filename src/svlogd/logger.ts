// The reusable svlogd: one object per set of log directories, fed with
// Buffers. svlogd's main() wraps it around fd 0; the supervisor can run one
// per log pipe inside its own process. No global state.
import { clampDelay, sleep } from '../util/timers.ts';
import { pmatch } from './pattern.ts';
import { LineSplitter, type LineSink } from './line-splitter.ts';
import { LogDir } from './logdir.ts';
import { FATAL, type Report } from './messages.ts';
import type { Owner } from './owner-access.ts';
import type { SvlogdOptions } from './options.ts';
import { StampWriter, wallClockUs } from './timestamp.ts';

export type { Report } from './messages.ts';

export interface LoggerOptions {
  /** 0 none, 1 TAI64N (-t), 2 -tt, 3 -ttt */
  timestamp: 0 | 1 | 2 | 3;
  verbose: boolean;
  /** -r replacement byte, 0 = none */
  repl: number;
  /** -R extra bytes to replace */
  replace: Buffer;
  /** -l (default 1000) */
  linemax: number;
  /** wall clock in microseconds (tests inject a fake one) */
  clock?: () => number;
  /** asynchronous sleep for the 3 s "pausing" retries (tests inject a fake one) */
  sleep?: (ms: number) => Promise<void>;
  /** reload found no functional directory: the fatal message was reported */
  onFatal?: (code: number) => void;
  /** write() returns false while more than this many bytes wait (default 1 MiB) */
  highWaterMark?: number;
  /**
   * Relative directory names are taken relative to this folder (default: the
   * process's cwd); messages show the names as given, as svlogd run there would.
   */
  cwd?: string;
  /**
   * in-process `chpst -u USER svlogd`: act only as USER could (no symlink
   * followed, files it creates owned by USER, processors run as USER)
   */
  owner?: Owner;
  /** runs inside the supervisor: never a blocking 3 s retry at open */
  inprocess?: boolean;
  /** the processors' stderr (default: this process's own; -1: closed), as svlogd's own stderr is theirs */
  processorStderr?: number;
}

/** Logger options from svlogd's parsed command line (for running a log/run's svlogd in-process). */
export function loggerOptions(o: SvlogdOptions): LoggerOptions {
  return { timestamp: o.timestamp, verbose: o.verbose > 0, repl: o.repl, replace: o.replace, linemax: o.linemax };
}

export interface Logger {
  /**
   * Feed input bytes. The buffer is kept until processed: do not reuse it.
   * Returns false when the caller should wait for drained() (the logger is
   * blocked on a full disk or a processor, or behind).
   */
  write(chunk: Buffer): boolean;
  /** Resolves when write() would return true again. */
  drained(): Promise<void>;
  /**
   * End of input: an unterminated short last line is dropped, pending output
   * written, processors waited for (unless abandonProcessors: a deadly
   * signal), every `current` closed (mode 0744).
   */
  end(abandonProcessors?: boolean): Promise<void>;
  /** SIGALRM: rotate every directory whose current is not empty. */
  rotate(): void;
  /** SIGHUP: close and reopen all directories, re-reading their config. */
  reload(): void;
  /** Resolves when everything written so far has been processed. */
  settled(): Promise<void>;
  /** The line in progress after everything processed so far (see settled()). */
  lineInProgress(): { kind: 'none' | 'short' | 'long'; length: number };
  /** Drop a short line in progress: its bytes so far are forgotten (SIGTERM handling). */
  discardLine(): void;
  /** The last byte written so far was a newline (runit's "linecomplete"). */
  readonly lineComplete: boolean;
  /** The directories, in command-line order (for tests and status). */
  readonly dirs: readonly LogDir[];
}

/** No directory could be opened; the fatal message has been reported. */
export class LoggerFatal extends Error {
  readonly exitCode = 111;
}

type Op =
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'alarm' }
  | { kind: 'reload' }
  | { kind: 'tick' }
  | { kind: 'inject'; dir: LogDir; bytes: Buffer }
  | { kind: 'discard' }
  | { kind: 'settled'; resolve: () => void }
  | { kind: 'end' };

const DOTS = Buffer.from('...');
const NLBUF = Buffer.from('\n');
const SEND_FAIL = Buffer.from('warning: failure sending through udp: ');
const NO_SOCKET = Buffer.from('warning: no udp socket available: ');
const RULE_PLUS = 43;
const RULE_E = 69;
const RULE_e = 101;

class SvLogger implements Logger {
  readonly dirs: LogDir[];
  private readonly report: Report;
  private readonly opts: LoggerOptions;
  private readonly clock: () => number;
  private readonly splitter: LineSplitter;
  private readonly stamper: StampWriter | undefined;
  private readonly highWater: number;
  /** ops not performed yet from qhead on; a performed op's slot is cleared (it may hold a read buffer) */
  private queue: Array<Op | undefined> = [];
  private qhead = 0;
  private queued = 0;
  private running = false;
  private ended = false;
  private dead = false;
  private endPromise: Promise<void> | undefined;
  private endResolve: (() => void) | undefined;
  private drainWaiters: Array<() => void> = [];
  private lastNl = true;
  private abandonNow: () => void = () => undefined;
  /** resolves when end(true) asks not to wait for processors any more */
  private readonly abandoned = new Promise<void>((r) => {
    this.abandonNow = r;
  });
  private timer: NodeJS.Timeout | undefined;
  private tickQueued = false;
  private errBuf = Buffer.allocUnsafe(4096);
  private errLen = 0;

  constructor(dirs: string[], opts: LoggerOptions, report: Report) {
    this.opts = opts;
    this.report = report;
    this.clock = opts.clock ?? wallClockUs;
    this.highWater = opts.highWaterMark ?? 1 << 20;
    this.stamper = opts.timestamp ? new StampWriter(opts.timestamp) : undefined;
    const env = {
      verbose: opts.verbose,
      linemax: opts.linemax,
      report: (d: string | Buffer) => {
        this.flushErr();
        report(d);
      },
      now: this.clock,
      sleep: opts.sleep ?? sleep,
      ...(opts.owner ? { owner: opts.owner } : {}),
      ...(opts.inprocess ? { inprocess: true } : {}),
      ...(opts.processorStderr !== undefined ? { processorStderr: opts.processorStderr } : {}),
    };
    this.dirs = dirs.map((d) => new LogDir(d, env, opts.cwd));
    this.splitter = new LineSplitter(
      { linemax: opts.linemax, repl: opts.repl, replace: opts.replace, stamp: opts.timestamp > 0, clock: this.clock },
      sinkOf(this),
    );
  }

  /** runit's logdirs_reopen(); false when no directory is functional. */
  openAll(): boolean {
    const now = this.clock();
    let ok = false;
    for (const d of this.dirs) {
      d.close();
      if (d.open(now)) ok = true;
    }
    this.schedule();
    return ok;
  }

  get lineComplete(): boolean {
    return this.lastNl;
  }

  // ---- input side -------------------------------------------------------

  write(chunk: Buffer): boolean {
    if (this.ended || this.dead || chunk.length === 0) return !this.dead;
    this.lastNl = chunk[chunk.length - 1] === 10;
    this.queued += chunk.length;
    this.push({ kind: 'data', chunk });
    return this.queued < this.highWater;
  }

  drained(): Promise<void> {
    if (this.queued < this.highWater || this.dead) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  end(abandonProcessors = false): Promise<void> {
    if (abandonProcessors) this.abandonNow();
    if (!this.endPromise) {
      this.endPromise = new Promise((r) => {
        this.endResolve = r;
      });
      this.ended = true;
      if (this.dead) this.endResolve?.();
      else this.push({ kind: 'end' });
    }
    return this.endPromise;
  }

  rotate(): void {
    if (!this.ended) this.push({ kind: 'alarm' });
  }

  settled(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => this.push({ kind: 'settled', resolve }));
  }

  lineInProgress(): { kind: 'none' | 'short' | 'long'; length: number } {
    return this.splitter.inProgress;
  }

  discardLine(): void {
    if (!this.ended) this.push({ kind: 'discard' });
  }

  reload(): void {
    if (!this.ended) this.push({ kind: 'reload' });
  }

  private push(op: Op): void {
    this.queue.push(op);
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      while (this.qhead < this.queue.length && !this.dead) {
        const op = this.queue[this.qhead] as Op;
        // Nothing performed stays referenced: a drained queue starts over
        // (it was kept to 1024 performed ops, each holding its read buffer).
        this.queue[this.qhead++] = undefined;
        if (this.qhead === this.queue.length) {
          this.queue = [];
          this.qhead = 0;
        } else if (this.qhead > 1024 && this.qhead * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.qhead);
          this.qhead = 0;
        }
        const p = this.perform(op);
        if (p) await p;
        this.schedule();
        if (op.kind === 'data') {
          this.queued -= op.chunk.length;
          if (this.queued < this.highWater && this.drainWaiters.length) {
            const w = this.drainWaiters;
            this.drainWaiters = [];
            for (const r of w) r();
          }
        }
      }
    } catch (e) {
      this.flushErr();
      this.report(`${FATAL}${e instanceof Error ? e.message : String(e)}\n`);
      this.die();
    } finally {
      this.running = false;
    }
  }

  /** One queued operation; a promise only when it has to wait. */
  private perform(op: Op): Promise<void> | undefined {
    switch (op.kind) {
      case 'data': {
        const t = this.dueRotations();
        if (t) return t.then(() => this.feed(op.chunk));
        return this.feed(op.chunk);
      }
      case 'tick':
        this.tickQueued = false;
        return this.dueRotations();
      case 'alarm':
        return this.forEachDir((d) => d.requestRotate());
      case 'reload':
        this.flushErr();
        if (!this.openAll()) {
          this.report(`${FATAL}no functional log directories.\n`);
          this.die();
          this.opts.onFatal?.(111);
        }
        return undefined;
      case 'inject':
        if (op.dir.isOpen) op.dir.putBytes(op.bytes, 0, op.bytes.length);
        return this.flushDirs();
      case 'end':
        return this.finish();
      case 'discard':
        this.splitter.discard();
        return undefined;
      case 'settled':
        op.resolve();
        return undefined;
    }
  }

  private die(): void {
    this.dead = true;
    if (this.timer) clearTimeout(this.timer);
    for (let i = this.qhead; i < this.queue.length; i++) {
      const op = this.queue[i];
      if (op?.kind === 'settled') op.resolve();
    }
    for (const r of this.drainWaiters) r();
    this.drainWaiters = [];
    this.endResolve?.();
  }

  private feed(chunk: Buffer): Promise<void> | undefined {
    this.splitter.feed(chunk);
    this.flushErr();
    return this.flushDirs();
  }

  private async finish(): Promise<void> {
    this.splitter.finish();
    this.flushErr();
    const p = this.flushDirs();
    if (p) await p;
    for (const d of this.dirs) {
      if (d.processorRunning) await Promise.race([d.processorIdle(), this.abandoned]);
      d.close();
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.endResolve?.();
  }

  /** Run f on every directory in order, waiting where one has to wait. */
  private forEachDir(f: (d: LogDir) => Promise<void> | undefined): Promise<void> | undefined {
    for (let i = 0; i < this.dirs.length; i++) {
      const p = f(this.dirs[i] as LogDir);
      if (p) {
        return (async () => {
          await p;
          for (let j = i + 1; j < this.dirs.length; j++) {
            const q = f(this.dirs[j] as LogDir);
            if (q) await q;
          }
        })();
      }
    }
    return undefined;
  }

  private flushDirs(): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const d of this.dirs) {
      const p = d.flush();
      if (p) (waits ??= []).push(p);
    }
    if (!waits) return undefined;
    return Promise.all(waits).then(() => undefined);
  }

  // ---- `t` rotation -----------------------------------------------------

  private dueRotations(): Promise<void> | undefined {
    const now = this.clock();
    return this.forEachDir((d) => (d.isOpen && d.config.tmax && d.trotate < now ? d.requestRotate() : undefined));
  }

  private schedule(): void {
    let next = Infinity;
    for (const d of this.dirs) if (d.isOpen && d.config.tmax && d.trotate < next) next = d.trotate;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (next === Infinity || this.ended) return;
    // clamped (util/timers): a `t` of more than 24.8 days (t720h) would
    // otherwise fire at once, again and again; an early wake-up finds
    // nothing due and schedules again.
    const ms = clampDelay(Math.ceil((next - this.clock()) / 1000) + 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.tickQueued && !this.ended) {
        this.tickQueued = true;
        this.push({ kind: 'tick' });
      }
    }, ms);
    this.timer.unref();
  }

  // ---- the line sink --------------------------------------------------------

  private errPut(b: Buffer, start = 0, end = b.length): void {
    const n = end - start;
    if (this.errLen + n > this.errBuf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.errBuf.length * 2, this.errLen + n));
      this.errBuf.copy(bigger, 0, 0, this.errLen);
      this.errBuf = bigger;
    }
    this.errLen += b.copy(this.errBuf, this.errLen, start, end);
  }

  private flushErr(): void {
    if (!this.errLen) return;
    const out = Buffer.from(this.errBuf.subarray(0, this.errLen));
    this.errLen = 0;
    this.report(out);
  }

  line(buf: Buffer, start: number, len: number, stampUs: number, long: boolean): void {
    const stamp = this.stamper ? this.stamper.set(stampUs) : undefined;
    for (const d of this.dirs) {
      if (!d.isOpen) continue;
      const cfg = d.config;
      if (cfg.rules.length) {
        d.match = RULE_PLUS;
        d.matcherr = RULE_E;
        for (const r of cfg.rules) {
          if (!pmatch(r.pattern, buf, start, len)) continue;
          const k = r.kind.charCodeAt(0);
          if (k === RULE_e || k === RULE_E) d.matcherr = k;
          else d.match = k;
        }
      }
      if (d.matcherr === RULE_e) {
        if (stamp) this.errPut(stamp);
        if (cfg.prefix.length) this.errPut(cfg.prefix);
        this.errPut(buf, start, start + len);
        if (long) this.errPut(DOTS);
        this.errPut(NLBUF);
      }
      if (d.match !== RULE_PLUS) continue;
      if (cfg.udpPort && d.udp && cfg.udpAddr) this.sendUdp(d, stamp, buf, start, len, long);
      if (!cfg.udpOnly) d.putLine(stamp, buf, start, len, !long);
    }
  }

  private sendUdp(d: LogDir, stamp: Buffer | undefined, buf: Buffer, start: number, len: number, long: boolean): void {
    const cfg = d.config;
    const parts = [stamp ? Buffer.from(stamp) : undefined, cfg.prefix, Buffer.from(buf.subarray(start, start + len))];
    const dgram = Buffer.concat([...parts.filter((p): p is Buffer => p !== undefined), long ? DOTS : NLBUF.subarray(0, 0), NLBUF]);
    d.udp?.send(dgram, cfg.udpAddr as string, cfg.udpPort, (why) => {
      const bytes =
        why === 'send'
          ? Buffer.concat([SEND_FAIL, dgram])
          : Buffer.concat([NO_SOCKET, ...parts.filter((p): p is Buffer => p !== undefined), NLBUF]);
      if (!this.ended && !this.dead) this.push({ kind: 'inject', dir: d, bytes });
    });
  }

  rest(buf: Buffer, start: number, end: number): void {
    for (const d of this.dirs) {
      if (!d.isOpen || d.match !== RULE_PLUS || d.config.udpOnly) continue;
      d.putBytes(buf, start, end);
    }
  }

  end_(): void {
    for (const d of this.dirs) {
      if (!d.isOpen || d.match !== RULE_PLUS || d.config.udpOnly) continue;
      d.putBytes(NLBUF, 0, 1);
    }
  }
}

/** The sink's end() would clash with Logger.end(): route it through an adapter. */
function sinkOf(l: SvLogger): LineSink {
  return {
    line: (b, s, n, t, long) => l.line(b, s, n, t, long),
    rest: (b, s, e) => l.rest(b, s, e),
    end: () => l.end_(),
  };
}

/**
 * Open the directories (runit's start-up) and return the logger. Throws
 * LoggerFatal after reporting `svlogd: fatal: no functional log directories.`
 */
export function createLogger(dirs: string[], options: LoggerOptions, report: Report): Logger {
  const l = new SvLogger(dirs, options, report);
  if (!l.openAll()) {
    report(`${FATAL}no functional log directories.\n`);
    throw new LoggerFatal('no functional log directories.');
  }
  return l;
}

/**
 * TERM with a line in progress: runit reads on, one byte at a time, to the
 * end of that line, so that nothing of it is left in the pipe for the next
 * logger. A long line (its head already written) is written to its newline;
 * a short one is dropped, as Debian's svlogd does (it never writes a piece
 * of a line as a line). Returns a consumer of the following 1-byte reads
 * that says when the line is over.
 */
export function lineFinisher(logger: Logger, linemax: number): ((byte: Buffer) => boolean) | undefined {
  const line = logger.lineInProgress();
  if (line.kind === 'none') return undefined;
  if (line.kind === 'long') {
    return (b) => {
      logger.write(b);
      return b[0] === 10;
    };
  }
  let room = linemax - line.length;
  return (b) => {
    room--;
    if (b[0] !== 10 && room > 0) return false;
    logger.discardLine();
    return true;
  };
}
