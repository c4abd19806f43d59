// The one door to libc. Every function here is a thin typed wrapper over a
// koffi binding; a failing call throws LibcError carrying the errno name.
import os from 'node:os';
import { koffi } from './koffi-loader.ts';

// Linux gives two names to some numbers (11: EAGAIN and EWOULDBLOCK, 95:
// ENOTSUP and EOPNOTSUPP). The first one listed is the name libuv, and so
// every Node error, uses: callers compare LibcError.code with the same names.
// (A plain Map over the entries kept the last: posix_spawn's EAGAIN came back
// as EWOULDBLOCK and a failed fork was taken for a failed exec.)
const errnoNames: Map<number, string> = new Map();
for (const [name, num] of Object.entries(os.constants.errno)) if (!errnoNames.has(num)) errnoNames.set(num, name);

export class LibcError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoNames.get(errno) ?? `E${errno}`;
    super(`${syscall}${detail ? ` ${detail}` : ''}: ${code}`);
    this.name = 'LibcError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export function errnoNumber(name: string): number | undefined {
  return (os.constants.errno as Record<string, number>)[name];
}

// glibc x86_64 / aarch64 sizes; over-allocated where it costs nothing.
const SPAWNATTR_SIZE = 512;
const FILE_ACTIONS_SIZE = 256;
const SIGSET_SIZE = 128;

export const SpawnFlags = {
  RESETIDS: 0x01,
  SETPGROUP: 0x02,
  SETSIGDEF: 0x04,
  SETSIGMASK: 0x08,
  SETSID: 0x80,
} as const;

export const WNOHANG = 1;
export const O_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;
export const F_GETFD = 1;
const F_SETFD = 2;
export const F_GETFL = 3;
const F_SETFL = 4;
export const FD_CLOEXEC = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const PR_SET_PDEATHSIG = 1;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PRIO_PROCESS = 0;
const SIG_SETMASK = 2;

export const Rlimit = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
} as const;
export const RLIM_INFINITY = 0xffffffffffffffffn;

interface Bindings {
  posix_spawn: (pid: [number], path: string, fa: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]) => number;
  posix_spawnp: (pid: [number], file: string, fa: Buffer, attr: Buffer, argv: (string | null)[], envp: (string | null)[]) => number;
  posix_spawnattr_init: (attr: Buffer) => number;
  posix_spawnattr_destroy: (attr: Buffer) => number;
  posix_spawnattr_setflags: (attr: Buffer, flags: number) => number;
  posix_spawnattr_setsigdefault: (attr: Buffer, set: Buffer) => number;
  posix_spawnattr_setsigmask: (attr: Buffer, set: Buffer) => number;
  posix_spawnattr_setpgroup: (attr: Buffer, pgid: number) => number;
  posix_spawn_file_actions_init: (fa: Buffer) => number;
  posix_spawn_file_actions_destroy: (fa: Buffer) => number;
  posix_spawn_file_actions_adddup2: (fa: Buffer, fd: number, newfd: number) => number;
  posix_spawn_file_actions_addclose: (fa: Buffer, fd: number) => number;
  posix_spawn_file_actions_addopen: (fa: Buffer, fd: number, path: string, oflag: number, mode: number) => number;
  posix_spawn_file_actions_addchdir_np: (fa: Buffer, path: string | Buffer) => number;
  sigemptyset: (set: Buffer) => number;
  sigprocmask: (how: number, set: Buffer, old: Buffer | null) => number;
  signal: (sig: number, handler: null) => unknown;
  waitpid: (pid: number, status: [number], options: number) => number;
  kill: (pid: number, sig: number) => number;
  prctl: (option: number, a2: number, a3: number, a4: number, a5: number) => number;
  pipe2: (fds: Int32Array, flags: number) => number;
  fcntl: (fd: number, cmd: number, arg: number) => number;
  send: (fd: number, buf: Buffer, len: number, flags: number) => number;
  flock: (fd: number, op: number) => number;
  mkfifo: (path: string, mode: number) => number;
  setsid: () => number;
  getrlimit: (resource: number, rl: BigUint64Array) => number;
  setrlimit: (resource: number, rl: BigUint64Array) => number;
  getpriority: (which: number, who: number) => number;
  chroot: (path: string) => number;
  setgroups: (n: number, gids: Uint32Array) => number;
  setgid: (gid: number) => number;
  setuid: (uid: number) => number;
  execve: (path: string, argv: (string | null)[], envp: (string | null)[]) => number;
  dup2: (fd: number, newfd: number) => number;
  close: (fd: number) => number;
  umask: (mask: number) => number;
  _exit: (code: number) => void;
  tcgetpgrp: (fd: number) => number;
  madvise: (addr: bigint, len: bigint, advice: number) => number;
  /** glibc only: null where the C library has none (musl) */
  malloc_trim: ((pad: number) => number) | null;
  tcsetpgrp: (fd: number, pgrp: number) => number;
  getpgrp: () => number;
  fchdir: (fd: number) => number;
  nice: (inc: number) => number;
  execve_bytes: (path: Buffer, argv: (Buffer | null)[], envp: (Buffer | null)[]) => number;
}

let bound: Bindings | undefined;

function lib(): Bindings {
  if (bound) return bound;
  const k = koffi();
  const c = k.load('libc.so.6');
  const f = (decl: string) => c.func(decl) as never;
  // glibc's extensions: a C library without them (musl) must still load.
  const optional = (decl: string) => {
    try {
      return c.func(decl) as never;
    } catch {
      return null;
    }
  };
  bound = {
    posix_spawn: f('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)'),
    posix_spawnp: f('int posix_spawnp(_Out_ int *pid, const char *file, void *fa, void *attr, const char **argv, const char **envp)'),
    posix_spawnattr_init: f('int posix_spawnattr_init(void *attr)'),
    posix_spawnattr_destroy: f('int posix_spawnattr_destroy(void *attr)'),
    posix_spawnattr_setflags: f('int posix_spawnattr_setflags(void *attr, short flags)'),
    posix_spawnattr_setsigdefault: f('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    posix_spawnattr_setsigmask: f('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    posix_spawnattr_setpgroup: f('int posix_spawnattr_setpgroup(void *attr, int pgid)'),
    posix_spawn_file_actions_init: f('int posix_spawn_file_actions_init(void *fa)'),
    posix_spawn_file_actions_destroy: f('int posix_spawn_file_actions_destroy(void *fa)'),
    posix_spawn_file_actions_adddup2: f('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
    posix_spawn_file_actions_addclose: f('int posix_spawn_file_actions_addclose(void *fa, int fd)'),
    posix_spawn_file_actions_addopen: f('int posix_spawn_file_actions_addopen(void *fa, int fd, const char *path, int oflag, uint32_t mode)'),
    posix_spawn_file_actions_addchdir_np: f('int posix_spawn_file_actions_addchdir_np(void *fa, const char *path)'),
    sigemptyset: f('int sigemptyset(void *set)'),
    sigprocmask: f('int sigprocmask(int how, void *set, void *old)'),
    signal: f('void *signal(int sig, void *handler)'),
    waitpid: f('int waitpid(int pid, _Out_ int *status, int options)'),
    kill: f('int kill(int pid, int sig)'),
    prctl: f('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    pipe2: f('int pipe2(_Out_ int *fds, int flags)'),
    fcntl: f('int fcntl(int fd, int cmd, int arg)'),
    send: f('long send(int fd, const void *buf, unsigned long len, int flags)'),
    flock: f('int flock(int fd, int op)'),
    mkfifo: f('int mkfifo(const char *path, uint32_t mode)'),
    setsid: f('int setsid()'),
    getrlimit: f('int getrlimit(int resource, _Out_ uint64_t *rl)'),
    setrlimit: f('int setrlimit(int resource, const uint64_t *rl)'),
    getpriority: f('int getpriority(int which, uint32_t who)'),
    chroot: f('int chroot(const char *path)'),
    setgroups: f('int setgroups(size_t n, const uint32_t *gids)'),
    setgid: f('int setgid(uint32_t gid)'),
    setuid: f('int setuid(uint32_t uid)'),
    execve: f('int execve(const char *path, const char **argv, const char **envp)'),
    dup2: f('int dup2(int fd, int newfd)'),
    close: f('int close(int fd)'),
    umask: f('uint32_t umask(uint32_t mask)'),
    _exit: f('void _exit(int code)'),
    tcgetpgrp: f('int tcgetpgrp(int fd)'),
    madvise: f('int madvise(uintptr_t addr, size_t len, int advice)'),
    malloc_trim: optional('int malloc_trim(size_t pad)'),
    tcsetpgrp: f('int tcsetpgrp(int fd, int pgrp)'),
    getpgrp: f('int getpgrp()'),
    fchdir: f('int fchdir(int fd)'),
    nice: f('int nice(int inc)'),
    execve_bytes: f('int execve(void *path, void **argv, void **envp)'),
  };
  return bound;
}

function errno(): number {
  return koffi().errno();
}

/** For calls that return -1 and set errno. */
function check(syscall: string, ret: number, detail?: string): number {
  if (ret === -1) throw new LibcError(syscall, errno(), detail);
  return ret;
}

/** For calls that return the error number directly (posix_spawn family). */
function checkRet(syscall: string, ret: number, detail?: string): void {
  if (ret !== 0) throw new LibcError(syscall, ret, detail);
}

/** Load the binding now, so a broken FFI fails at start-up, not at first use. */
export function preload(): void {
  lib();
}

export interface FileAction {
  /** dup2(fd, target) in the child */
  dup2?: [number, number];
  /** close(fd) in the child */
  close?: number;
  /** open(path, flags, mode) as fd in the child */
  open?: { fd: number; path: string; flags: number; mode: number };
}

export interface SpawnRequest {
  path: string;
  argv: string[];
  env: string[];
  /** search PATH (of this process) like execvp */
  searchPath?: boolean;
  /** the child's directory; bytes for a path that is not UTF-8 */
  cwd?: string | Buffer;
  setsid?: boolean;
  /** put the child in process group pgid (0 = its own new group) */
  pgroup?: number;
  /** reset every signal to default and unblock all signals (default true) */
  defaultSignals?: boolean;
  fileActions?: FileAction[];
}

export function spawn(req: SpawnRequest): number {
  const l = lib();
  const attr = Buffer.alloc(SPAWNATTR_SIZE);
  const fa = Buffer.alloc(FILE_ACTIONS_SIZE);
  checkRet('posix_spawnattr_init', l.posix_spawnattr_init(attr));
  checkRet('posix_spawn_file_actions_init', l.posix_spawn_file_actions_init(fa));
  try {
    let flags = 0;
    if (req.defaultSignals !== false) {
      // Every signal 1..64 to default, including the two glibc reserves for
      // itself (sigfillset leaves them out, and the child would get them ignored).
      const all = Buffer.alloc(SIGSET_SIZE);
      all.fill(0xff, 0, 8);
      const none = Buffer.alloc(SIGSET_SIZE);
      checkRet('posix_spawnattr_setsigdefault', l.posix_spawnattr_setsigdefault(attr, all));
      checkRet('posix_spawnattr_setsigmask', l.posix_spawnattr_setsigmask(attr, none));
      flags |= SpawnFlags.SETSIGDEF | SpawnFlags.SETSIGMASK;
    }
    if (req.setsid) flags |= SpawnFlags.SETSID;
    else if (req.pgroup !== undefined) {
      flags |= SpawnFlags.SETPGROUP;
      checkRet('posix_spawnattr_setpgroup', l.posix_spawnattr_setpgroup(attr, req.pgroup));
    }
    checkRet('posix_spawnattr_setflags', l.posix_spawnattr_setflags(attr, flags));
    for (const a of req.fileActions ?? []) {
      if (a.dup2) checkRet('posix_spawn_file_actions_adddup2', l.posix_spawn_file_actions_adddup2(fa, a.dup2[0], a.dup2[1]));
      if (a.close !== undefined) checkRet('posix_spawn_file_actions_addclose', l.posix_spawn_file_actions_addclose(fa, a.close));
      if (a.open) checkRet('posix_spawn_file_actions_addopen', l.posix_spawn_file_actions_addopen(fa, a.open.fd, a.open.path, a.open.flags, a.open.mode));
    }
    if (req.cwd !== undefined) {
      // koffi passes a Buffer's bytes as they are: the C string needs its NUL.
      const cwd = typeof req.cwd === 'string' ? req.cwd : Buffer.concat([req.cwd, Buffer.alloc(1)]);
      checkRet('posix_spawn_file_actions_addchdir_np', l.posix_spawn_file_actions_addchdir_np(fa, cwd));
    }
    const pid: [number] = [0];
    const argv = [...req.argv, null];
    const envp = [...req.env, null];
    const fn = req.searchPath ? l.posix_spawnp : l.posix_spawn;
    checkRet(req.searchPath ? 'posix_spawnp' : 'posix_spawn', fn(pid, req.path, fa, attr, argv, envp), req.path);
    return pid[0];
  } finally {
    l.posix_spawn_file_actions_destroy(fa);
    l.posix_spawnattr_destroy(attr);
  }
}

export interface WaitResult {
  pid: number;
  status: number;
}

/** waitpid; returns pid 0 with WNOHANG when nothing is ready, undefined on ECHILD. */
export function waitpid(pid: number, options: number): WaitResult | undefined {
  const st: [number] = [0];
  const r = lib().waitpid(pid, st, options);
  if (r === -1) {
    const e = errno();
    if (e === errnoNumber('ECHILD')) return undefined;
    throw new LibcError('waitpid', e);
  }
  return { pid: r, status: st[0] };
}

export function kill(pid: number, sig: number): void {
  check('kill', lib().kill(pid, sig), String(pid));
}

/** kill() that reports failure as a value (ESRCH is routine for a supervisor). */
export function tryKill(pid: number, sig: number): LibcError | undefined {
  if (lib().kill(pid, sig) === -1) return new LibcError('kill', errno(), String(pid));
  return undefined;
}

export function prctl(option: number, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  return check('prctl', lib().prctl(option, a2, a3, a4, a5));
}

export function pipe2(flags = O_CLOEXEC): [number, number] {
  const fds = new Int32Array(2);
  check('pipe2', lib().pipe2(fds, flags));
  return [fds[0] as number, fds[1] as number];
}

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check('fcntl', lib().fcntl(fd, cmd, arg));
}

export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;

/** send(2) on a socket: with MSG_DONTWAIT a non-blocking write that leaves the socket's own flags alone. */
export function send(fd: number, buf: Buffer, flags: number): number {
  return check('send', lib().send(fd, buf, buf.length, flags));
}

export function setCloexec(fd: number, on: boolean): void {
  const cur = fcntl(fd, F_GETFD);
  fcntl(fd, F_SETFD, on ? cur | FD_CLOEXEC : cur & ~FD_CLOEXEC);
}

export function setNonblock(fd: number, on: boolean): void {
  const cur = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? cur | O_NONBLOCK : cur & ~O_NONBLOCK);
}

export function flock(fd: number, op: number): void {
  check('flock', lib().flock(fd, op));
}

export function mkfifo(path: string, mode: number): void {
  check('mkfifo', lib().mkfifo(path, mode), path);
}

export function setsid(): number {
  return check('setsid', lib().setsid());
}

export interface RlimitValue {
  soft: bigint;
  hard: bigint;
}

export function getrlimit(resource: number): RlimitValue {
  const rl = new BigUint64Array(2);
  check('getrlimit', lib().getrlimit(resource, rl));
  return { soft: rl[0] as bigint, hard: rl[1] as bigint };
}

export function setrlimit(resource: number, value: RlimitValue): void {
  check('setrlimit', lib().setrlimit(resource, new BigUint64Array([value.soft, value.hard])));
}

export function getpriority(which: number, who: number): number {
  koffi().errno(0);
  const r = lib().getpriority(which, who);
  if (r === -1 && errno() !== 0) throw new LibcError('getpriority', errno());
  return r;
}

export function chroot(path: string): void {
  check('chroot', lib().chroot(path), path);
}

export function setgroups(gids: number[]): void {
  check('setgroups', lib().setgroups(gids.length, new Uint32Array(gids)));
}

export function setgid(gid: number): void {
  check('setgid', lib().setgid(gid));
}

export function setuid(uid: number): void {
  check('setuid', lib().setuid(uid));
}

export function dup2(fd: number, newfd: number): void {
  check('dup2', lib().dup2(fd, newfd));
}

export function close(fd: number): void {
  check('close', lib().close(fd));
}

/**
 * Make pgrp the foreground process group of the terminal on fd, but only when
 * this process is in the foreground itself (otherwise SIGTTOU would stop it).
 */
export function tcsetpgrp(fd: number, pgrp: number): void {
  const l = lib();
  const fg = l.tcgetpgrp(fd);
  if (fg === -1) throw new LibcError('tcgetpgrp', errno());
  if (fg !== l.getpgrp()) throw new LibcError('tcsetpgrp', errnoNumber('EPERM') ?? 1, 'not in the foreground');
  check('tcsetpgrp', l.tcsetpgrp(fd, pgrp));
}

export const MADV_DONTNEED = 4;

export function madvise(addr: bigint, len: bigint, advice: number): void {
  check('madvise', lib().madvise(addr, len, advice));
}

/** glibc's malloc_trim(0): free pages of every malloc arena go back to the kernel; true if any did. */
export function mallocTrim(): boolean {
  return lib().malloc_trim?.(0) === 1;
}

export function umask(mask: number): number {
  return lib().umask(mask);
}

/** Return to a directory held open (sv goes back to its original cwd this way). */
export function fchdir(fd: number): void {
  check('fchdir', lib().fchdir(fd));
}

/**
 * Prepare this process for exec: default dispositions for the signals Node
 * ignores (SIGPIPE, SIGXFSZ) and an empty signal mask, as a program started by
 * a shell would have.
 */
export function resetSignalsForExec(): void {
  const l = lib();
  for (const sig of [os.constants.signals.SIGPIPE, os.constants.signals.SIGXFSZ]) l.signal(sig, null);
  const none = Buffer.alloc(SIGSET_SIZE);
  l.sigemptyset(none);
  l.sigprocmask(SIG_SETMASK, none, null);
}

/** Replace this process (same pid). Returns only by throwing. */
export function execve(path: string, argv: string[], env: string[]): never {
  lib().execve(path, [...argv, null], [...env, null]);
  throw new LibcError('execve', errno(), path);
}

/** nice(inc); -1 is a valid result, so errno decides (as chpst does). */
export function nice(inc: number): number {
  koffi().errno(0);
  const r = lib().nice(inc);
  if (r === -1 && errno() !== 0) throw new LibcError('nice', errno());
  return r;
}

/**
 * execve with everything prepared by the caller (NUL-terminated strings,
 * null-ended arrays); returns the errno on failure. Allocates nothing itself,
 * for use after chpst's tight memory limits are in force.
 */
export function execveRaw(path: Buffer, argv: (Buffer | null)[], envp: (Buffer | null)[]): number {
  lib().execve_bytes(path, argv, envp);
  return errno();
}

/**
 * _exit(2): leave at once, skipping exit handlers. For a process whose libuv
 * thread pool may be blocked in read(2) on stdin (exit() would wait to join it).
 */
export function exitNow(code: number): never {
  lib()._exit(code);
  throw new LibcError('_exit', errno());
}
