// A fake effect layer for ServiceMachine: a manual clock, numbered pids,
// control scripts answered from a table (or held open), sleeps held until
// the test releases them. Every action is recorded in order.
import { MachineDriver, type Effects } from '../../src/supervise/machine-driver.ts';
import {
  initialState,
  ServiceMachine,
  type Action,
  type MachineNote,
  type Reply,
  type Side,
  type TimerName,
} from '../../src/supervise/service-machine.ts';
import type { MachinePolicy } from '../../src/supervise/restart-policy.ts';
import type { WallTime } from '../../src/util/tai64n.ts';

export class Harness implements Effects {
  now: WallTime = { sec: 1_000_000, usec: 0 };
  readonly actions: Action[] = [];
  nextPid = 100;
  finishExists = false;
  /** control/<c> present: true = exits 0 (handled), false = exits non-zero */
  scripts: Record<string, boolean> = {};
  /** when true, control scripts stay running until releaseScript() */
  holdScripts = false;
  /** spawn of ./run fails like a missing file (the effect layer posts exit 111) */
  failSpawn = false;
  /** this many spawns fail like a failed fork (reply false) */
  forkFailures = 0;
  private heldScript: ((r: Reply) => void) | undefined;
  private heldSleep: ((r: Reply) => void) | undefined;
  readonly machine: ServiceMachine;
  readonly driver: MachineDriver;
  readonly errors: unknown[] = [];
  private fake = 0;

  /** armed timers (restart-backoff, timeout-kill) on the fake clock: due time in ms and generation */
  readonly timers = new Map<TimerName, { due: number; gen: number }>();
  readonly notes: MachineNote[] = [];

  constructor(opts: { down?: boolean; log?: { down: boolean } | null; hold?: boolean; policy?: MachinePolicy } = {}) {
    this.machine = new ServiceMachine(
      initialState(this.now, { down: opts.down ?? false, log: opts.log ?? null, hold: opts.hold ?? false }),
      () => this.now,
      { ...(opts.policy ? { policy: opts.policy } : {}), notify: (n) => this.notes.push(n) },
    );
    this.driver = new MachineDriver(this.machine, this, (e) => this.errors.push(e));
  }

  get s() {
    return this.machine.s;
  }

  advance(ms: number): void {
    const us = this.now.sec * 1e6 + this.now.usec + ms * 1000;
    this.now = { sec: Math.floor(us / 1e6), usec: us % 1e6 };
  }

  private nowMs(): number {
    return this.now.sec * 1000 + Math.floor(this.now.usec / 1000);
  }

  /** Move the fake clock on by ms, firing the armed timers that fall due, in order. */
  tick(ms: number): void {
    const end = this.nowMs() + ms;
    for (;;) {
      let next: [TimerName, { due: number; gen: number }] | undefined;
      for (const e of this.timers) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.advance(next[1].due - this.nowMs());
      this.timers.delete(next[0]);
      this.driver.post({ type: 'timer', name: next[0], gen: next[1].gen });
    }
    this.advance(end - this.nowMs());
  }

  perform(a: Action): Reply {
    this.actions.push(a);
    switch (a.type) {
      case 'spawn':
        if (this.forkFailures > 0) {
          this.forkFailures--;
          return false;
        }
        if (this.failSpawn && a.argv[0] === './run') {
          const pid = -++this.fake;
          this.driver.post({ type: 'exit', pid, wstat: 111 << 8 });
          return pid;
        }
        return this.nextPid++;
      case 'write-status':
        return true;
      case 'has-finish':
        return this.finishExists;
      case 'timer':
        this.timers.set(a.name, { due: this.nowMs() + a.ms, gen: a.gen });
        return undefined;
      case 'cancel-timer':
        this.timers.delete(a.name);
        return undefined;
      default:
        return undefined;
    }
  }

  performAsync(a: Action, done: (r: Reply) => void): void {
    this.actions.push(a);
    if (a.type === 'sleep') {
      this.heldSleep = done;
      return;
    }
    if (a.type === 'control-script') {
      const present = a.c in this.scripts;
      if (present && this.holdScripts) {
        this.heldScript = done;
        return;
      }
      done(present ? this.scripts[a.c] === true : false);
    }
  }

  get sleeping(): boolean {
    return this.heldSleep !== undefined;
  }

  releaseSleep(): void {
    const d = this.heldSleep;
    this.heldSleep = undefined;
    this.advance(1000);
    d?.(undefined);
  }

  releaseScript(handled: boolean): void {
    const d = this.heldScript;
    this.heldScript = undefined;
    d?.(handled);
  }

  start(): void {
    // runsv.ts writes the first status (and the empty pid file) before the loop
    this.machine.s.pidChanged = false;
    this.driver.post({ type: 'start' });
  }

  ctl(chars: string, side: Side = 'main'): void {
    for (const ch of chars) this.driver.post({ type: 'control', side, byte: ch.charCodeAt(0) });
  }

  exit(pid: number, wstat: number): void {
    this.driver.post({ type: 'exit', pid, wstat });
  }

  /** actions since the last call, in a compact text form */
  take(): string[] {
    const out = this.actions.splice(0).map(describe);
    return out;
  }
}

export function describe(a: Action): string {
  switch (a.type) {
    case 'spawn':
      return `spawn ${a.side} ${a.argv.join(' ')}`;
    case 'kill':
      return `kill ${a.side} ${a.pid} ${a.signal}`;
    case 'write-status': {
      const s = a.status;
      const flags = `${s.paused ? 'P' : '-'}${s.want === 'up' ? 'u' : 'd'}${s.termSent ? 'T' : '-'}`;
      return `status ${a.side} ${s.state} ${s.pid} ${flags}${a.writePid ? ' +pid' : ''}`;
    }
    case 'control-script':
      return `script ${a.c}`;
    case 'has-finish':
      return 'has-finish';
    case 'sleep':
      return `sleep ${a.ms}`;
    case 'close-log-pipe':
      return 'close-log-pipe';
    case 'exit':
      return `exit ${a.code}`;
    case 'take-control':
      return 'take-control';
    case 'timer':
      return `timer ${a.name} ${a.ms}`;
    case 'cancel-timer':
      return `cancel-timer ${a.name}`;
  }
}
