// tsinit as runit: stages 1, 2, 3 from the runit directory, stage 2 restarts,
// and the shutdown sequence that turns docker stop into an orderly stage 3
// within one time budget.
import os from 'node:os';
import type { Logger } from 'pino';
import { forkFailed, spawnChild } from '../process/spawn.ts';
import { describeExit, type ExitStatus } from '../process/wait-status.ts';
import { errstrOf } from '../util/errstr.ts';
import { VERSION } from '../version.ts';
import { shutdownDeadlines } from './budget.ts';
import { stagePath, type InitConfig } from './config.ts';
import { stageModeExitCode } from './exit-codes.ts';
import { ContainerExitCode } from './exit-code.ts';
import type { HaltChannel } from '../runtime/halt-request.ts';
import { raceDeadline, waitNoChildren, type InitSystem } from './system.ts';
import { restOfBudget, runStopDelay } from './stop-delay.ts';
import { emitEvent } from '../events/bus.ts';

const SIG = os.constants.signals;

/** What stage 2 is: a user's /etc/runit/2, or the built-in supervisor. */
export interface BuiltinStage2 {
  start(): void;
  rescan(): void;
  stopAll(): Promise<void>;
  pids(): number[];
}

export type BuiltinFactory = (serviceDir: string) => Promise<BuiltinStage2>;

interface StageProcess {
  path: string;
  pid: number;
  exit: Promise<ExitStatus>;
  exited: boolean;
}

/** runit pauses this long before it tries a failed fork for a stage again. */
const FORK_RETRY_MS = 5000;

type StageOutcome =
  | { kind: 'exited'; status: ExitStatus }
  | { kind: 'spawn-failed' }
  | { kind: 'missing' }
  /** shutdown requested, and stage 1 survived even SIGKILL within its share of the budget */
  | { kind: 'abandoned' };

export interface StageModeDeps {
  cfg: InitConfig;
  sys: InitSystem;
  log: Logger;
  builtin: BuiltinFactory;
  /** TSINIT_STOP_DELAY in ms (stop-delay.ts); 0 or absent: none */
  stopDelayMs?: number;
  /** called once, at the moment a shutdown is requested (readiness turns false) */
  onStopping?: () => void;
  /** called as stage 2 (a user's script or the built-in supervisor) begins */
  onStage2?: () => void;
  /** `tsinit halt`'s requests (runtime/halt-request.ts); none: SIGCONT is runit's stopit only */
  halt?: HaltChannel;
}

/** The shutdown-phase event at a phase's start and end. */
function phase(name: string, state: 'started' | 'ended'): void {
  emitEvent({ type: 'shutdown-phase', phase: name, state });
}

export class StageMode {
  private readonly cfg: InitConfig;
  private readonly sys: InitSystem;
  private readonly log: Logger;
  private readonly builtinFactory: BuiltinFactory;
  private readonly stopDelayMs: number;
  private readonly onStopping: () => void;
  private readonly onStage2: () => void;
  private stoppingAnnounced = false;
  private resolveForced: () => void = () => {};
  private readonly forcedRequested: Promise<void>;

  private stage: 0 | 1 | 2 | 3 | 4 = 0;
  private current: StageProcess | undefined;
  private builtin: BuiltinStage2 | undefined;
  private shutdownReason: string | undefined;
  /** when the shutdown was requested: the budget counts from here, whatever the stage */
  private shutdownStart: number | undefined;
  private forced = false;
  private resolveShutdown: () => void = () => {};
  private readonly shutdownRequested: Promise<void>;
  private stage1Failed = false;
  private stage3Failed = false;
  /** set by an essential service or `tsinit halt CODE`: the first one wins */
  readonly exitCode = new ContainerExitCode();
  private readonly haltChannel: HaltChannel | undefined;

  constructor(deps: StageModeDeps) {
    this.haltChannel = deps.halt;
    this.cfg = deps.cfg;
    this.sys = deps.sys;
    this.log = deps.log;
    this.builtinFactory = deps.builtin;
    this.stopDelayMs = deps.stopDelayMs ?? 0;
    this.onStopping = deps.onStopping ?? (() => {});
    this.onStage2 = deps.onStage2 ?? (() => {});
    this.forcedRequested = new Promise((r) => {
      this.resolveForced = r;
    });
    this.shutdownRequested = new Promise((r) => {
      this.resolveShutdown = r;
    });
  }

  /** Runs the three stages; resolves with tsinit's exit code. */
  async run(): Promise<number> {
    this.log.info(`tsinit ${VERSION}: booting.`);
    this.stage = 1;
    const s1 = await this.runStage(1);
    let skipStage2 = false;
    if (s1.kind === 'spawn-failed') this.stage1Failed = true;
    if (s1.kind === 'abandoned') this.log.info(`leave stage: ${stagePath(this.cfg, 1)}`);
    if (s1.kind === 'exited') {
      const st = s1.status;
      if (st.code === 100) {
        this.log.info(`leave stage: ${stagePath(this.cfg, 1)}`);
        this.log.warn('skipping stage 2...');
        skipStage2 = true;
      } else {
        if (st.code !== 0) {
          this.log.warn({ status: describeExit(st) }, `child failed: ${stagePath(this.cfg, 1)}`);
          // A stage 1 stopped by our own shutdown request is not its failure.
          if (this.shutdownReason === undefined) this.stage1Failed = true;
        }
        this.log.info(`leave stage: ${stagePath(this.cfg, 1)}`);
      }
    }
    if (!skipStage2 && this.shutdownReason === undefined) {
      this.stage = 2;
      await this.runStage2();
    }
    await this.shutdown();
    const set = this.exitCode.get();
    if (set) return set.code;
    return stageModeExitCode({ stage1Failed: this.stage1Failed, stage3Failed: this.stage3Failed });
  }

  /**
   * Shut down and, when code is not null, set the container's exit code
   * unless one is set already (an essential service that ended, `tsinit halt CODE`).
   */
  halt(code: number | null, by: string): void {
    if (code !== null) {
      if (this.exitCode.set(code, by)) {
        this.log.info(`exit code ${code} set by ${by}`);
        emitEvent({ type: 'exit-code', code, by });
      } else {
        const first = this.exitCode.get();
        this.log.info(`exit code ${code} from ${by} ignored: ${first?.code} was set first by ${first?.by}`);
      }
    }
    this.requestShutdown(`halt by ${by}`);
  }

  /** Command mode runs only stage 1; true when it succeeded or is absent. */
  async runStage1Only(): Promise<boolean> {
    this.stage = 1;
    const s1 = await this.runStage(1);
    if (s1.kind === 'spawn-failed' || s1.kind === 'abandoned') return false;
    if (s1.kind === 'missing') return true;
    this.log.info(`leave stage: ${stagePath(this.cfg, 1)}`);
    return s1.status.code === 0;
  }

  /** A shutdown was requested (command mode asks after stage 1). */
  stopRequested(): boolean {
    return this.shutdownReason !== undefined;
  }

  /** Command mode, during stage 1: TERM, INT or PWR end stage 1 within the budget. */
  requestStop(reason: string): void {
    this.requestShutdown(reason);
  }

  // ---- signals -------------------------------------------------------------

  /** Entry point for every signal tsinit receives in stage mode. */
  handleSignal(name: NodeJS.Signals): void {
    switch (name) {
      case 'SIGTERM':
      case 'SIGPWR':
        this.requestShutdown(name);
        return;
      case 'SIGCONT': {
        const req = this.haltChannel?.take();
        if (req) {
          this.halt(req.code, req.by);
          return;
        }
        const stopit = this.cfg.stopitFiles.find((f) => this.sys.ownerExecutable(f));
        if (stopit === undefined) {
          this.log.debug('SIGCONT without an executable stopit file: ignored');
          return;
        }
        try {
          this.sys.chmod(stopit, 0);
        } catch (e) {
          this.log.warn(`unable to chmod ${stopit}: ${errstrOf(e)}`);
        }
        this.requestShutdown(`SIGCONT (${stopit})`);
        return;
      }
      case 'SIGINT':
        void this.ctrlAltDel();
        return;
      case 'SIGALRM':
        // Debian's runit forwards ALRM to stage 2 (runsvdir: forced rescan).
        if (this.stage === 2) {
          if (this.builtin) this.builtin.rescan();
          else if (this.current && !this.current.exited) this.sys.killPid(this.current.pid, SIG.SIGALRM);
        }
        return;
      default:
        this.log.debug(`${name} ignored`);
    }
  }

  private async ctrlAltDel(): Promise<void> {
    if (this.shutdownReason !== undefined) {
      this.requestShutdown('SIGINT');
      return;
    }
    const path = this.cfg.ctrlaltdel;
    if (this.sys.ownerExecutable(path)) {
      this.log.info('ctrl-alt-del request...');
      const p = this.startProcess(path, false);
      if (p && p !== 'fork-failed') {
        await p.exit;
        this.log.info(`leave stage: ${path}`);
      }
    }
    this.requestShutdown('SIGINT');
  }

  private requestShutdown(reason: string): void {
    if (this.shutdownReason !== undefined) {
      if (reason === 'SIGTERM' || reason === 'SIGINT') this.forceKill();
      return;
    }
    this.shutdownReason = reason;
    this.shutdownStart = this.sys.now();
    this.log.info(`shutdown requested: ${reason}`);
    this.announceStopping();
    if (this.stage === 1 && this.current && !this.current.exited) {
      // Containers must stop even during a long stage 1: end it, skip stage 2.
      this.sys.killGroup(this.current.pid, SIG.SIGTERM);
      this.sys.killGroup(this.current.pid, SIG.SIGCONT);
    }
    this.resolveShutdown();
  }

  /** Readiness turns false (once): at the request, or when stage 2 ended by itself. */
  private announceStopping(): void {
    if (this.stoppingAnnounced) return;
    this.stoppingAnnounced = true;
    try {
      this.onStopping();
    } catch (e) {
      this.log.warn(`unable to announce the shutdown: ${errstrOf(e)}`);
    }
  }

  /** A second TERM during shutdown: no more waiting, KILL everything. */
  private forceKill(): void {
    if (this.forced) return;
    this.forced = true;
    this.resolveForced();
    this.log.warn('second shutdown request: sending KILL signal to all processes...');
    this.sys.killAll(SIG.SIGKILL);
  }

  // ---- stages --------------------------------------------------------------

  /**
   * startProcess, but a failed fork (the process limit) is runit's
   * `unable to fork for "PATH" pausing` and another try 5 s later, until
   * giveUp settles or the deadline passes.
   */
  private async startRetrying(path: string, giveUp: Promise<unknown>, deadline = Infinity): Promise<StageProcess | undefined> {
    for (;;) {
      const p = this.startProcess(path);
      if (p !== 'fork-failed') return p;
      const now = this.sys.now();
      if (now >= deadline) return undefined;
      if (await raceDeadline(giveUp, Math.min(now + FORK_RETRY_MS, deadline), () => this.sys.now())) return undefined;
    }
  }

  private startProcess(path: string, announce = true): StageProcess | undefined | 'fork-failed' {
    if (announce) this.log.info(`enter stage: ${path}`);
    let resolve: (s: ExitStatus) => void = () => {};
    const exit = new Promise<ExitStatus>((r) => {
      resolve = r;
    });
    try {
      const proc: StageProcess = { path, pid: 0, exit, exited: false };
      proc.pid = spawnChild({
        path,
        argv: [path],
        setsid: true,
        onExit: (st) => {
          proc.exited = true;
          resolve(st);
        },
      });
      return proc;
    } catch (e) {
      if (forkFailed(e)) {
        this.log.fatal(`unable to fork for "${path}" pausing: ${errstrOf(e)}`);
        return 'fork-failed';
      }
      this.log.fatal(`unable to start child: ${path}: ${errstrOf(e)}`);
      return undefined;
    }
  }

  private async runStage(n: 1 | 3): Promise<StageOutcome> {
    const path = stagePath(this.cfg, n);
    if (!this.sys.exists(path)) {
      this.log.debug(`no ${path}: stage ${n} skipped`);
      return { kind: 'missing' };
    }
    if (n === 1 && this.shutdownReason !== undefined) {
      this.log.info(`shutdown requested before stage 1: ${path} skipped`);
      return { kind: 'missing' };
    }
    const proc = await this.startRetrying(path, this.shutdownRequested);
    if (!proc) return { kind: 'spawn-failed' };
    this.current = proc;
    const status = n === 1 ? await this.awaitStage1(proc) : await proc.exit;
    this.current = undefined;
    return status ? { kind: 'exited', status } : { kind: 'abandoned' };
  }

  /**
   * Stage 1 runs as long as it needs, until a shutdown is requested: then
   * (TERM and CONT already sent) it gets the same share of the budget as
   * stage 2, then SIGKILL, so a stage 1 that ignores TERM cannot keep the
   * container alive.
   */
  private async awaitStage1(proc: StageProcess): Promise<ExitStatus | undefined> {
    const first = await Promise.race([proc.exit, this.shutdownRequested.then(() => undefined)]);
    if (first) return first;
    const now = (): number => this.sys.now();
    const dl = shutdownDeadlines(this.shutdownStart ?? now(), this.cfg.shutdownTimeoutMs);
    if (await raceDeadline(proc.exit, dl.stage2Kill, now)) return proc.exit;
    this.log.warn('stage 1 not terminated, sending sigkill...');
    this.sys.killGroup(proc.pid, SIG.SIGKILL);
    if (await raceDeadline(proc.exit, dl.stage3Kill, now)) return proc.exit;
    this.log.warn(`unable to reap ${proc.path} (pid ${proc.pid}) after sigkill: going on`);
    return undefined;
  }

  private async runStage2(): Promise<void> {
    const path = stagePath(this.cfg, 2);
    this.onStage2();
    if (!this.sys.exists(path)) {
      this.log.info(`enter stage: ${path} (built-in supervisor on ${this.cfg.serviceDir})`);
      try {
        this.builtin = await this.builtinFactory(this.cfg.serviceDir);
        this.builtin.start();
      } catch (e) {
        this.log.error(`unable to start the supervisor on ${this.cfg.serviceDir}: ${errstrOf(e)}`);
      }
      await this.shutdownRequested;
      return;
    }
    for (;;) {
      const proc = await this.startRetrying(path, this.shutdownRequested);
      if (!proc && this.shutdownReason !== undefined) return;
      let restart = true;
      if (proc) {
        this.current = proc;
        const outcome = await Promise.race([proc.exit, this.shutdownRequested.then(() => undefined)]);
        if (outcome === undefined) return; // shutdown() stops it
        this.current = undefined;
        restart = outcome.code === 111 || outcome.signal !== null;
        if (!restart) {
          if (outcome.code !== 0) this.log.warn({ status: describeExit(outcome) }, `child failed: ${path}`);
          this.log.info(`leave stage: ${path}`);
          return;
        }
        this.log.warn({ status: describeExit(outcome) }, `child ${outcome.signal !== null ? 'crashed' : 'failed'}: ${path}`);
        this.log.warn('killing all processes in stage 2...');
        this.sys.killGroup(proc.pid, SIG.SIGKILL);
        // runsvdir -P's services lead sessions of their own: runit's group
        // KILL misses them, and its runsv's would go on supervising them. Here
        // their supervisor died with stage 2, so they are orphans now, and the
        // next stage 2 would start them a second time: they go too.
        this.sys.killOrphans(SIG.SIGKILL);
      }
      const stop = await raceDeadline(this.shutdownRequested, this.sys.now() + this.cfg.stage2RestartPauseMs, () => this.sys.now());
      if (stop) return;
      this.log.warn('restarting.');
    }
  }

  // ---- shutdown ------------------------------------------------------------

  private async shutdown(): Promise<void> {
    const now = (): number => this.sys.now();
    // The budget counts from the request (a long stage 1 or the drain use it up too).
    const start = this.shutdownStart ?? now();
    this.announceStopping();
    // 0. Drain (TSINIT_STOP_DELAY): the services keep running while readiness
    // is already false; the delay counts against the budget from the request.
    if (this.stopDelayMs > 0 && this.stage === 2 && this.shutdownReason !== undefined && !this.forced) {
      await runStopDelay(this.stopDelayMs - (now() - start), this.forcedRequested, now, raceDeadline);
    }
    const dl = shutdownDeadlines(now(), restOfBudget(this.cfg.shutdownTimeoutMs, now() - start));

    // 1. Stop stage 2.
    if (this.stage === 2) {
      phase('stage2', 'started');
      const s2 = this.current;
      if (s2 && !s2.exited) {
        // As runit: TERM to stage 2's pid only, never its process group. Under
        // Debian's /etc/runit/2 that is runsvdir -P, which stops its services
        // itself (they sit in sessions of their own); a TERM to the group
        // reached them behind runsvdir's back, and they were restarted.
        this.sys.killPid(s2.pid, SIG.SIGTERM);
        this.sys.killPid(s2.pid, SIG.SIGCONT);
        if (!(await raceDeadline(s2.exit, dl.stage2Kill, now))) {
          this.log.warn('stage 2 not terminated, sending sigkill...');
          this.sys.killPid(s2.pid, SIG.SIGKILL);
          await raceDeadline(s2.exit, dl.stage3Kill, now);
        }
        this.log.info(`leave stage: ${s2.path}`);
      } else if (this.builtin) {
        const b = this.builtin;
        const stopped = b.stopAll();
        if (!(await raceDeadline(stopped, dl.stage2Kill, now))) {
          this.log.warn('services not terminated, sending sigkill...');
          for (const pid of b.pids()) this.sys.killPid(pid, SIG.SIGKILL);
          await raceDeadline(stopped, dl.stage3Kill, now);
        }
        this.log.info(`leave stage: ${stagePath(this.cfg, 2)}`);
      }
      this.current = undefined;
      phase('stage2', 'ended');
    }

    // 2. Stage 3, unless a second TERM asked for no more waiting.
    this.stage = 3;
    if (!this.forced) {
      const path = stagePath(this.cfg, 3);
      if (this.sys.exists(path)) {
        phase('stage3', 'started');
        const proc = await this.startRetrying(path, new Promise(() => {}), dl.stage3Kill);
        if (!proc) this.stage3Failed = true;
        else {
          this.current = proc;
          if (!(await raceDeadline(proc.exit, dl.stage3Kill, now))) {
            this.log.warn('stage 3 not terminated, sending sigkill...');
            this.sys.killGroup(proc.pid, SIG.SIGKILL);
            this.stage3Failed = true;
            await raceDeadline(proc.exit, dl.finalKill, now);
          } else {
            const st = await proc.exit;
            if (st.code !== 0) {
              this.log.warn({ status: describeExit(st) }, `child failed: ${path}`);
              if (!this.forced) this.stage3Failed = true;
            }
          }
          this.log.info(`leave stage: ${path}`);
          this.current = undefined;
        }
        phase('stage3', 'ended');
      }
    }

    // 3. Whatever is left: TERM, then KILL at the deadline; done as soon as nothing is left.
    this.stage = 4;
    if (this.sys.hasChildren()) {
      phase('kill-all', 'started');
      this.log.info('sending TERM signal to all processes...');
      this.sys.killAll(SIG.SIGTERM);
      this.sys.killAll(SIG.SIGCONT);
      if (!(await waitNoChildren(this.sys, dl.finalKill))) {
        this.log.warn('sending KILL signal to all processes...');
        this.sys.killAll(SIG.SIGKILL);
        if (!(await waitNoChildren(this.sys, dl.exit))) this.log.warn('some processes could not be reaped in time');
      }
      phase('kill-all', 'ended');
    }
    this.log.info(`exit after ${this.sys.now() - start} ms.`);
  }
}

