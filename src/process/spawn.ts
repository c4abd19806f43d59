// The one spawn module: every child of tsinit is started here (posix_spawn
// through native/) and registered with the reaper before anything can reap it.
import * as libc from '../../native/libc.ts';
import { reaper, type ExitHandler } from './reaper.ts';

export interface SpawnOptions {
  /** program path; with searchPath, a name looked up in PATH */
  path: string;
  argv: string[];
  env?: NodeJS.ProcessEnv | string[];
  searchPath?: boolean;
  cwd?: string;
  /** descriptors for the child's 0, 1 and 2; default: tsinit's own */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** further descriptors to pass: child fd -> parent fd */
  extraFds?: Array<[childFd: number, parentFd: number]>;
  /** descriptors to leave closed in the child (e.g. sv runs ./check without stdout) */
  closeFds?: number[];
  setsid?: boolean;
  pgroup?: number;
  onExit: ExitHandler;
}

export function envArray(env: NodeJS.ProcessEnv | string[] | undefined): string[] {
  if (Array.isArray(env)) return env;
  const src = env ?? process.env;
  const out: string[] = [];
  for (const [k, v] of Object.entries(src)) if (v !== undefined) out.push(`${k}=${v}`);
  return out;
}

/**
 * No process was created at all (clone failed: the process limit, RLIMIT_NPROC,
 * or no memory), as opposed to a child whose exec failed. runit's answer to
 * the first is "unable to fork", a pause and another try.
 */
export function forkFailed(e: unknown): boolean {
  return e instanceof libc.LibcError && (e.code === 'EAGAIN' || e.code === 'ENOMEM');
}

/** Start a child; throws LibcError (with the errno name) when it cannot run. */
export function spawnChild(opts: SpawnOptions): number {
  const fileActions: libc.FileAction[] = [];
  // Node marks 0-2 close-on-exec; dup2(fd, fd) in the child clears the flag.
  const std: Array<[number, number]> = [
    [0, opts.stdin ?? 0],
    [1, opts.stdout ?? 1],
    [2, opts.stderr ?? 2],
    ...(opts.extraFds ?? []),
  ];
  const closed = opts.closeFds ?? [];
  for (const [child, parent] of std) if (!closed.includes(child)) fileActions.push({ dup2: [parent, child] });
  for (const fd of closed) fileActions.push({ close: fd });
  const pid = libc.spawn({
    path: opts.path,
    argv: opts.argv,
    env: envArray(opts.env),
    searchPath: opts.searchPath ?? false,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.setsid ? { setsid: true } : {}),
    ...(opts.pgroup !== undefined ? { pgroup: opts.pgroup } : {}),
    fileActions,
  });
  reaper.watch(pid, opts.onExit);
  return pid;
}
