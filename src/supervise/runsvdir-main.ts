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
import fs from 'node:fs';
import net from 'node:net';
import * as libc from '../../native/libc.ts';
import { reaper } from '../process/reaper.ts';
import { scheduleTrim } from '../process/trim.ts';
import { writerOf, type ToolContext } from '../tool.ts';
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
  const parsed = parseRunsvdirArgs(ctx.args);
  if (!parsed) {
    err(`usage: ${ctx.argv0} [-P] dir\n\n`);
    return 1;
  }
  const { dir, log, sessionMode } = parsed;
  const warn = (text: string): void => err(`runsvdir ${dir}: warning: ${text}\n`);

  // Signals first, before any line is printed: a TERM sent as soon as a
  // warning appears, or during the first scan, must not kill runsvdir.
  let sup: Supervisor | undefined;
  let resolveCode: (code: number) => void = () => {};
  const codePromise = new Promise<number>((resolve) => {
    resolveCode = resolve;
  });
  let pending: number | undefined;
  const stop = (exitCode: number): void => {
    if (pending !== undefined) {
      // Asked again while stopping: leave now (services may be orphaned).
      resolveCode(pending);
      return;
    }
    pending = exitCode;
    // Before the supervisor exists nothing runs yet: leave at once.
    if (sup === undefined) resolveCode(exitCode);
    else sup.stopAll().then(() => resolveCode(exitCode));
  };
  const onTerm = (): void => stop(0);
  const onHup = (): void => stop(111);
  const onAlarm = (): void => sup?.rescan();
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  process.on('SIGALRM', onAlarm);

  if (sessionMode) {
    try {
      libc.setsid();
    } catch (e) {
      // EPERM: this process already leads a process group (started by
      // setsid(1), or by a supervisor that gave it a group): leave it there.
      if (!(e instanceof libc.LibcError && e.code === 'EPERM')) warn(`unable to create session: ${errstrOf(e)}`);
    }
  }

  let titleLog: ProcTitleLog | undefined;
  if (log !== undefined) {
    if (log.length < 7) {
      warn('log must have at least seven characters.');
      warn('log service disabled.');
    } else {
      titleLog = startTitleLog([ctx.argv0, ...parsed.beforeLog].join(' '), log, warn);
    }
  }

  reaper.start();
  scheduleTrim();
  sup = createSupervisor({
    dir,
    sessions: sessionMode,
    // Started by /etc/runit/2 under tsinit: an essential service ends the container through tsinit halt's channel.
    onEssentialEnded: (service, code, reason) => {
      const r = sendHalt(runtimePathsFrom(ctx.env), { code, by: `essential service ${service} (runsvdir ${dir}): ${reason}` });
      if ('error' in r) err(`runsvdir ${dir}: warning: essential service ${service} ended, but ${r.error}\n`);
    },
  });

  if (pending === undefined) sup.start();
  const code = await codePromise;

  process.off('SIGALRM', onAlarm);
  process.off('SIGTERM', onTerm);
  process.off('SIGHUP', onHup);
  titleLog?.close();
  // Anything a service engine left open (a FIFO reader, a timer) must not
  // keep runsvdir alive after it decided to exit.
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}

/**
 * The `log` argument: runsvdir makes a pipe its own stderr (inherited by every
 * runsv and service) and shows what arrives there in its process title.
 * Here: the same pipe as fd 2, read by this process; the rotating buffer is
 * shown through process.title (ps, /proc/PID/cmdline).
 */
function startTitleLog(prefix: string, log: string, warn: (text: string) => void): ProcTitleLog | undefined {
  let fds: [number, number];
  try {
    fds = libc.pipe2(libc.O_CLOEXEC);
  } catch (e) {
    warn(`unable to create pipe for log: ${errstrOf(e)}`);
    return undefined;
  }
  const [r, w] = fds;
  try {
    libc.dup2(w, 2);
    libc.close(w);
    libc.setNonblock(r, true);
  } catch (e) {
    warn(`unable to set up log pipe: ${errstrOf(e)}`);
    for (const fd of [r, w]) {
      try {
        libc.close(fd);
      } catch {
        // already gone
      }
    }
    return undefined;
  }
  const titleLog = new ProcTitleLog(log, (text) => {
    process.title = `${prefix} ${text}`;
  });
  const sock = new net.Socket({ fd: r, readable: true, writable: false });
  sock.on('data', (chunk: Buffer) => titleLog.push(chunk));
  sock.on('error', () => sock.destroy());
  const dots = setInterval(() => {
    try {
      fs.writeSync(2, '.');
    } catch {
      // a full pipe: the dot is only there to scroll old text away
    }
  }, LOG_DOT_MS);
  titleLog.onClose(() => {
    clearInterval(dots);
    sock.destroy();
  });
  return titleLog;
}
