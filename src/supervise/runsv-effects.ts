// The action interpreter of one runsv: what ServiceMachine asks for (spawn,
// kill, status writes, timers, the restart pause, control scripts) done with
// real processes and files. MachineDriver calls it; tests drive the machine
// with fakes of Effects instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { clampDelay, setLongTimeout, type LongTimer } from '../util/timers.ts';
import type { Effects } from './machine-driver.ts';
import type { Action, Event, Reply, Side, TimerName } from './service-machine.ts';
import type { LogPipe } from './log-pipe.ts';
import type { Launcher } from './runsv-launch.ts';
import { writeStatusFiles } from './status-writer.ts';

const { O_RDONLY, O_NONBLOCK } = fs.constants;

/** Where a side's status files are, relative to the service directory. */
export function statusDirOf(side: Side): string {
  return side === 'main' ? 'supervise' : 'log/supervise';
}

/** What the interpreter needs from its runsv. */
export interface EffectsHost {
  /** the service directory (real path, or /proc/self/fd/N) */
  readonly base: string;
  readonly launcher: Launcher;
  readonly logPipe: LogPipe | undefined;
  warn(msg: string): void;
  /** an event for the machine (a timer fired) */
  post(ev: Event): void;
  /** the restart facts may have changed: the extension record follows them */
  policyChanged(): void;
  /** the machine's 'exit': runsv ends with this code */
  exit(code: number): void;
}

export class RunsvEffects implements Effects {
  private readonly host: EffectsHost;
  /** the restart pause in progress */
  private timer: NodeJS.Timeout | undefined;
  /** the machine's pause in progress ('sleep'): ended early by a stop request */
  private sleepDone: ((reply: Reply) => void) | undefined;
  /** timers of the extensions (restart-backoff, timeout-kill) */
  private readonly policyTimers = new Map<TimerName, LongTimer>();

  constructor(host: EffectsHost) {
    this.host = host;
  }

  perform(a: Action): Reply {
    const host = this.host;
    // Every change of the restart facts is followed by one of these actions.
    if ((a.type === 'write-status' && a.side === 'main') || a.type === 'timer' || a.type === 'cancel-timer') {
      host.policyChanged();
    }
    switch (a.type) {
      case 'spawn':
        return host.launcher.spawn(a.side, a.argv);
      case 'kill':
        if (a.pid === process.pid) {
          // the in-process logger: never a signal to ourselves
          host.launcher.signalLogger(a.signal);
        } else if (a.pid > 0) {
          const sig = (os.constants.signals as Record<string, number | undefined>)[`SIG${a.signal}`];
          if (sig !== undefined) libc.tryKill(a.pid, sig);
        }
        return undefined;
      case 'write-status':
        return writeStatusFiles(host.base, statusDirOf(a.side), a.status, a.writePid, (msg) => host.warn(msg));
      case 'has-finish':
        try {
          fs.closeSync(fs.openSync(path.join(host.base, 'finish'), O_RDONLY | O_NONBLOCK));
          return true;
        } catch {
          return false;
        }
      case 'close-log-pipe':
        host.logPipe?.close((msg) => host.warn(msg));
        return undefined;
      case 'exit':
        host.exit(a.code);
        return undefined;
      case 'timer': {
        this.policyTimers.get(a.name)?.clear();
        const { name, gen } = a;
        this.policyTimers.set(
          name,
          setLongTimeout(() => {
            this.policyTimers.delete(name);
            host.post({ type: 'timer', name, gen });
          }, a.ms),
        );
        return undefined;
      }
      case 'cancel-timer':
        this.policyTimers.get(a.name)?.clear();
        this.policyTimers.delete(a.name);
        return undefined;
      default:
        return undefined;
    }
  }

  performAsync(a: Action, done: (reply: Reply) => void): void {
    if (a.type === 'sleep') {
      this.host.policyChanged(); // runit's 1 s pause shows as the pause in progress
      this.sleepDone = done;
      this.timer = setTimeout(() => this.endSleep(), clampDelay(a.ms));
      return;
    }
    if (a.type === 'control-script') {
      this.host.launcher.runScript(a.c, done);
      return;
    }
    done(undefined);
  }

  /** The pause (1 s restart rule, 5 s after a failed fork) is over, or cut short: nothing follows it when stopping. */
  endSleep(): void {
    const done = this.sleepDone;
    if (!done) return;
    this.sleepDone = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    done(undefined);
  }

  /** runsv ends: no timer fires any more. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const t of this.policyTimers.values()) t.clear();
    this.policyTimers.clear();
  }
}
