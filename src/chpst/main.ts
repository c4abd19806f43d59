// chpst and its alias names: change the process state, then become the
// program (execve, same pid). The order of the steps is runit's, fixed
// whatever the order of the options: setsid, envdir, chroot, (-C chdir),
// nice, env uid/gid, setuidgid, lock, close 0/1/2, limits, exec.
//
// Where this differs from Debian's chpst 2.1.2 (because it runs inside Node):
// - `-C dir` is accepted (runit 2.3.0 / Void), not listed in the usage text.
// - Signals the parent left ignored (nohup's SIGHUP) reach the program with
//   default handling: Node resets every disposition at start-up.
// - A stdin/stdout/stderr the parent had closed is /dev/null here (Node
//   reopens 0-2 at start-up), so `-0` on a closed stdin succeeds.
// - Inherited descriptors are told apart from Node's own by kind (see
//   inheritedDescriptors in exec.ts): an inherited eventfd/epoll/io_uring, or
//   both ends of one pipe that the parent no longer holds, would not be
//   passed on. Without /proc only 0-2 are.
// - The memory limits are set after the others (same end state and messages).
import fs from 'node:fs';
import {
  chroot,
  close,
  flock,
  LOCK_EX,
  LOCK_NB,
  nice,
  O_NONBLOCK,
  Rlimit,
  setgid,
  setgroups,
  setsid,
  setrlimit,
  setuid,
} from '../../native/libc.ts';
import { childBaseLimits, NOFILE_ENV } from '../process/original-limits.ts';
import { isChpstName } from '../tool-names.ts';
import { writerOf, type ExecPlan, type ToolContext } from '../tool.ts';
import { envEntry, readEnvdir, applyEnvChanges, envGet } from './envdir.ts';
import { execPrepared, inheritedDescriptors, keepAcrossExec, lowestFree, originalEnviron, placeAt, prepareExec, rawArgs } from './exec.ts';
import { ChpstFatal, sysFatal } from './fatal.ts';
import { AccountDbError, accountIds, extendedIds, filesDb, type UidGids, type AccountDb } from './ids.ts';
import { applyLimits, limitsToApply } from './limits.ts';
import { stopBackgroundCompiles, waitForIdleThreads } from './quiesce.ts';
import { parseCommandLine, type LockSpec, type Plan, type UserSpec } from './options.ts';

const FATAL = 'chpst: fatal: ';
const WARNING = 'chpst: warning: ';

function resolveIds(db: AccountDb, user: UserSpec): UidGids {
  let ids: UidGids | undefined;
  try {
    ids = user.extended ? extendedIds(db, user.spec) : accountIds(db, user.spec);
  } catch (e) {
    if (!(e instanceof AccountDbError)) throw e;
    if (user.extended && user.spec.startsWith(':')) throw new ChpstFatal(`invalid uid/gids: ${user.spec.slice(1)}`);
    throw sysFatal(user.extended ? 'unable to get password/group file entry' : 'unable to get password file entry', e);
  }
  if (ids) return ids;
  if (!user.extended) throw new ChpstFatal(`unknown account: ${user.spec}`);
  if (user.spec.startsWith(':')) throw new ChpstFatal(`invalid uid/gids: ${user.spec.slice(1)}`);
  throw new ChpstFatal(`unknown user/group: ${user.spec}`);
}

function setUidGid(db: AccountDb, user: UserSpec): void {
  const ids = resolveIds(db, user);
  const gid = ids.gids[0] as number;
  try {
    setgroups(ids.gids);
  } catch (e) {
    throw sysFatal('unable to setgroups', e);
  }
  try {
    setgid(gid);
  } catch (e) {
    throw sysFatal('unable to setgid', e);
  }
  try {
    setuid(ids.uid);
  } catch (e) {
    throw sysFatal('unable to setuid', e);
  }
}

/** Open and lock; the descriptor stays open (and inheritable) for the program. */
function takeLock(lock: LockSpec): number {
  const giveUp = (what: string, e: unknown): ChpstFatal =>
    lock.quiet ? new ChpstFatal('', 0, true) : sysFatal(`${what}: ${lock.file}`, e);
  let fd: number;
  try {
    const c = fs.constants;
    fd = fs.openSync(lock.file, c.O_WRONLY | O_NONBLOCK | c.O_APPEND | c.O_CREAT, 0o600);
  } catch (e) {
    throw giveUp('unable to open lock', e);
  }
  try {
    flock(fd, lock.wait ? LOCK_EX : LOCK_EX | LOCK_NB);
  } catch (e) {
    throw giveUp('unable to lock', e);
  }
  return fd;
}

function closeStd(fd: number, name: string): void {
  try {
    close(fd);
  } catch (e) {
    throw sysFatal(`unable to close ${name}`, e);
  }
}

/**
 * The open-files limit we were started with (Node raised ours; the supervisor
 * tells a chpst it starts the original in TSINIT_RLIMIT_NOFILE): set it back
 * first, as if Node had not run, and keep the variable from the program.
 */
function restoreOriginalLimits(environ: Buffer[], nextIsChpst: boolean): Buffer[] {
  for (const [res, soft, hard] of childBaseLimits()) {
    try {
      setrlimit(res, { soft, hard });
    } catch {
      // the limit Node left stays: no worse than before
    }
  }
  // the next chpst of a chain (a Node process again) needs it as well
  if (nextIsChpst) return environ;
  const prefix = Buffer.from(`${NOFILE_ENV}=`);
  return environ.filter((e) => !e.subarray(0, prefix.length).equals(prefix));
}

function run(plan: Plan, args: readonly string[], inherited: number[], err: (text: string) => void): number {
  const next = plan.argv0 ?? (args[plan.progIndex] as string);
  const environ = restoreOriginalLimits(originalEnviron(), isChpstName(next));
  const prog = rawArgs(args).slice(plan.progIndex);
  const file = prog[0] as Buffer;
  if (plan.argv0 !== undefined) prog[0] = Buffer.from(plan.argv0);
  const changes: Buffer[] = [];
  const keep = [...inherited];

  if (plan.setsid) {
    try {
      setsid();
    } catch {
      // runit ignores it (a process group leader cannot start a session)
    }
  }
  if (plan.envDir !== undefined) {
    changes.push(
      ...readEnvdir(plan.envDir, {
        skipDirs: plan.envDirSkipsDirs,
        verbose: plan.verbose,
        warn: (m) => err(`${WARNING}${m}\n`),
      }),
    );
  }
  if (plan.root !== undefined) {
    try {
      process.chdir(plan.root);
    } catch (e) {
      throw sysFatal(`unable to change directory: ${plan.root}`, e);
    }
    try {
      chroot('.');
    } catch (e) {
      throw sysFatal('unable to change root directory', e);
    }
    process.chdir('/'); // refresh Node's cached cwd; "/" is where chroot(".") left us
  }
  if (plan.chdir !== undefined) {
    try {
      process.chdir(plan.chdir);
    } catch (e) {
      throw sysFatal(`unable to change directory: ${plan.chdir}`, e);
    }
  }
  if (plan.nice !== 0n) {
    try {
      nice(Number(BigInt.asIntN(32, plan.nice)));
    } catch (e) {
      throw sysFatal('unable to set nice level', e);
    }
  }
  if (plan.envUser) {
    const ids = resolveIds(filesDb, plan.envUser);
    changes.push(envEntry('GID', String(ids.gids[0])), envEntry('UID', String(ids.uid)));
  }
  if (plan.setUser) setUidGid(filesDb, plan.setUser);
  let restore = (): void => undefined;
  if (plan.lock) {
    // Node's own descriptors occupy low numbers; give the program the number
    // runit's chpst would have passed.
    const placed = placeAt(takeLock(plan.lock), lowestFree(inherited));
    keep.push(placed.fd);
    restore = placed.restore;
  }
  const prepared = prepareExec(file, prog, applyEnvChanges(environ, changes), envGet(environ, 'PATH'));
  if (plan.closeStdin) closeStd(0, 'stdin');
  if (plan.closeStdout) closeStd(1, 'stdout');
  if (plan.closeStderr) closeStd(2, 'stderr');
  keepAcrossExec(keep.filter((fd) => !(fd === 0 && plan.closeStdin) && !(fd === 1 && plan.closeStdout) && !(fd === 2 && plan.closeStderr)));
  if (limitsToApply(plan.limits).some(([r]) => r === Rlimit.DATA || r === Rlimit.AS)) waitForIdleThreads();
  applyLimits(plan.limits);
  const code = execPrepared(prepared);
  restore();
  if (plan.lock?.quiet) return 0;
  throw sysFatal(`unable to run: ${plan.argv0 ?? (args[plan.progIndex] as string)}`, { code });
}

/**
 * chpst as a tool: checks its command line (usage on the context's stderr)
 * and answers with the plan; it changes nothing itself.
 */
export function main(ctx: ToolContext): number | ExecPlan {
  const parsed = parseCommandLine(ctx.argv0, ctx.args);
  if (parsed.kind === 'exit') {
    writerOf(ctx, 2)(parsed.stderr);
    return parsed.code;
  }
  return { tool: 'chpst', argv0: ctx.argv0, args: ctx.args };
}

/**
 * The executor: this process takes the state the plan names, then becomes
 * its program. Returns only when that failed (the exit code); messages go to
 * the context's stderr.
 */
export function become(exec: ExecPlan, ctx: ToolContext): number {
  // Fewer V8 background jobs in flight when -m/-d limits start.
  stopBackgroundCompiles();
  // Before anything here opens a file: which descriptors came from our parent.
  const inherited = inheritedDescriptors();
  const err = writerOf(ctx, 2);
  // The plan's command line was checked by main(): parsing it again is pure.
  const parsed = parseCommandLine(exec.argv0, [...exec.args]);
  if (parsed.kind === 'exit') {
    err(parsed.stderr);
    return parsed.code;
  }
  try {
    return run(parsed.plan, exec.args, inherited, err);
  } catch (e) {
    if (!(e instanceof ChpstFatal)) throw e;
    if (!e.silent) err(`${FATAL}${e.message}\n`);
    return e.exitCode;
  }
}
