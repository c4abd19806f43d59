// `runsvdir [-P] dir [log]` (reference spec 5): the supervisor of a service
// directory, as a tool. The services' runsv's live inside this process, which
// changes three things against runit, on purpose:
//  * SIGTERM: runit's runsvdir exits at once and leaves its runsv's running.
//    tsinit cannot leave runsv's behind (they die with this process), so it
//    stops every service (what SIGTERM does to a runsv: `x`, then the log)
//    and exits 0 once they are all down.
//  * SIGHUP: as runit, every runsv is told to stop and the exit code is 111,
//    but here only after they are down (else the services would be orphaned).
//    A second SIGTERM/SIGHUP while stopping exits at once with the pending code.
//  * -P: runit puts each runsv in its own session, and each service shares
//    its runsv's. There is no runsv process here to setsid, so every process
//    a service's runsv starts (./run, ./finish, log/run, control/ scripts,
//    probes) gets a session of its own: a terminal's ^C or a kill of the
//    caller's (or stage 2's) process group never reaches a service. This
//    process also leaves the caller's session when it can (it cannot when it
//    leads a group already, as stage 2 under tsinit does), so a ^C does not
//    end the supervision either. Without -P nothing changes: the services
//    stay in this process's group, as under runsvdir without -P.
//
// Served to a client inside PID 1 (ctx.signals: Debian's /etc/runit/2 ends in
// `exec env - PATH=$PATH runsvdir -P /etc/service 'log: ...'`), the client is
// the process: its forwarded signals, its directory for a relative dir, its
// descriptors for the services (as a runsvdir process's children inherit
// its own), its argv area for the proctitle log (ctx.setTitle). PID 1 does
// not leave its session for -P (the client, stage 2's process, stays where
// it is); the services lead their own sessions as above. The supervisor uses
// PID 1's one spawner and reaper, and everything set up here is released
// when main returns. The client gone (ctx.gone): ended as the runsvdir
// process killed by KILL would end here - its services stop (nothing inside
// PID 1 may go on without an owner) and main returns without waiting.
import fs from 'node:fs';
import net from 'node:net';
import type { ChildStdio } from './runsv-handle.ts';
import * as libc from '../../native/libc.ts';
import { reaper } from '../process/reaper.ts';
import { scheduleTrim, trimSoon } from '../process/trim.ts';
import { writerOf, type SignalSource, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { createSupervisor, type Supervisor } from './supervisor.ts';
import { sendHalt } from '../runtime/halt-request.ts';
import { runtimePathsFrom } from '../runtime/paths.ts';
import { ProcTitleLog } from './proctitle-log.ts';

export interface RunsvdirArgs {
  sessionMode: boolean;
  dir: string;
  log: string | undefined;
  /** the arguments before the log argument (they stay in the process title) */
  beforeLog: string[];
}

/** runsvdir's argument quirks (5.1): only argv[1] may be an option; `-X` otherwise becomes the dir. */
export function parseRunsvdirArgs(args: readonly string[]): RunsvdirArgs | undefined {
  let i = 0;
  let sessionMode = false;
  const first = args[0];
  if (first !== undefined && first.startsWith('-')) {
    // runsvdir looks at the second character only: -P... and --... are skipped.
    if (first[1] === 'P') {
      sessionMode = true;
      i = 1;
    } else if (first[1] === '-') {
      i = 1;
    }
  }
  const dir = args[i];
  if (dir === undefined) return undefined;
  return { sessionMode, dir, log: args[i + 1], beforeLog: args.slice(0, i + 1) };
}

/** readproctitle's dots: every 15 min, so old messages scroll out of the title. */
const LOG_DOT_MS = 900_000;

export async function main(ctx: ToolContext): Promise<number> {
  const err = writerOf(ctx, 2);
  const out = writerOf(ctx, 1);
  const parsed = parseRunsvdirArgs(ctx.args);
  if (!parsed) {
    err(`usage: ${ctx.argv0} [-P] dir\n\n`);
    return 1;
  }
  const { dir, log, sessionMode } = parsed;
  const served = ctx.signals !== undefined;
  const signals: SignalSource = ctx.signals ?? process;
  const setTitle =
    ctx.setTitle ??
    ((title: string): void => {
      process.title = title;
    });
  // Its own stderr (runit: every line of runsvdir and its runsv's), which
  // the log argument replaces by the proctitle pipe.
  let say: (text: string) => void = err;
  /** what was set up for the services is released (served: their descriptors) */
  let released = false;
  const warn = (text: string): void => say(`runsvdir ${dir}: warning: ${text}\n`);

  // Signals first, before any line is printed: a TERM sent as soon as a
  // warning appears, or during the first scan, must not kill runsvdir.
  let sup: Supervisor | undefined;
  let resolveCode: (code: number) => void = () => {};
  const codePromise = new Promise<number>((resolve) => {
    resolveCode = resolve;
  });
  let pending: number | undefined;
  /** the supervisor has stopped everything (set by the first stop request) */
  let stopped: Promise<void> | undefined;
  const stop = (exitCode: number): void => {
    if (pending !== undefined) {
      // Asked again while stopping: leave now (services may be orphaned).
      resolveCode(pending);
      return;
    }
    pending = exitCode;
    // Before the supervisor exists nothing runs yet: leave at once.
    if (sup === undefined) resolveCode(exitCode);
    else {
      stopped = sup.stopAll();
      void stopped.then(() => resolveCode(exitCode));
    }
  };
  const onTerm = (): void => stop(0);
  const onHup = (): void => stop(111);
  const onAlarm = (): void => sup?.rescan();
  signals.on('SIGTERM', onTerm);
  signals.on('SIGHUP', onHup);
  signals.on('SIGALRM', onAlarm);
  // The caller gone: stop (as a second TERM does: at once, the services stopping behind).
  let live = true;
  if (ctx.gone) {
    void ctx.gone.then(() => {
      if (!live) return;
      stop(128 + 9);
      stop(128 + 9);
    });
  }

  // Its own process only: PID 1 does not leave its session for a client.
  if (sessionMode && !served) {
    try {
      libc.setsid();
    } catch (e) {
      // EPERM: this process already leads a process group (started by
      // setsid(1), or by a supervisor that gave it a group): leave it there.
      if (!(e instanceof libc.LibcError && e.code === 'EPERM')) warn(`unable to create session: ${errstrOf(e)}`);
    }
  }

  let titleLog: TitleLog | undefined;
  if (log !== undefined) {
    if (log.length < 7) {
      warn('log must have at least seven characters.');
      warn('log service disabled.');
    } else {
      titleLog = startTitleLog([ctx.argv0, ...parsed.beforeLog].join(' '), log, warn, setTitle, served);
      if (titleLog?.ownFd !== undefined) {
        const fd = titleLog.ownFd;
        // never into a descriptor released (its number may be another file's by then)
        say = (text) => {
          if (!released) writeOwnPipe(fd, text);
        };
      }
    }
  }

  // The reaper is PID 1's one (started once per process); the trim is the init's there.
  reaper.start();
  if (!served) scheduleTrim();
  else trimSoon();
  // Served: the services get the client's descriptors (and the log pipe as
  // stderr), through copies of their own: the caller's are closed when the
  // call ends, and services still stopping then (./finish) must not get
  // whatever file has their numbers by then. Released once everything stopped.
  const stdio: ChildStdio | undefined = served
    ? ownCopies({
        ...(ctx.stdin >= 0 ? { stdin: ctx.stdin } : {}),
        ...(ctx.stdout >= 0 ? { stdout: ctx.stdout } : {}),
        ...(titleLog?.writeFd !== undefined ? { stderr: titleLog.writeFd } : ctx.stderr >= 0 ? { stderr: ctx.stderr } : {}),
      })
    : undefined;
  const release = (): void => {
    released = true;
    titleLog?.close();
    for (const fd of Object.values(stdio ?? {})) closeQuietly(fd);
  };
  sup = createSupervisor({
    dir,
    cwd: ctx.cwd,
    // runsv's stderr is ours (the title pipe with a log), its stdout the caller's:
    // where the in-process loggers' own messages go
    ...(stdio ? { stdio, report: (line: string) => say(`${line}\n`), output: (stream: 1 | 2, text: string) => (stream === 2 ? say(text) : out(text)) } : {}),
    sessions: sessionMode,
    // Started by /etc/runit/2 under tsinit: an essential service ends the container through tsinit halt's channel.
    onEssentialEnded: (service, code, reason) => {
      const r = sendHalt(runtimePathsFrom(ctx.env), { code, by: `essential service ${service} (runsvdir ${dir}): ${reason}` });
      if ('error' in r) err(`runsvdir ${dir}: warning: essential service ${service} ended, but ${r.error}\n`);
    },
  });

  if (pending === undefined) sup.start();
  const code = await codePromise;

  live = false;
  signals.off('SIGALRM', onAlarm);
  signals.off('SIGTERM', onTerm);
  signals.off('SIGHUP', onHup);
  // Left before everything stopped (a second TERM, the caller gone): the
  // services' descriptors and the title pipe stay theirs until then.
  if (stopped) void stopped.then(release, release);
  else release();
  // Anything a service engine left open (a FIFO reader, a timer) must not
  // keep runsvdir alive after it decided to exit. Never inside PID 1.
  if (!served) setTimeout(() => process.exit(code), 500).unref();
  return code;
}

const F_DUPFD_CLOEXEC = 1030;

/** Copies of the services' descriptors that this call owns (and closes). */
function ownCopies(fds: ChildStdio): ChildStdio {
  const out: ChildStdio = {};
  for (const k of ['stdin', 'stdout', 'stderr'] as const) {
    const fd = fds[k];
    if (fd === undefined) continue;
    try {
      out[k] = libc.fcntl(fd, F_DUPFD_CLOEXEC, 3);
    } catch {
      // not open: the service gets none of the caller's here (PID 1's own)
    }
  }
  return out;
}

function closeQuietly(fd: number): void {
  try {
    libc.close(fd);
  } catch {
    // already closed
  }
}

/** A line for our own proctitle pipe: never blocking (a full pipe drops it, as the dots). */
function writeOwnPipe(fd: number, text: string): void {
  try {
    fs.writeSync(fd, text);
  } catch {
    // EAGAIN: the title shows the newest bytes anyway
  }
}

interface TitleLog {
  /** served: the pipe's write end (the services' stderr); own process: it is fd 2 */
  writeFd: number | undefined;
  /** served: this process's own non-blocking way into the pipe */
  ownFd: number | undefined;
  close(): void;
}

/**
 * The `log` argument: runsvdir makes a pipe its own stderr (inherited by every
 * runsv and service) and shows what arrives there in its process title.
 * Its own process: the same pipe as fd 2, read by this process, the rotating
 * buffer shown through setTitle (process.title: ps, /proc/PID/cmdline).
 * Served inside PID 1: PID 1's fd 2 stays; the pipe's write end is given to
 * the services as their stderr and takes runsvdir's own lines, and the title
 * goes to the client (ctx.setTitle).
 */
function startTitleLog(
  prefix: string,
  log: string,
  warn: (text: string) => void,
  setTitle: (title: string) => void,
  served: boolean,
): TitleLog | undefined {
  let fds: [number, number];
  try {
    fds = libc.pipe2(libc.O_CLOEXEC);
  } catch (e) {
    warn(`unable to create pipe for log: ${errstrOf(e)}`);
    return undefined;
  }
  const [r, w] = fds;
  let writeFd: number | undefined;
  let ownFd: number | undefined;
  try {
    if (served) {
      writeFd = w;
      // The services get the blocking write end, as under runit; this
      // process writes through a description of its own that never blocks.
      ownFd = fs.openSync(`/proc/self/fd/${w}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } else {
      libc.dup2(w, 2);
      libc.close(w);
    }
    libc.setNonblock(r, true);
  } catch (e) {
    warn(`unable to set up log pipe: ${errstrOf(e)}`);
    for (const fd of [r, w, ...(ownFd !== undefined ? [ownFd] : [])]) {
      try {
        libc.close(fd);
      } catch {
        // already gone
      }
    }
    return undefined;
  }
  const titleLog = new ProcTitleLog(log, (text) => setTitle(`${prefix} ${text}`));
  const sock = new net.Socket({ fd: r, readable: true, writable: false });
  sock.on('data', (chunk: Buffer) => titleLog.push(chunk));
  sock.on('error', () => sock.destroy());
  const dots = setInterval(() => writeOwnPipe(ownFd ?? 2, '.'), LOG_DOT_MS);
  titleLog.onClose(() => {
    clearInterval(dots);
    sock.destroy();
    if (writeFd !== undefined) libc.close(writeFd);
    if (ownFd !== undefined) libc.close(ownFd);
  });
  return { writeFd, ownFd, close: () => titleLog.close() };
}
