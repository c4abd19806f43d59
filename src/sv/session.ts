// One run of sv over its services: send (or report), then wait (reference
// spec 4.2-4.9). Output is built in a buffer flushed at the same points as
// runit's buffer_1, so odd combinations (e.g. `timeout: ` followed by a
// `fail:` line) come out byte for byte as runit prints them.
import { setTimeout as sleep } from 'node:timers/promises';
import { errstr } from '../util/errstr.ts';
import { pacer, type NextTurn } from '../util/pace.ts';
import { wallNow } from '../util/tai64n.ts';
import { runCheckScript } from './check-script.ts';
import { checkAll, skipSend, type Command } from './commands.ts';
import { readExtStatus } from '../supervise/ext-status.ts';
import { fatalExit, lsbStatusExit } from './lsb.ts';
import * as svc from './service.ts';
import { formatStatusLine, runningCode, taiOfUnix } from './status-line.ts';

/** Thrown to end sv at once with an exit code (runit's done()/_exit). */
export class SvExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

export interface SessionConfig {
  command: Command;
  lsb: boolean;
  /** SVDIR (default /etc/service/) */
  svdir: string;
  /** timeout in seconds */
  waitSec: number;
  /** pause between polling rounds, ms (runit: 420) */
  roundMs?: number;
  /** the caller's directory: relative names are taken from here */
  cwd: string;
  /** the caller's environment (./check runs with it) */
  env: Readonly<Record<string, string | undefined>>;
  /** the caller's descriptors: ./check gets stdin and stderr */
  stdin: number;
  stderr: number;
  /** writers to the caller's stdout and stderr */
  out: (text: string) => void;
  err: (text: string) => void;
  /** settles when the caller is gone (served by PID 1): stop waiting, write nothing more */
  gone?: Promise<void>;
  /** ends the event-loop turn: a few services per turn (util/pace.ts) */
  nextTurn?: NextTurn;
}

function nowSeconds(): number {
  const t = wallNow();
  return t.sec + t.usec / 1e6;
}

export class Session {
  private readonly cfg: SessionConfig;
  private readonly acts: string;
  /** failures so far (the exit code, before capping) */
  rc = 0;
  private buffer = '';
  /** runit's global status buffer: a failed read leaves the previous record */
  private readonly status = Buffer.alloc(20);
  private name = '';
  private islog = false;
  private readonly start: number;
  private readonly startTai: bigint;
  private now: number;
  private nowTai: bigint;
  /** the current service's directory (runit's cwd after chdir) */
  private dir: svc.Dir = '';

  constructor(cfg: SessionConfig) {
    this.cfg = cfg;
    this.acts = cfg.command.acts;
    this.start = nowSeconds();
    this.startTai = taiOfUnix(this.start);
    this.now = this.start;
    this.nowTai = this.startTai;
  }

  // --- output, as runit's out()/outs()/flush() -------------------------

  private outs(s: string): void {
    this.buffer += s;
  }

  private flush(s = ''): void {
    this.buffer += s;
    if (this.buffer !== '') this.cfg.out(this.buffer);
    this.buffer = '';
  }

  private line(prefix: string, msg: string, code: svc.Errno | null): void {
    this.outs(`${prefix}${this.name}${this.islog ? '/log' : ''}: ${msg}`);
    if (code !== null) this.outs(`: ${errstr(code)}`);
    this.flush('\n');
  }

  private fail(msg: string, code: svc.Errno | null = null): void {
    this.rc++;
    this.line('fail: ', msg, code);
  }

  private warn(msg: string, code: svc.Errno | null = null): void {
    this.rc++;
    this.line('warning: ', msg, code);
  }

  private ok(msg: string): void {
    this.line('ok: ', msg, null);
  }

  private fatal(msg: string, code: svc.Errno): never {
    this.flush();
    this.cfg.err(`fatal: ${msg}: ${errstr(code)}\n`);
    throw new SvExit(fatalExit(this.cfg.lsb));
  }

  /** runit's done(): exit now. */
  private done(code: number): never {
    this.flush();
    throw new SvExit(code);
  }

  // --- status ----------------------------------------------------------

  /** svstatus_get: -1 unreadable, 0 runsv not running, 1 read. */
  private statusGet(): -1 | 0 | 1 {
    const okErr = svc.probeOk(this.dir);
    if (okErr !== null) {
      if (okErr === 'ENXIO') {
        if (this.acts[0] === 'x') this.ok('runsv not running');
        else this.fail('runsv not running');
        return 0;
      }
      this.warn('unable to open supervise/ok', okErr);
      return -1;
    }
    const r = svc.readStatusFile(this.dir, this.status);
    if (r.ok) return 1;
    if (r.stage === 'open') this.warn('unable to open supervise/status', r.code);
    else if (r.stage === 'read') this.warn('unable to read supervise/status', r.code);
    else this.warn('unable to read supervise/status: bad format');
    return -1;
  }

  /** svstatus_print: 0 when ./down could not be tested, 1 running, 2 not. */
  private statusPrint(label: string): 0 | 1 | 2 {
    const up = svc.normallyUp(this.dir);
    if (typeof up !== 'boolean') {
      this.cfg.err(`warning: unable to stat ${this.name}/down: ${errstr(up.error)}\n`);
      return 0;
    }
    this.outs(formatStatusLine(label, this.status, this.nowTai, up));
    return runningCode(this.status);
  }

  /** The `status` command for the current service (this.dir). */
  private reportStatus(): number {
    const got = this.statusGet();
    if (got === -1 && this.cfg.lsb) this.done(4);
    if (got !== 1) return 0;
    let rc = this.statusPrint(this.name);
    this.islog = true;
    const main = this.dir;
    const logDir = svc.under(main, 'log');
    const logErr = svc.enterable(logDir);
    if (logErr === null) this.dir = logDir;
    if (logErr !== null) {
      if (logErr !== 'ENOENT') {
        this.outs('; ');
        this.warn('unable to change directory', logErr);
      } else this.outs('\n');
    } else {
      this.outs('; ');
      // An unreadable log/supervise/ok still prints the (stale) record as
      // "log"; and Debian 2.1.2 takes the LSB exit code from the log.
      if (this.statusGet() !== 0) {
        rc = this.statusPrint('log');
        this.outs('\n');
      }
    }
    this.islog = false;
    this.dir = main;
    this.flush();
    if (this.cfg.lsb) this.done(lsbStatusExit(rc));
    return rc;
  }

  // --- control ---------------------------------------------------------

  /** control(): -1 failed (drop the service), 0 skipped, 1 sent. */
  private control(a: string): -1 | 0 | 1 {
    if (this.statusGet() <= 0) return -1;
    if (skipSend(a, this.status, a[0] === 'u' && readExtStatus(svc.under(this.dir, 'supervise'))?.backoff != null)) return 0;
    const w = svc.writeControl(this.dir, a);
    if (w.ok) return 1;
    if (w.stage === 'open') {
      if (w.code !== 'ENXIO') this.warn('unable to open supervise/control', w.code);
      else if (a[0] === 'x') this.ok('runsv not running');
      else this.fail('runsv not running');
    } else {
      this.warn('unable to write to supervise/control', w.code ?? null);
    }
    return -1;
  }

  /** check(): -1 drop, 0 not yet, 1 done (printed `ok: `). */
  private async check(a: string): Promise<-1 | 0 | 1> {
    const r = this.statusGet();
    if (r === -1) return -1;
    if (r === 0) return a[0] === 'x' ? 1 : -1;
    const { name, dir } = this;
    const { env, stdin, stderr, err } = this.cfg;
    const passed = await checkAll(a, this.status, {
      startTai: this.startTai,
      runCheckScript: () => runCheckScript({ dir, name, env, stdin, stderr, err }),
    });
    if (!passed) return 0;
    this.outs('ok: ');
    this.statusPrint(this.name);
    this.flush('\n');
    return 1;
  }

  // --- the program -----------------------------------------------------

  async run(services: readonly string[]): Promise<number> {
    const cur = svc.probeCurrentDir(this.cfg.cwd);
    if (cur !== null) this.fatal('unable to open current directory', cur);
    const { command } = this.cfg;
    const pending: Array<string | null> = [...services];
    const pace = pacer(this.cfg.nextTurn);

    for (let i = 0; i < pending.length; i++) {
      if (i > 0) await pace();
      this.name = pending[i] as string;
      const d = svc.enterService(this.cfg.cwd, this.name, this.cfg.svdir, true);
      if ('error' in d) {
        this.fail('unable to change to service directory', d.error);
        pending[i] = null;
        continue;
      }
      this.dir = d.dir;
      if (command.act === 'status') {
        this.reportStatus();
      } else if (command.act === 'control') {
        if (this.control(command.acts) === -1) pending[i] = null;
      }
    }

    if (command.wait) await this.waitLoop(pending);
    return this.rc;
  }

  private async waitLoop(pending: Array<string | null>): Promise<void> {
    const { command, waitSec } = this.cfg;
    let left = false;
    const gone = this.cfg.gone?.then(() => {
      left = true;
    });
    const pace = pacer(this.cfg.nextTurn);
    for (;;) {
      if (left) throw new SvExit(111);
      const elapsed = this.now - this.start;
      let done = true;
      let first = true;
      for (let i = 0; i < pending.length; i++) {
        const name = pending[i];
        if (name === null || name === undefined) continue;
        if (!first) await pace();
        first = false;
        this.name = name;
        const d = svc.enterService(this.cfg.cwd, name, this.cfg.svdir, false);
        if ('error' in d) {
          this.fail('unable to change to service directory', d.error);
          pending[i] = null;
        } else {
          this.dir = d.dir;
          if ((await this.check(command.acts)) !== 0) pending[i] = null;
          else done = false;
        }
        if (pending[i] !== null && elapsed > waitSec) {
          this.outs(command.kill ? 'kill: ' : 'timeout: ');
          if (this.statusGet() > 0) {
            this.statusPrint(name);
            this.rc++;
          }
          this.flush('\n');
          if (command.kill) this.control('k');
          pending[i] = null;
        }
      }
      if (done) break;
      const round = sleep(this.cfg.roundMs ?? 420);
      await (gone ? Promise.race([round, gone]) : round);
      this.refreshNow();
    }
  }

  /** runit takes "now" once at start and again after each round's sleep. */
  private refreshNow(): void {
    this.now = nowSeconds();
    this.nowTai = taiOfUnix(this.now);
  }
}
