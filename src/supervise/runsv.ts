// runsv inside the tsinit process: one service directory set up around its
// ServiceMachine and driver, and the handle its supervisor holds. The jobs
// are apart: runsv-files.ts (directory, locks, FIFOs), runsv-launch.ts
// (processes and their stdio), runsv-effects.ts (the machine's actions),
// ext-record.ts (tsinit-status.json). Many of these run side by side in one
// Node process, so nothing here sleeps or waits synchronously: the 1 s
// restart pause and control scripts block only this service (its events are
// queued meanwhile).
//
// Where this differs from runit's runsv process, on purpose:
//  * exec errors come back from posix_spawn at once: runit's child message
//    is printed here and an exit 111 is simulated (status shows pid 0 for
//    that instant instead of the short-lived child's pid);
//  * children get default signal dispositions and an empty mask (spawn.ts);
//    they run in this process's process group, or, with ownSession (what
//    runsvdir -P gives each runsv), each in a session of its own;
//  * a stop request is final: no ./run or log/run is started after it,
//    and the 1 s pause in progress ends at once (service-machine.ts);
//  * log/supervise/lock is polled every 200 ms instead of a blocking flock;
//  * log/supervise/control is itself checked to be a FIFO (Debian's runsv
//    stats supervise/control there by mistake);
//  * status files are written with synchronous fs calls (small local
//    writes, as runit's own), never with a wait for a process or a timer;
//  * a directory given as bytes that are not UTF-8 (a name from readdir) is
//    opened once and then reached as /proc/self/fd/N, an ASCII path every
//    fs call, FIFO, status write and the children's chdir can use (runit
//    works from the directory as its cwd; this process has many services).
import os from 'node:os';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { reaper } from '../process/reaper.ts';
import { emitEvent } from '../events/bus.ts';
import { err, writeAllSync } from '../util/output.ts';
import { wallNow } from '../util/tai64n.ts';
import { MachineDriver } from './machine-driver.ts';
import { RunsvEffects, statusDirOf } from './runsv-effects.ts';
import { initialState, ServiceMachine, statusOf, type MachineNote, type Side } from './service-machine.ts';
import { policyOf } from './restart-policy.ts';
import type { ExtStatus } from './ext-status.ts';
import { ExtRecord, type PolicyStatus } from './ext-record.ts';
import type { RunsvHandle, RunsvOptions } from './runsv-handle.ts';
import { writeStatusFiles } from './status-writer.ts';
import { encodeStatus } from './status-file.ts';
import { ControlFifo } from './control-fifo.ts';
import type { LogPipe } from './log-pipe.ts';
import { Launcher, openOutputs } from './runsv-launch.ts';
import type { PrefixedOutput } from './prefix-output.ts';
import { DEFAULT_SPEC, readServiceSpec, usesExtensions, type ServiceSpec } from './service-spec.ts';
import { ServiceProbes } from './service-probes.ts';
import { StartupError, type ControlFds } from './supervise-dir.ts';
import { SuperviseFiles, exists, pathArg } from './runsv-files.ts';

export type { RunsvHandle, RunsvOptions } from './runsv-handle.ts';

class Runsv implements RunsvHandle {
  readonly dir: string;
  readonly name: string;
  readonly done: Promise<number>;
  /** the directory as bytes, when its path is not UTF-8 */
  private readonly rawDir: Buffer | undefined;
  private resolveDone: (code: number) => void = () => {};
  private readonly label: string;
  private readonly report: (line: string) => void;
  private base = '';
  private machine: ServiceMachine | undefined;
  private driver: MachineDriver | undefined;
  private logPipe: LogPipe | undefined;
  /** TSINIT_LOG_PREFIX=1 and no log/: the service's output, line-prefixed to our stdout/stderr */
  private prefixed: PrefixedOutput | undefined;
  /** the directory, locks, FIFOs and descriptors held */
  private readonly files = new SuperviseFiles();
  private termPending = false;
  private finished = false;
  /** starts ./run, ./finish, log/run and control/ scripts (set up with the locks) */
  private launcher: Launcher | undefined;
  private readonly ownSession: boolean;
  private readonly stdio: RunsvOptions['stdio'];
  private readonly output: RunsvOptions['output'];
  /** the action interpreter (set up with the locks) */
  private effects: RunsvEffects | undefined;
  private readonly onEssentialEnded: ((code: number, reason: string) => void) | undefined;
  private spec: ServiceSpec = DEFAULT_SPEC;
  private probes: ServiceProbes | undefined;
  /** the extension record (supervise/tsinit-status.json) */
  private readonly record: ExtRecord;
  private readonly hold: RunsvOptions['hold'];

  constructor(dir: string | Buffer, opts: RunsvOptions) {
    const arg = pathArg(dir);
    this.dir = arg.toString();
    this.rawDir = typeof arg === 'string' ? undefined : arg;
    this.label = opts.name;
    this.name = opts.service ?? path.basename(path.resolve(this.dir));
    this.hold = opts.hold;
    this.onEssentialEnded = opts.onEssentialEnded;
    this.ownSession = opts.ownSession === true;
    this.stdio = opts.stdio;
    this.output = opts.output;
    const rawName = opts.rawName;
    this.report =
      opts.report ??
      (rawName
        ? (line: string) =>
            writeAllSync(2, line.startsWith(this.label) ? Buffer.concat([rawName, Buffer.from(`${line.slice(this.label.length)}\n`)]) : `${line}\n`)
        : (line: string) => err(`${line}\n`));
    this.done = new Promise<number>((resolve) => {
      this.resolveDone = resolve;
    });
    this.record = new ExtRecord(
      {
        service: this.name,
        label: this.label,
        say: (line) => this.say(line),
        warn: this.warn,
        fatal: this.fatalMsg,
        internal: this.internal,
        onStatus: opts.onStatus,
      },
      opts.hold,
    );
  }

  // ---- messages -------------------------------------------------------

  private say(line: string): void {
    try {
      this.report(line);
    } catch {
      // a broken reporter must not break supervision
    }
  }

  private warn = (msg: string): void => this.say(`${this.label}: warning: ${msg}`);
  private fatalMsg = (msg: string): void => this.say(`${this.label}: fatal: ${msg}`);
  private internal = (e: unknown): void =>
    this.warn(`internal error: ${e instanceof Error ? e.message : String(e)}`);

  // ---- start-up -------------------------------------------------------

  begin(): void {
    try {
      this.setup();
    } catch (e) {
      this.failStartup(e);
    }
  }

  private failStartup(e: unknown): void {
    this.fatalMsg(e instanceof StartupError ? e.text : `unexpected: ${e instanceof Error ? e.message : String(e)}`);
    this.cleanup();
    this.finish(111);
  }

  private setup(): void {
    const base = this.files.openDir(this.dir, this.rawDir);
    this.base = base;
    const now = wallNow();
    const down = exists(path.join(base, 'down'));
    const out = openOutputs(base, path.basename(this.dir), this.warn);
    this.logPipe = out.logPipe;
    this.prefixed = out.prefixed;
    const log = out.logPipe ? { down: exists(path.join(base, 'log', 'down')) } : null;
    this.setupExtensions(base);
    const hold = this.hold !== undefined;
    this.machine = new ServiceMachine(initialState(now, { down, log, hold }), wallNow, {
      policy: policyOf(this.spec),
      notify: (n) => this.onNote(n),
    });

    this.files.lock(base, log !== null, () => this.afterLocks(), (e) => this.failStartup(e));
  }

  private afterLocks(): void {
    const m = this.machine;
    if (!m) return;
    const base = this.base;
    const controls = this.files.openControls(base, m.s.log !== null, (side) => this.writeInitialStatus(side));
    this.record.open(path.join(base, 'supervise'), usesExtensions(this.spec) || this.hold !== undefined, this.policyStatus());
    this.record.announceHold();

    const launcher = new Launcher({
      service: this.name,
      base,
      logPipe: this.logPipe,
      prefixed: this.prefixed,
      probes: this.probes,
      warn: this.warn,
      fatal: this.fatalMsg,
      exited: (pid, wstat) => this.driver?.post({ type: 'exit', pid, wstat }),
      ownSession: this.ownSession,
      ...(this.stdio ? { stdio: this.stdio } : {}),
      ...(this.output ? { output: this.output } : {}),
    });
    this.launcher = launcher;
    this.effects = new RunsvEffects({
      base,
      launcher,
      logPipe: this.logPipe,
      warn: this.warn,
      post: (ev) => this.driver?.post(ev),
      policyChanged: () => this.syncPolicyStatus(),
      exit: (code) => {
        this.cleanup();
        this.finish(code);
      },
    });
    const driver = new MachineDriver(m, this.effects, this.internal);
    this.driver = driver;
    reaper.start();
    this.listen(controls.main, 'main');
    if (controls.log) this.listen(controls.log, 'log');
    // A SIGTERM during the set-up: stop before anything is started.
    if (this.termPending) driver.post({ type: 'term' });
    driver.post({ type: 'start' });
  }

  private listen(fds: ControlFds, side: Side): void {
    this.files.adopt(
      fds,
      () =>
        new ControlFifo(
          fds,
          (byte) => {
            emitEvent({ type: 'control', service: this.name, side, command: String.fromCharCode(byte) });
            this.driver?.post({ type: 'control', side, byte });
          },
          this.internal,
        ),
    );
  }

  private writeInitialStatus(side: Side): void {
    const m = this.machine;
    if (!m) return;
    const s = side === 'main' ? m.s.main : m.s.log;
    if (!s) return;
    const writePid = m.s.pidChanged;
    const ok = writeStatusFiles(this.base, statusDirOf(side), statusOf(s), writePid, this.warn);
    if (writePid && ok) m.s.pidChanged = false;
  }

  // ---- machine notes ------------------------------------------------

  private get service(): string {
    return path.basename(this.dir);
  }

  private onNote(n: MachineNote): void {
    if (n.kind === 'restarting') {
      emitEvent({ type: 'restarting', service: this.service, pauseMs: n.pauseMs, crashes: n.crashes });
      return;
    }
    this.warn(`essential service ended: ${n.reason}`);
    emitEvent({ type: 'essential-ended', service: this.service, code: n.code, reason: n.reason });
    try {
      this.onEssentialEnded?.(n.code, n.reason);
    } catch (e) {
      this.internal(e);
    }
  }

  // ---- handle ---------------------------------------------------------

  terminate(): void {
    if (this.finished) return;
    if (this.driver) this.driver.post({ type: 'term' });
    else this.termPending = true;
    this.effects?.endSleep();
  }

  shutdown(): void {
    if (this.finished) return;
    if (this.driver) this.driver.post({ type: 'shutdown' });
    else if (this.machine) this.machine.beginShutdown();
    this.effects?.endSleep();
  }

  policyStatus(): PolicyStatus | null {
    const m = this.machine;
    if (!m) return null;
    return {
      restarts: m.p.restarts,
      crashes: m.p.crashes,
      lastExit: m.p.lastExit,
      backoff: m.p.backoff ? { ...m.p.backoff } : null,
      essential: this.spec?.essential ?? null,
    };
  }

  /** The restart facts into supervise/tsinit-status.json, when they changed. */
  private syncPolicyStatus(): void {
    this.record.syncPolicy(this.policyStatus());
  }

  pids(): number[] {
    const out: number[] = [];
    const m = this.machine;
    if (m && !this.finished) {
      if (m.s.main.pid > 0) out.push(m.s.main.pid);
      // An in-process logger's pid is tsinit's own: never a target for kill.
      if (m.s.log && m.s.log.pid > 0 && m.s.log.pid !== process.pid) out.push(m.s.log.pid);
    }
    const scriptPid = this.launcher?.scriptPid ?? 0;
    if (scriptPid > 0) out.push(scriptPid);
    if (this.probes && !this.finished) out.push(...this.probes.pids());
    return out;
  }

  // ---- readiness, dependencies, health (tsinit extensions) -------------

  extStatus(): ExtStatus {
    return this.record.snapshot();
  }

  setWaiting(names: string[]): void {
    if (this.finished || !this.machine?.s.held || 'dependencyError' in (this.hold ?? {})) return;
    this.record.setWaiting(names);
  }

  release(): void {
    if (this.finished) return;
    this.record.released();
    if (this.driver) this.driver.post({ type: 'release' });
    else if (this.machine) this.machine.s.held = false;
  }

  /** Read the extension files (service-spec.ts) and set up readiness and health. */
  private setupExtensions(base: string): void {
    const { spec, problems } = readServiceSpec(base);
    this.spec = spec;
    for (const p of problems) this.warn(`${p.file}: ${p.message}`);
    const probes = new ServiceProbes(spec, {
      base,
      warn: this.warn,
      stderrFd: () => (this.logPipe ? undefined : this.prefixed?.stderrFd),
      onReady: (ready) => this.record.readyChanged(ready),
      onHealth: (state, event) => this.record.healthChanged(state, event),
      restart: () => this.driver?.post({ type: 'control', side: 'main', byte: 0x74 /* t */ }),
      currentPid: () => this.machine?.s.main.pid ?? 0,
      ownSession: this.ownSession,
      kill: (pid, signal) => {
        if (pid > 0 && pid !== process.pid) libc.tryKill(pid, os.constants.signals[`SIG${signal}`]);
      },
    });
    this.probes = probes;
    this.record.begin(probes.mode);
  }

  statusRecords(): { main: Buffer; log: Buffer | null } | null {
    const m = this.machine;
    if (!m || !this.driver || this.finished) return null;
    return { main: encodeStatus(statusOf(m.s.main)), log: m.s.log ? encodeStatus(statusOf(m.s.log)) : null };
  }

  private cleanup(): void {
    this.probes?.close();
    this.record.close();
    this.effects?.close();
    this.files.close();
    this.logPipe?.close(() => {});
    this.prefixed?.close();
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone(code);
  }
}

/** dir: a path, or its bytes (as readdir gives them) when they are not UTF-8. */
export function startRunsv(dir: string | Buffer, opts: RunsvOptions): RunsvHandle {
  const r = new Runsv(dir, opts);
  r.begin();
  return r;
}
