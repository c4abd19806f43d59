// Starting one service's processes for runsv.ts: ./run and ./finish, log/run
// (or its svlogd inside this process), control/ scripts, each with its
// standard descriptors wired in one place (stdioFor), and the `exec chpst`
// fast path. Exits go back through LaunchHost.exited; runit's messages for
// what cannot be started are given as runit's runsv or its child prints them.
import fs from 'node:fs';
import path from 'node:path';
import { readSetting } from '../settings.ts';
import { envArray, forkFailed, spawnChild } from '../process/spawn.ts';
import { slowChpstLimitEnv } from '../process/original-limits.ts';
import { decodeWaitStatus } from '../process/wait-status.ts';
import { emitEvent } from '../events/bus.ts';
import { codeOf, errstrOf } from '../util/errstr.ts';
import { signalNameOf } from '../util/signal-names.ts';
import { fastChpstStart, readStartScript } from './fast-start.ts';
import type { Reply, Side } from './service-machine.ts';
import { LogPipe } from './log-pipe.ts';
import { InprocessLog } from './inprocess-log.ts';
import { planInprocessLog, type InprocessLogPlan } from './log-run.ts';
import { PrefixedOutput, prefixEnabled } from './prefix-output.ts';
import { StartupError, fatalSys } from './supervise-dir.ts';
import type { ServiceProbes } from './service-probes.ts';
import type { ChildStdio } from './runsv-handle.ts';

/**
 * TSINIT_INPROCESS_LOG=0 turns off running log/run's svlogd inside tsinit.
 * Read once: a service's logger must not change nature between restarts
 * because of the environment.
 */
const inprocessLogEnabled = readSetting('inprocessLog');

/**
 * TSINIT_CHPST_FASTPATH=0 (or false/no/off) turns off starting `exec chpst ...`
 * one-liners through the exec helper (src/supervise/fast-start.ts) instead of a Node chpst.
 */
const chpstFastPathEnabled = readSetting('chpstFastpath');

/** What the launcher needs from its runsv. */
export interface LaunchHost {
  /** the service's name, for events */
  readonly service: string;
  /** the service directory (real path, or /proc/self/fd/N) */
  readonly base: string;
  /** the pipe to log/run, when there is a log service */
  readonly logPipe: LogPipe | undefined;
  /** TSINIT_LOG_PREFIX's pipes, when there is no log service */
  readonly prefixed: PrefixedOutput | undefined;
  /** readiness and health of ./run */
  readonly probes: ServiceProbes | undefined;
  warn(msg: string): void;
  fatal(msg: string): void;
  /** a process started here ended (pid < 0: one that could not be started) */
  exited(pid: number, wstat: number): void;
  /** every child in a session of its own (RunsvOptions.ownSession) */
  readonly ownSession: boolean;
  /** what children inherit in place of tsinit's own 0, 1, 2 (RunsvOptions.stdio) */
  readonly stdio?: ChildStdio;
  /** runsv's stdout and stderr text, for the in-process logger (RunsvOptions.output) */
  readonly output?: (stream: 1 | 2, text: string) => void;
}

/** A child's standard descriptors; an absent one is tsinit's own. */
type Stdio = ChildStdio;

/**
 * runit's wiring: log/run reads the log pipe; ./run, ./finish and control/
 * scripts write their stdout to it. Without a log service, TSINIT_LOG_PREFIX's
 * pipes take stdout and stderr. null: the log pipe is already closed.
 */
function stdioFor(side: Side, pipe: LogPipe | undefined, prefixed: PrefixedOutput | undefined, inherited: Stdio = {}): Stdio | null {
  if (pipe) {
    if (!pipe.isOpen) return null;
    return side === 'log' ? { ...inherited, stdin: pipe.readFd } : { ...inherited, stdout: pipe.writeFd };
  }
  return prefixed ? { ...inherited, stdout: prefixed.stdoutFd, stderr: prefixed.stderrFd } : { ...inherited };
}

/** The spawn options every child of a runsv gets: its stdio (absent descriptors stay absent) and its session. */
function childOptions(s: Stdio, ownSession: boolean): Stdio & { setsid?: true } {
  return {
    ...(s.stdin !== undefined ? { stdin: s.stdin } : {}),
    ...(s.stdout !== undefined ? { stdout: s.stdout } : {}),
    ...(s.stderr !== undefined ? { stderr: s.stderr } : {}),
    ...(ownSession ? { setsid: true } : {}),
  };
}

/** The pipes children's output goes through (runsv owns and closes them). */
export interface Outputs {
  /** to log/run: there is a log service */
  logPipe: LogPipe | undefined;
  /** TSINIT_LOG_PREFIX=1 and no log/: the service's output, line-prefixed to our stdout/stderr */
  prefixed: PrefixedOutput | undefined;
}

/** runit's log pipe when ./log is a directory (a failure is fatal, thrown), else TSINIT_LOG_PREFIX's pipes. */
export function openOutputs(base: string, service: string, warn: (msg: string) => void): Outputs {
  let logPipe: LogPipe | undefined;
  let prefixed: PrefixedOutput | undefined;
  try {
    const ls = fs.statSync(path.join(base, 'log'));
    if (!ls.isDirectory()) warn('./log: not a directory.');
    else {
      try {
        logPipe = LogPipe.create();
      } catch (e) {
        throw fatalSys('unable to create log pipe', e);
      }
    }
  } catch (e) {
    if (e instanceof StartupError) throw e;
    if (codeOf(e) !== 'ENOENT') warn(`unable to stat() ./log: : ${errstrOf(e)}`);
  }
  if (!logPipe && prefixEnabled()) {
    try {
      prefixed = new PrefixedOutput(service);
    } catch (e) {
      warn(`unable to create the output pipes for TSINIT_LOG_PREFIX: ${errstrOf(e)}`);
    }
  }
  return { logPipe, prefixed };
}

export class Launcher {
  private readonly host: LaunchHost;
  /** the log service's svlogd running in this process (its pid is ours) */
  private inproc: InprocessLog | undefined;
  private fakePid = 0;
  /** the control/ script running, 0 when none */
  scriptPid = 0;

  constructor(host: LaunchHost) {
    this.host = host;
  }

  /** runsv's kill() of the in-process logger (whose pid is ours): routed to it. */
  signalLogger(signal: string): void {
    this.inproc?.signal(signal);
  }

  /** Start ./run, ./finish or log/run: its pid, a fake negative pid if it could not be, false if fork failed. */
  spawn(side: Side, argv: string[]): number | false {
    const host = this.host;
    const prog = argv[0] ?? './run';
    const shown = side === 'log' ? `log/${prog}` : prog;
    const pipe = host.logPipe;
    // ./run of the main service: readiness (notification pipe) and health follow it.
    const probes = side === 'main' && prog === './run' ? host.probes : undefined;
    let extraFds: Array<[number, number]> = [];
    const cwd = side === 'log' ? path.join(host.base, 'log') : host.base;
    const file = path.join(cwd, prog);
    // log/run read once for both looks (in-process svlogd, then the chpst fast path)
    let script: string | null | undefined;
    try {
      if (pipe && side === 'log' && pipe.isOpen && inprocessLogEnabled) {
        // is log/run the usual svlogd one-liner (and executable, as exec requires)?
        const logRun = path.join(host.base, 'log', 'run');
        const text = readStartScript(logRun);
        if (file === logRun) script = text;
        const plan = text === null ? undefined : planInprocessLog(text);
        if (plan) return this.startInprocessLog(plan, pipe);
      }
      const stdio = stdioFor(side, pipe, host.prefixed, host.stdio);
      if (!stdio) {
        const what = side === 'log' ? './log/run' : './run';
        return this.spawnFailed(`unable to setup filedescriptor for ${what}: ${errstrOf({ code: 'EBADF' })}`);
      }
      const env = envArray(undefined);
      const start = chpstFastPathEnabled ? fastChpstStart(file, cwd, env, script) : undefined;
      const fast = typeof start === 'object' ? start : undefined;
      if (fast && fast.stderrToStdout) stdio.stderr = stdio.stdout ?? 1;
      if (probes) extraFds = probes.prepareSpawn();
      const pid = spawnChild({
        path: fast ? fast.path : prog,
        argv: fast ? fast.argv : argv,
        // a Node chpst raises the open-files limit again: tell it the original (it removes the variable)
        ...(start === 'slow-chpst' ? { env: [...env, ...slowChpstLimitEnv()] } : {}),
        cwd,
        ...childOptions(stdio, host.ownSession),
        ...(extraFds.length > 0 ? { extraFds } : {}),
        onExit: (st) => {
          probes?.ended(st.pid);
          this.exitedEvent(side, st.pid, st.raw);
          host.exited(st.pid, st.raw);
        },
      });
      // The spawn is announced before readiness can follow from it: with
      // readiness "up", started() declares the service ready at once.
      emitEvent({ type: 'spawned', service: host.service, side, pid });
      probes?.started(pid);
      return pid;
    } catch (e) {
      probes?.spawnFailed();
      // No process at all (clone failed): runit's "unable to fork, sleeping".
      if (forkFailed(e)) {
        host.warn(`unable to fork, sleeping: ${errstrOf(e)}`);
        return false;
      }
      return this.spawnFailed(`unable to start ${shown}: ${errstrOf(e)}`);
    }
  }

  /** The logger as a pseudo-process whose pid is ours; runsv's kill() is routed to it. */
  private startInprocessLog(plan: InprocessLogPlan, pipe: LogPipe): number {
    const pid = process.pid;
    const logger = new InprocessLog({
      readFd: pipe.readFd,
      cwd: path.join(this.host.base, 'log'),
      plan,
      ...(this.host.output ? { output: this.host.output } : {}),
      warn: (msg) => this.host.warn(msg),
      onExit: (wstat) => {
        if (this.inproc === logger) this.inproc = undefined;
        this.exitedEvent('log', pid, wstat);
        this.host.exited(pid, wstat);
      },
    });
    this.inproc = logger;
    logger.start();
    emitEvent({ type: 'spawned', service: this.host.service, side: 'log', pid, inprocess: true });
    return pid;
  }

  /** runit's child would print the message and exit 111: emulate both. */
  private spawnFailed(msg: string): number {
    this.host.fatal(msg);
    const pid = -++this.fakePid;
    emitEvent({ type: 'exited', service: this.host.service, side: msg.includes('log/') ? 'log' : 'main', pid: 0, code: 111, spawnFailed: true });
    this.host.exited(pid, 111 << 8);
    return pid;
  }

  /** control/C: done(true) when it ran and exited 0 (runit: the command is then handled). */
  runScript(c: string, done: (reply: Reply) => void): void {
    const host = this.host;
    const rel = `control/${c}`;
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(host.base, rel));
    } catch (e) {
      if (codeOf(e) !== 'ENOENT') host.warn(`unable to stat ${rel}: ${errstrOf(e)}`);
      done(false);
      return;
    }
    if ((st.mode & 0o100) === 0) {
      done(false);
      return;
    }
    let stdio = stdioFor('main', host.logPipe, host.prefixed, host.stdio);
    if (!stdio) {
      host.warn(`unable to setup stdout for ${rel}: ${errstrOf({ code: 'EBADF' })}`);
      stdio = { ...host.stdio };
    }
    try {
      this.scriptPid = spawnChild({
        path: rel,
        argv: [rel],
        cwd: host.base,
        ...childOptions(stdio, host.ownSession),
        onExit: (ex) => {
          this.scriptPid = 0;
          // runit: handled when wait_exitcode (status >> 8) is 0, which also
          // holds for a script killed by a signal.
          done(ex.raw >> 8 === 0);
        },
      });
    } catch (e) {
      // runit: a failed fork is a warning in runsv; a failed exec is the
      // child's fatal line. Either way the command counts as not handled.
      if (forkFailed(e)) host.warn(`unable to fork for ${rel}: ${errstrOf(e)}`);
      else host.fatal(`unable to run control/?: ${errstrOf(e)}`);
      done(false);
    }
  }

  /** The 'exited' event: how the process ended (code, or the signal's name). */
  private exitedEvent(side: Side, pid: number, wstat: number): void {
    const st = decodeWaitStatus(pid, wstat);
    const how = st.signal !== null ? { signal: signalNameOf(st.signal) ?? String(st.signal) } : { code: st.code ?? 0 };
    emitEvent({ type: 'exited', service: this.host.service, side, pid, ...how });
  }
}
