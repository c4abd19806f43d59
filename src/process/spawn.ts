// The one spawn module: every child of tsinit is started here (posix_spawn
// through native/) and registered with the reaper before anything can reap it.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { execHelperPath } from '../../native/exec-helper.ts';
import { childBaseLimits } from './original-limits.ts';
import { pathCandidates } from './path-search.ts';
import { reaper, type ExitHandler } from './reaper.ts';

export interface SpawnOptions {
  /** program path; with searchPath, a name looked up in PATH */
  path: string;
  argv: string[];
  env?: NodeJS.ProcessEnv | string[];
  searchPath?: boolean;
  cwd?: string | Buffer;
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
  /**
   * With pgroup 0: the child takes the terminal on fd for its new group
   * before the program runs, if the terminal's foreground group is still pgrp
   * (the exec helper's `t`; posix_spawn cannot call tcsetpgrp in the child).
   */
  foreground?: { fd: number; pgrp: number };
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

/**
 * Start a child; throws LibcError (with the errno name) when it cannot run.
 * When children must get other resource limits than tsinit's own (Node
 * raised RLIMIT_NOFILE, original-limits.ts), or take the terminal, the child
 * is the exec helper, which does that and execs the program (posix_spawn has
 * no rlimit attribute and cannot call tcsetpgrp).
 */
export function spawnChild(opts: SpawnOptions): number {
  const base = childBaseLimits();
  const helper = base.length > 0 || opts.foreground ? execHelperPath() : undefined;
  if (helper) return spawnWithLimits(opts, helper, base);
  const pid = spawnDirect(opts);
  // No helper (a checkout without build/): hand the terminal over from here,
  // after the program has started: a program that looks at once may still
  // find itself in the background.
  if (opts.foreground) {
    try {
      libc.tcsetpgrp(opts.foreground.fd, pid);
    } catch {
      // no terminal, or no longer ours to give
    }
  }
  return pid;
}

/**
 * The exec helper as the child: limits, then the program (the PATH search
 * done by the helper over candidates computed here). An exec failure comes
 * back over a close-on-exec pipe and is thrown as posix_spawn would throw it;
 * reading it waits for the child's execve, as posix_spawn itself does.
 */
function spawnWithLimits(opts: SpawnOptions, helper: string, base: readonly (readonly [number, bigint, bigint])[]): number {
  const [r, w] = libc.pipe2(libc.O_CLOEXEC);
  let pid: number;
  try {
    // A number no other file action reads or writes, set first: the later
    // dup2s can neither clobber it nor be clobbered by it.
    const taken = [2, w, opts.stdin ?? 0, opts.stdout ?? 1, opts.stderr ?? 2, ...(opts.extraFds ?? []).flat(), ...(opts.closeFds ?? [])];
    const reportFd = Math.max(...taken) + 1;
    const candidates =
      opts.searchPath && !opts.path.includes('/')
        ? pathCandidates(Buffer.from(opts.path), process.env.PATH !== undefined ? Buffer.from(process.env.PATH) : undefined).map(String)
        : [opts.path];
    const argv = [
      helper,
      'M', '127', '',
      'R', String(reportFd),
      ...base.flatMap(([res, soft, hard]) => ['l', String(res), String(soft), String(hard)]),
      ...(opts.foreground ? ['t', String(opts.foreground.fd), String(opts.foreground.pgrp)] : []),
      ...candidates.flatMap((c) => ['X', c]),
      '--',
      ...opts.argv,
    ];
    pid = spawnDirect({ ...opts, path: helper, argv, searchPath: false }, [{ dup2: [w, reportFd] }]);
  } catch (e) {
    libc.close(r);
    throw e;
  } finally {
    libc.close(w);
  }
  const buf = Buffer.alloc(4);
  let got = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(r, buf, got, 4 - got, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EINTR' || (e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (n === 0) break;
      got += n;
      if (got === 4) break;
    }
  } finally {
    libc.close(r);
  }
  if (got < 4) return pid; // EOF: the program runs
  reaper.watch(pid, () => undefined); // the helper exits 127: reaped, owned by no one
  throw new libc.LibcError(opts.searchPath ? 'posix_spawnp' : 'posix_spawn', buf.readInt32LE(0), opts.path);
}

function spawnDirect(opts: SpawnOptions, first: libc.FileAction[] = []): number {
  const fileActions: libc.FileAction[] = [...first];
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
