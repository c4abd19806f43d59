// tsinit -- CMD ARGS...: a small init for images that just need one: run CMD,
// forward signals to it, reap orphans, exit with its code.
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';
import * as libc from '../../native/libc.ts';
import { forkFailed, spawnChild } from '../process/spawn.ts';
import { shellExitCode, type ExitStatus } from '../process/wait-status.ts';
import { errstr } from '../util/errstr.ts';
import { ExitCode } from './exit-codes.ts';
import type { InitConfig } from './config.ts';
import { raceDeadline, waitNoChildren, type InitSystem } from './system.ts';

const SIG = os.constants.signals;
/** how long leftovers get between TERM and KILL after the command exits */
export const SWEEP_GRACE_MS = 2000;

export interface CommandOptions {
  argv: string[];
  /** deliver forwarded signals to the command's whole process group */
  group: boolean;
  /** a received signal is forwarded as another (0: not forwarded), as dumb-init's --rewrite */
  rewrite?: ReadonlyMap<number, number>;
  /** processes that outlive the command are left alone (no TERM/CONT/KILL sweep) */
  keepLeftovers?: boolean;
}

/** Signals that ask the container to stop: they start the shutdown budget. */
const STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGTERM', 'SIGINT', 'SIGPWR']);

/** The signal to forward for a received one: rewritten, or 0 for none. Pure. */
export function forwardedSignal(received: number, rewrite: ReadonlyMap<number, number> | undefined): number {
  return rewrite?.get(received) ?? received;
}

/**
 * tsinit's process group when it is the foreground group of its terminal,
 * else undefined: only then may the terminal be handed to the command (from
 * the background that would take it from another job). Reads /proc/self/stat.
 */
export function foregroundGroup(stat: string): number | undefined {
  // after "pid (comm)": state ppid pgrp session tty_nr tpgid
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(f[2]);
  const tpgid = Number(f[5]);
  return tpgid > 0 && tpgid === pgrp ? pgrp : undefined;
}

/** Exit code for a command that could not be started, as shells do. */
export function spawnErrorExitCode(code: string): number {
  return code === 'ENOENT' || code === 'ENOTDIR' ? ExitCode.CMD_NOT_FOUND : ExitCode.CMD_NOT_EXECUTABLE;
}

/** Pause before another try when no process could be created (runit's 5 s). */
const FORK_RETRY_MS = 5000;

export class CommandMode {
  private readonly cfg: InitConfig;
  private readonly sys: InitSystem;
  private readonly log: Logger;
  private readonly opts: CommandOptions;
  private pid = 0;
  private exited = false;
  /** settles when the command has exited */
  private exit: Promise<ExitStatus> = Promise.resolve({ pid: 0, code: 0, signal: null, core: false, raw: 0 });
  private stopping = false;
  /** settles when a TERM/INT/PWR arrives before the command could be started */
  private stopBeforeStart: () => void = () => {};
  private readonly stoppedBeforeStart = new Promise<void>((r) => {
    this.stopBeforeStart = r;
  });

  constructor(cfg: InitConfig, sys: InitSystem, log: Logger, opts: CommandOptions) {
    this.cfg = cfg;
    this.sys = sys;
    this.log = log;
    this.opts = opts;
  }

  /** Starts the command; resolves with the exit code tsinit should exit with. */
  async run(): Promise<number> {
    const [file] = this.opts.argv;
    if (file === undefined) return ExitCode.USAGE;
    let resolve: (st: ExitStatus) => void = () => {};
    this.exit = new Promise<ExitStatus>((r) => {
      resolve = r;
    });
    const fg = this.foreground();
    for (;;) {
      try {
        // Its own process group (as tini does), so -g can signal the group;
        // the terminal, if tsinit holds it, goes to that group before the
        // command runs (a shell that checks at once must not find itself in
        // the background and stop).
        this.pid = spawnChild({
          path: file,
          argv: this.opts.argv,
          searchPath: !file.includes('/'),
          pgroup: 0,
          ...(fg !== undefined ? { foreground: { fd: 0, pgrp: fg } } : {}),
          onExit: (st) => {
            this.exited = true;
            resolve(st);
          },
        });
        break;
      } catch (e) {
        const code = e instanceof libc.LibcError ? e.code : 'EINVAL';
        if (!forkFailed(e)) {
          this.log.error(`unable to run: ${file}: ${errstr(code)}`);
          return spawnErrorExitCode(code);
        }
        // The process limit is usually passing (other processes end): wait
        // and try again, as runit does, unless asked to stop meanwhile.
        this.log.warn(`unable to fork for ${file}, sleeping: ${errstr(code)}`);
        if (this.stopping || (await raceDeadline(this.stoppedBeforeStart, this.sys.now() + FORK_RETRY_MS, () => this.sys.now()))) {
          return ExitCode.FATAL;
        }
      }
    }
    this.log.debug({ pid: this.pid }, `started: ${this.opts.argv.join(' ')}`);
    const st = await this.exit;
    const code = shellExitCode(st);
    this.log.debug({ code }, 'command exited');
    // Leftover processes of the command get the same treatment as at shutdown,
    // unless they are someone else's business (-c: an init further up).
    if (this.opts.keepLeftovers) this.log.debug('leftover processes left alone (-c)');
    else await this.sweep();
    return code;
  }

  /** tsinit's group if it holds the terminal (stdin is checked by the child). */
  private foreground(): number | undefined {
    try {
      return foregroundGroup(fs.readFileSync('/proc/self/stat', 'latin1'));
    } catch {
      return undefined;
    }
  }

  /** TERM, INT or PWR came: the shutdown has begun. */
  shuttingDown(): boolean {
    return this.stopping;
  }

  /** TERM, INT or PWR came before the command was started. */
  stopRequested(): boolean {
    return this.stopping && this.pid === 0;
  }

  /**
   * Forward a signal (rewritten by --rewrite; job-control signals too: tsinit
   * itself never stops); TERM, INT and PWR also start the shutdown budget,
   * unless rewritten to 0.
   */
  forward(name: NodeJS.Signals): void {
    if (this.pid === 0 && (name === 'SIGTERM' || name === 'SIGINT' || name === 'SIGPWR')) {
      this.stopping = true;
      this.stopBeforeStart();
    }
    if (this.pid === 0 || this.exited) return;
    const sig = forwardedSignal(SIG[name], this.opts.rewrite);
    if (sig === 0) {
      this.log.debug(`${name} not forwarded (rewritten to 0)`);
      return;
    }
    const target = this.opts.group ? -this.pid : this.pid;
    libc.tryKill(target, sig);
    if (STOP_SIGNALS.has(name) && !this.stopping) {
      this.stopping = true;
      // A command that ignores TERM is killed when the budget runs out, so the
      // runtime's own SIGKILL never has to come.
      const deadline = this.sys.now() + this.cfg.shutdownTimeoutMs;
      void raceDeadline(this.exit, deadline - 200, () => this.sys.now()).then((ok) => {
        if (!ok && !this.exited) {
          this.log.warn('command not terminated, sending sigkill...');
          libc.tryKill(-this.pid, SIG.SIGKILL);
          libc.tryKill(this.pid, SIG.SIGKILL);
        }
      });
    }
  }

  /** TERM and CONT to what is left, KILL after at most 2 s (or the budget, if shorter). */
  private async sweep(): Promise<void> {
    if (!this.sys.hasChildren()) return;
    const deadline = this.sys.now() + Math.min(this.cfg.shutdownTimeoutMs, SWEEP_GRACE_MS);
    this.sys.killAll(SIG.SIGTERM);
    this.sys.killAll(SIG.SIGCONT);
    if (!(await waitNoChildren(this.sys, deadline))) {
      this.sys.killAll(SIG.SIGKILL);
      await waitNoChildren(this.sys, this.sys.now() + 1000);
    }
  }
}
