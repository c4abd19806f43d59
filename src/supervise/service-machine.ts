// runsv's logic for one service directory (main service plus optional log
// service), transcribed from runit 2.1.2's behaviour (reference spec 3) as a
// pure step function: it performs no I/O, it yields actions and receives their
// replies. The effect layer (runsv.ts; its actions in runsv-effects.ts)
// performs them; tests use a fake one.
//
// Why a generator: runsv's control handling is a sequence that may block in
// the middle (control/t, then TERM, then control/d; the 1 s restart pause).
// Yielding keeps that sequence written in runit's order, while the effect
// layer "blocks" only this one service by queueing its further events.
import type { RunState, ServiceStatus, Want } from './status-file.ts';
import type { WallTime } from '../util/tai64n.ts';
import type { ExitInfo } from './ext-status.ts';
import {
  NO_POLICY,
  QUICK_DEATH_MS,
  backoffPause,
  essentialVerdict,
  exitInfoOf,
  type MachinePolicy,
} from './restart-policy.ts';

export type Side = 'main' | 'log';

export interface SideState {
  /** 0 when nothing runs; negative = a child that failed to exec (no real process) */
  pid: number;
  state: RunState;
  want: Want;
  paused: boolean;
  termSent: boolean;
  /** start of the current state, as written to supervise/status */
  start: WallTime;
  /** raw wait status of the last ./run, handed to ./finish */
  wstat: number;
}

export interface MachineState {
  main: SideState;
  /** null when the service has no log/ directory */
  log: SideState | null;
  /** runit's single `pidchanged` flag, shared by main and log */
  pidChanged: boolean;
  logPipeOpen: boolean;
  exited: boolean;
  /**
   * tsinit's dependencies.d/: the first start of ./run waits (the supervisor
   * sends 'release' when the dependencies are ready). `sv up`/`sv once`
   * start it anyway, as under runit; nothing else changes meaning.
   */
  held: boolean;
  /**
   * A stop was requested (SIGTERM to runsv, tsinit's shutdown, the service's
   * removal): nothing is started again, whatever happens afterwards (a crash,
   * `sv up`, `sv once`, a pause or timer that ends). Only ./finish still
   * runs, once after each end of ./run. Never cleared: tsinit's rule
   * "shutdown never starts anything" (runit's runsv would obey a later `u`).
   */
  stopping: boolean;
}

export type Signal = 'TERM' | 'KILL' | 'CONT' | 'STOP' | 'HUP' | 'ALRM' | 'INT' | 'QUIT' | 'USR1' | 'USR2';

/** Timers of tsinit's extensions (restart-backoff, timeout-kill); runit's own pauses are 'sleep'. */
export type TimerName = 'backoff' | 'kill';

/** Things the machine asks the effect layer to do; each gets a reply. */
export type Action =
  /**
   * spawn ./run or ./finish; reply: the pid (negative when exec failed: an
   * exit 111 event follows), or false when no process could be created
   * (runit's fork failure: sleep 5 s and try again)
   */
  | { type: 'spawn'; side: Side; argv: string[] }
  /** kill(pid, sig); sig is a name without SIG (down-signal may name any); reply ignored */
  | { type: 'kill'; side: Side; pid: number; signal: Signal | (string & {}) }
  /** write pid (if writePid), stat and status; reply: false when the pid file could not be written */
  | { type: 'write-status'; side: Side; status: ServiceStatus; writePid: boolean }
  /** run control/<c> if present and owner-executable, wait for it; reply: true when it exited 0 */
  | { type: 'control-script'; c: string }
  /** can ./finish be opened for reading? reply: boolean */
  | { type: 'has-finish' }
  /** block this service for ms milliseconds (runit's sleep(1)); reply ignored */
  | { type: 'sleep'; ms: number }
  /** close both ends of the log pipe so the logger sees EOF; reply ignored */
  | { type: 'close-log-pipe' }
  /** runsv is done with this exit code; reply ignored */
  | { type: 'exit'; code: number }
  /**
   * Handled by the driver: take from the queue the first pending control byte
   * of each side and a pending SIGTERM. runit reads them in the same loop
   * iteration as the reaping, before it restarts anything.
   */
  | { type: 'take-control' }
  /**
   * Arm (or re-arm) the named one-shot timer; when it fires the effect layer
   * posts { type: 'timer', name, gen }. Unlike 'sleep' it blocks nothing:
   * commands are handled while it runs. Reply ignored.
   */
  | { type: 'timer'; name: TimerName; ms: number; gen: number }
  /** disarm the named timer; reply ignored */
  | { type: 'cancel-timer'; name: TimerName };

/** What the driver hands back for take-control. */
export interface Taken {
  main?: number;
  log?: number;
  term: boolean;
}

export type Reply = number | boolean | Taken | undefined;

export type Event =
  | { type: 'start' }
  | { type: 'exit'; pid: number; wstat: number }
  | { type: 'control'; side: Side; byte: number }
  | { type: 'term' }
  /**
   * tsinit's shutdown has begun: start nothing more, but leave what runs to
   * a later 'term' (the supervisor stops services in dependency order)
   */
  | { type: 'shutdown' }
  /** the dependencies are ready: a held first start may go ahead */
  | { type: 'release' }
  | { type: 'timer'; name: TimerName; gen: number };

/** Facts the machine reports as they happen (events, the essential hook); not actions. */
export type MachineNote =
  | { kind: 'restarting'; pauseMs: number; crashes: number }
  | { kind: 'essential-ended'; code: number; reason: string };

/** tsinit's own counters for the main service (supervise/tsinit-status.json). */
export interface PolicyState {
  /** starts of ./run after the first one */
  restarts: number;
  lastExit: ExitInfo | null;
  /** consecutive exits of ./run that came sooner than the reset time (runit: 1 s) */
  crashes: number;
  /** the restart pause in progress */
  backoff: { pauseMs: number; untilMs: number; crashes: number } | null;
}

export interface MachineOptions {
  policy?: MachinePolicy;
  notify?: (note: MachineNote) => void;
}

export type Step = Generator<Action, void, Reply>;

export type Clock = () => WallTime;

export function initialSide(now: WallTime, wantDown: boolean): SideState {
  return { pid: 0, state: 'down', want: wantDown ? 'down' : 'up', paused: false, termSent: false, start: now, wstat: 0 };
}

export function initialState(
  now: WallTime,
  opts: { down: boolean; log: { down: boolean } | null; hold?: boolean },
): MachineState {
  return {
    main: initialSide(now, opts.down),
    log: opts.log ? initialSide(now, opts.log.down) : null,
    pidChanged: true,
    logPipeOpen: opts.log !== null,
    exited: false,
    held: opts.hold === true,
    stopping: false,
  };
}

/** a < b */
export function timeLess(a: WallTime, b: WallTime): boolean {
  return a.sec < b.sec || (a.sec === b.sec && a.usec < b.usec);
}

export function plusSecond(t: WallTime): WallTime {
  return { sec: t.sec + 1, usec: t.usec };
}

export function statusOf(s: SideState): ServiceStatus {
  return {
    since: s.start,
    pid: s.pid > 0 ? s.pid : 0,
    paused: s.paused,
    want: s.want,
    termSent: s.termSent,
    state: s.state,
  };
}

/** ./finish's arguments: exit code (or -1 when killed by a signal) and the low byte of the wait status. */
export function finishArgs(wstat: number): [string, string] {
  const crashed = (wstat & 0x7f) !== 0;
  return [crashed ? '-1' : String((wstat >> 8) & 0xff), String(wstat & 0xff)];
}

const signalFor: Record<string, Signal> = { a: 'ALRM', h: 'HUP', i: 'INT', q: 'QUIT', '1': 'USR1', '2': 'USR2' };

function wallMs(t: WallTime): number {
  return t.sec * 1000 + Math.floor(t.usec / 1000);
}

export class ServiceMachine {
  readonly s: MachineState;
  readonly p: PolicyState = { restarts: 0, lastExit: null, crashes: 0, backoff: null };
  private readonly now: Clock;
  private readonly policy: MachinePolicy;
  private readonly notify: (note: MachineNote) => void;
  private started = false;
  /** tsinit itself stopped ./run (sv down, restart, k, shutdown): its exit is no crash */
  private stopRequested = false;
  /** the last end of ./run was asked for by tsinit: restart without a pause */
  private lastRequested = false;
  /** consecutive deaths within 1 s of an essential service */
  private quickDeaths = 0;
  private backoffPending = false;
  private backoffGen = 0;
  private killArmed = false;
  private killGen = 0;
  private killPid = 0;

  constructor(state: MachineState, now: Clock, opts: MachineOptions = {}) {
    this.s = state;
    this.now = now;
    this.policy = opts.policy ?? NO_POLICY;
    this.notify = opts.notify ?? (() => {});
  }

  private note(n: MachineNote): void {
    try {
      this.notify(n);
    } catch {
      // an observer's failure is no reason to stop supervising
    }
  }

  /**
   * Mark the stop request at once, outside the event queue: a step blocked
   * in a control script or the 1 s pause must see it before it spawns.
   * Pure (state only); the driver calls it as 'term' or 'shutdown' arrives.
   */
  beginShutdown(): void {
    this.s.stopping = true;
  }

  private side(side: Side): SideState {
    const st = side === 'main' ? this.s.main : this.s.log;
    if (!st) throw new Error('no log service');
    return st;
  }

  /** Handle one event, then runsv's end-of-iteration exit check and start-of-iteration starts. */
  *step(ev: Event): Step {
    if (this.s.exited) return;
    switch (ev.type) {
      case 'start':
        break;
      case 'exit': {
        yield* this.reap(ev.pid, ev.wstat);
        // Commands that came meanwhile (e.g. `d` during the 1 s pause) are
        // read before the restart below, as in runit's loop.
        const taken = yield { type: 'take-control' };
        if (taken && typeof taken === 'object') {
          if (taken.main !== undefined) yield* this.ctrl('main', String.fromCharCode(taken.main));
          if (taken.log !== undefined && this.s.log) yield* this.ctrl('log', String.fromCharCode(taken.log));
          if (taken.term) yield* this.ctrl('main', 'x');
        }
        break;
      }
      case 'control':
        if (ev.side === 'log' && !this.s.log) break;
        yield* this.ctrl(ev.side, String.fromCharCode(ev.byte));
        break;
      case 'term':
        this.s.stopping = true;
        yield* this.ctrl('main', 'x');
        break;
      case 'shutdown':
        this.s.stopping = true;
        yield* this.cancelBackoff();
        break;
      case 'release':
        this.s.held = false;
        break;
      case 'timer':
        yield* this.onTimer(ev.name, ev.gen);
        break;
    }
    const main = this.s.main;
    const log = this.s.log;
    if (main.want === 'exit' && main.state === 'down') {
      if (!log || log.pid === 0) {
        this.s.exited = true;
        yield { type: 'exit', code: 0 };
        return;
      }
      if (log.want !== 'exit') {
        log.want = 'exit';
        yield* this.update('log');
        this.s.logPipeOpen = false;
        yield { type: 'close-log-pipe' };
      }
    }
    if (log && log.pid === 0 && log.want === 'up' && !this.s.stopping) yield* this.startService('log');
    if (main.pid === 0 && (main.state === 'finish' || (main.want === 'up' && !this.s.held && !this.s.stopping)) && !this.backoffPending) {
      yield* this.startService('main');
    }
  }

  private *update(side: Side): Step {
    const writePid = this.s.pidChanged;
    const ok = yield { type: 'write-status', side, status: statusOf(this.side(side)), writePid };
    if (writePid && ok !== false) this.s.pidChanged = false;
  }

  /** control/<c>: main service only; true when it handled the command. */
  private *custom(side: Side, c: string): Generator<Action, boolean, Reply> {
    if (side === 'log') return false;
    const r = yield { type: 'control-script', c };
    return r === true;
  }

  private *kill(side: Side, pid: number, signal: Signal | (string & {})): Step {
    // pid 0 or negative would address a process group: never.
    if (pid > 0) yield { type: 'kill', side, pid, signal };
  }

  private *stop(side: Side): Step {
    const s = this.side(side);
    // down-signal replaces TERM; control/t, and with a down-signal also
    // control/d (sv down) or control/x (exit), still win when they exit 0.
    const downSignal = side === 'main' ? this.policy.downSignal : null;
    const cmd = s.want === 'down' ? 'd' : s.want === 'exit' ? 'x' : null;
    let ranCmd = false;
    if (side === 'main' && s.pid !== 0) this.stopRequested = true;
    if (s.pid !== 0) {
      let handled = yield* this.custom(side, 't');
      if (!handled && downSignal !== null && cmd !== null) {
        ranCmd = true;
        handled = yield* this.custom(side, cmd);
      }
      if (!handled) {
        yield* this.kill(side, s.pid, downSignal ?? 'TERM');
        s.termSent = true;
        yield* this.update(side);
        if (side === 'main') yield* this.armKill(s.pid);
      }
    }
    if (s.want === 'down') {
      yield* this.kill(side, s.pid, 'CONT');
      if (!ranCmd) yield* this.custom(side, 'd');
      return;
    }
    if (s.want === 'exit') {
      yield* this.kill(side, s.pid, 'CONT');
      if (!ranCmd) yield* this.custom(side, 'x');
    }
  }

  /** timeout-kill: KILL the process if it still runs this long after its down signal. */
  private *armKill(pid: number): Step {
    const ms = this.policy.timeoutKillMs;
    if (ms === null || pid <= 0) return;
    if (this.killArmed && this.killPid === pid) return; // the first signal's deadline holds
    this.killArmed = true;
    this.killPid = pid;
    this.killGen++;
    yield { type: 'timer', name: 'kill', ms, gen: this.killGen };
  }

  private *onTimer(name: TimerName, gen: number): Step {
    if (name === 'backoff') {
      if (!this.backoffPending || gen !== this.backoffGen) return; // cancelled meanwhile
      this.backoffPending = false;
      this.p.backoff = null;
      return; // the end of step() starts ./run
    }
    if (!this.killArmed || gen !== this.killGen) return;
    this.killArmed = false;
    const main = this.s.main;
    if (main.pid > 0 && main.pid === this.killPid) yield* this.kill('main', main.pid, 'KILL');
  }

  /** A pending restart-backoff pause ends now: sv up/down/once/exit do not wait for it. */
  private *cancelBackoff(): Step {
    if (!this.backoffPending) return;
    this.backoffPending = false;
    this.p.backoff = null;
    yield { type: 'cancel-timer', name: 'backoff' };
  }

  /** ./run ended: tsinit's bookkeeping (counters, essential, timeout-kill). */
  private *runEnded(pid: number, wstat: number): Step {
    const main = this.s.main;
    const lived = wallMs(this.now()) - wallMs(main.start);
    // During a shutdown no end is unexpected: it is not restarted, and an
    // essential service dying meanwhile does not override the exit code.
    const unexpected = main.want === 'up' && !this.stopRequested && !this.s.stopping;
    this.stopRequested = false;
    this.lastRequested = !unexpected;
    this.p.lastExit = exitInfoOf(wstat);
    const resetMs = this.policy.restartBackoff?.resetAfterMs ?? QUICK_DEATH_MS;
    this.p.crashes = unexpected && lived < resetMs ? this.p.crashes + 1 : 0;
    if (this.killArmed) {
      this.killArmed = false;
      yield { type: 'cancel-timer', name: 'kill' };
    }
    const v = essentialVerdict(this.policy.essential, this.policy.essentialAttempts, {
      wstat,
      execFailed: pid < 0,
      livedMs: lived,
      unexpected,
      quickDeaths: this.quickDeaths,
    });
    if (v.kind === 'none') {
      this.quickDeaths = v.quickDeaths;
      return;
    }
    // It ended the container: it is not started again (the shutdown follows).
    this.quickDeaths = 0;
    main.want = 'down';
    this.note({ kind: 'essential-ended', code: v.code, reason: v.reason });
  }

  /** restart-backoff's pause before the next start; commands are not held up by it. */
  private *backoff(): Step {
    const b = this.policy.restartBackoff;
    const main = this.s.main;
    if (!b || main.want !== 'up' || this.s.stopping) return;
    const crashes = this.p.crashes;
    const pauseMs = this.lastRequested ? 0 : crashes === 0 ? b.initialMs : backoffPause(b, crashes);
    this.note({ kind: 'restarting', pauseMs, crashes });
    if (pauseMs <= 0) return;
    this.backoffPending = true;
    this.backoffGen++;
    this.p.backoff = { pauseMs, untilMs: wallMs(this.now()) + pauseMs, crashes };
    yield { type: 'timer', name: 'backoff', ms: pauseMs, gen: this.backoffGen };
  }

  /** After a stop request only ./finish may start (the end of a ./run that ran). */
  private mayStart(s: SideState): boolean {
    return !this.s.stopping || s.state === 'finish';
  }

  private *startService(side: Side): Step {
    const s = this.side(side);
    if (!this.mayStart(s)) return;
    let argv: string[];
    if (s.state === 'finish') {
      argv = ['./finish', ...finishArgs(s.wstat)];
    } else {
      argv = ['./run'];
      if (side === 'main') {
        yield* this.cancelBackoff();
        if (this.started) this.p.restarts++;
        this.started = true;
      }
      yield* this.custom(side, 'u');
      // The stop may have come while control/u ran.
      if (!this.mayStart(s)) return;
    }
    // Only after `k` (state down, child not reaped yet): runit stops the old one.
    if (s.pid !== 0) yield* this.stop(side);
    let pid = yield { type: 'spawn', side, argv };
    while (pid === false) {
      yield { type: 'sleep', ms: 5000 };
      if (!this.mayStart(s)) return;
      pid = yield { type: 'spawn', side, argv };
    }
    if (s.state !== 'finish') {
      s.start = this.now();
      s.state = 'run';
    }
    s.pid = typeof pid === 'number' ? pid : 0;
    this.s.pidChanged = true;
    s.paused = false;
    s.termSent = false;
    yield* this.update(side);
  }

  private *reap(pid: number, wstat: number): Step {
    const main = this.s.main;
    if (pid !== 0 && pid === main.pid) {
      const runEnded = main.state !== 'finish';
      main.pid = 0;
      this.s.pidChanged = true;
      main.wstat = wstat;
      main.termSent = false;
      if (runEnded) yield* this.runEnded(pid, wstat);
      if (main.state !== 'finish' && (yield { type: 'has-finish' }) === true) {
        main.state = 'finish';
        yield* this.update('main');
        return;
      }
      main.state = 'down';
      const deadline = plusSecond(main.start);
      main.start = this.now();
      yield* this.update('main');
      if (this.policy.restartBackoff) {
        yield* this.backoff();
        return;
      }
      // runit's rule: a blocking 1 s pause when ./run (and ./finish) lasted less than 1 s.
      // Nothing follows the pause once stopping: no pause either.
      const quick = timeLess(main.start, deadline) && !this.s.stopping;
      if (main.want === 'up' && !this.s.stopping) this.note({ kind: 'restarting', pauseMs: quick ? 1000 : 0, crashes: this.p.crashes });
      if (quick) {
        this.p.backoff = { pauseMs: 1000, untilMs: wallMs(main.start) + 1000, crashes: this.p.crashes };
        yield { type: 'sleep', ms: 1000 };
        this.p.backoff = null;
      }
      return;
    }
    const log = this.s.log;
    if (log && pid !== 0 && pid === log.pid) {
      log.pid = 0;
      this.s.pidChanged = true;
      log.state = 'down';
      log.termSent = false;
      const deadline = plusSecond(log.start);
      log.start = this.now();
      yield* this.update('log');
      if (timeLess(log.start, deadline) && !this.s.stopping) yield { type: 'sleep', ms: 1000 };
    }
  }

  private *ctrl(side: Side, c: string): Step {
    const s = this.side(side);
    // Stopping: `u` and `o` would start ./run, and any want but exit would
    // keep runsv from ending; they are ignored (t, k and signals still work).
    if (this.s.stopping && (c === 'u' || c === 'o' || (c === 'd' && s.want === 'exit'))) return;
    switch (c) {
      case 'd':
        if (side === 'main') yield* this.cancelBackoff();
        s.want = 'down';
        yield* this.update(side);
        if (s.state === 'run') yield* this.stop(side);
        break;
      case 'u':
        if (side === 'main') this.s.held = false;
        s.want = 'up';
        yield* this.update(side);
        if (s.state === 'down') yield* this.startService(side);
        break;
      case 'x':
        if (side === 'log') break;
        yield* this.cancelBackoff();
        s.want = 'exit';
        yield* this.update(side);
        if (s.state === 'run') yield* this.stop(side);
        break;
      case 't':
        if (s.state === 'run') yield* this.stop(side);
        break;
      case 'k':
        if (side === 'main' && s.state === 'run') this.stopRequested = true;
        if (s.state === 'run' && !(yield* this.custom(side, c))) yield* this.kill(side, s.pid, 'KILL');
        s.state = 'down';
        break;
      case 'p':
        if (s.state === 'run' && !(yield* this.custom(side, c))) yield* this.kill(side, s.pid, 'STOP');
        s.paused = true;
        yield* this.update(side);
        break;
      case 'c':
        if (s.state === 'run' && !(yield* this.custom(side, c))) yield* this.kill(side, s.pid, 'CONT');
        s.paused = false;
        yield* this.update(side);
        break;
      case 'o':
        if (side === 'main') this.s.held = false;
        if (side === 'main') yield* this.cancelBackoff();
        s.want = 'down';
        yield* this.update(side);
        if (s.state === 'down') yield* this.startService(side);
        break;
      case 'a':
      case 'h':
      case 'i':
      case 'q':
      case '1':
      case '2': {
        const sig = signalFor[c];
        if (sig && s.state === 'run' && !(yield* this.custom(side, c))) yield* this.kill(side, s.pid, sig);
        break;
      }
      default:
        // any other byte is ignored, as by runit
        break;
    }
  }
}
