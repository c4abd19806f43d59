// tsinit -- CMD ARGS...: a small init for images that just need one: run CMD,
// forward signals to it, reap orphans, exit with its code.
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

export interface CommandOptions {
  argv: string[];
  /** deliver forwarded signals to the command's whole process group */
  group: boolean;
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
    for (;;) {
      try {
        // Its own process group (as tini does), so -g can signal the group and
        // the terminal, if any, can be handed to it.
        this.pid = spawnChild({
          path: file,
          argv: this.opts.argv,
          searchPath: !file.includes('/'),
          pgroup: 0,
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
    this.giveTerminal();
    this.log.debug({ pid: this.pid }, `started: ${this.opts.argv.join(' ')}`);
    const st = await this.exit;
    const code = shellExitCode(st);
    this.log.debug({ code }, 'command exited');
    // Leftover processes of the command get the same treatment as at shutdown.
    await this.sweep();
    return code;
  }

  private giveTerminal(): void {
    try {
      libc.tcsetpgrp(0, this.pid);
    } catch {
      // no terminal on stdin: nothing to hand over
    }
  }

  /** Forward a signal; TERM also starts the shutdown budget. */
  forward(name: NodeJS.Signals): void {
    if (this.pid === 0 && (name === 'SIGTERM' || name === 'SIGINT' || name === 'SIGPWR')) {
      this.stopping = true;
      this.stopBeforeStart();
    }
    if (this.pid === 0 || this.exited) return;
    const target = this.opts.group ? -this.pid : this.pid;
    libc.tryKill(target, SIG[name]);
    if ((name === 'SIGTERM' || name === 'SIGINT' || name === 'SIGPWR') && !this.stopping) {
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

  private async sweep(): Promise<void> {
    if (!this.sys.hasChildren()) return;
    const deadline = this.sys.now() + Math.min(this.cfg.shutdownTimeoutMs, 2000);
    this.sys.killAll(SIG.SIGTERM);
    this.sys.killAll(SIG.SIGCONT);
    if (!(await waitNoChildren(this.sys, deadline))) {
      this.sys.killAll(SIG.SIGKILL);
      await waitNoChildren(this.sys, this.sys.now() + 1000);
    }
  }
}
