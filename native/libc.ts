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
  statx: ((dirfd: number, path: string, flags: number, mask: number, buf: Buffer) => number) | null;
  tcsetpgrp: (fd: number, pgrp: number) => number;
  getpgrp: () => number;
  fchdir: (fd: number) => number;
  nice: (inc: number) => number;
  execve_bytes: (path: Buffer, argv: (Buffer | null)[], envp: (Buffer | null)[]) => number;
  malloc: (size: number) => bigint | null;
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  connect: (fd: number, addr: Buffer, len: number) => number;
  listen: (fd: number, backlog: number) => number;
  accept4: (fd: number, addr: null, len: null, flags: number) => number;
  shutdown: (fd: number, how: number) => number;
  sendmsg: (fd: number, msg: bigint, flags: number) => number;
  recvmsg: (fd: number, msg: bigint, flags: number) => number;
  getsockopt: (fd: number, level: number, name: number, val: Buffer, len: [number]) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  epoll_create1: (flags: number) => number;
  epoll_ctl: (epfd: number, op: number, fd: number, event: Buffer | null) => number;
  epoll_wait: (epfd: number, events: bigint, max: number, timeout: number) => number;
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
    // glibc 2.28+, musl 1.2.5+
    statx: optional('int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buf)'),
    tcsetpgrp: f('int tcsetpgrp(int fd, int pgrp)'),
    getpgrp: f('int getpgrp()'),
    fchdir: f('int fchdir(int fd)'),
    nice: f('int nice(int inc)'),
    execve_bytes: f('int execve(void *path, void **argv, void **envp)'),
    malloc: f('void *malloc(size_t size)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, uint32_t len)'),
    connect: f('int connect(int fd, const void *addr, uint32_t len)'),
    listen: f('int listen(int fd, int backlog)'),
    accept4: f('int accept4(int fd, void *addr, void *len, int flags)'),
    shutdown: f('int shutdown(int fd, int how)'),
    sendmsg: f('long sendmsg(int fd, void *msg, int flags)'),
    recvmsg: f('long recvmsg(int fd, void *msg, int flags)'),
    getsockopt: f('int getsockopt(int fd, int level, int name, void *val, _Inout_ uint32_t *len)'),
    setsockopt: f('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
    epoll_create1: f('int epoll_create1(int flags)'),
    epoll_ctl: f('int epoll_ctl(int epfd, int op, int fd, void *event)'),
    epoll_wait: f('int epoll_wait(int epfd, void *events, int max, int timeout)'),
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

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const STATX_INO = 0x100;
const STATX_MNT_ID = 0x1000;
const STATX_SIZE = 256;

/** A file's identity: st_dev as stat() reports it (glibc's makedev), st_ino, and the id of the mount it was reached on. */
export interface FileIdentity {
  dev: number;
  ino: number;
  mnt: number;
}

/** glibc's makedev(), as libuv (and so fs.stat's dev) builds st_dev from statx's major/minor. */
function makedev(major: number, minor: number): number {
  return (major & 0xfffff000) * 2 ** 32 + (major & 0xfff) * 2 ** 8 + (minor & 0xffffff00) * 2 ** 12 + (minor & 0xff);
}

/**
 * statx(2) of an open descriptor (path undefined) or of a path: dev, ino and
 * mount id in one system call. undefined when the C library has no statx or
 * the kernel reports no mount id (Linux < 5.8): the caller then reads
 * /proc/self/fdinfo. Throws LibcError when the call fails.
 */
export function statxIdentity(fd: number | undefined, path?: string): FileIdentity | undefined {
  const call = lib().statx;
  if (!call) return undefined;
  const buf = Buffer.alloc(STATX_SIZE);
  const ret = fd === undefined ? call(AT_FDCWD, path ?? '', 0, STATX_INO | STATX_MNT_ID, buf) : call(fd, '', AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, buf);
  check('statx', ret, path);
  // struct statx: stx_mask u32 @0, stx_ino u64 @32, stx_dev_major/minor u32 @136/140, stx_mnt_id u64 @144
  const mask = buf.readUInt32LE(0);
  if ((mask & STATX_MNT_ID) === 0 || (mask & STATX_INO) === 0) return undefined;
  return { dev: makedev(buf.readUInt32LE(136), buf.readUInt32LE(140)), ino: Number(buf.readBigUInt64LE(32)), mnt: Number(buf.readBigUInt64LE(144)) };
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

// ---- Unix sockets, descriptor passing, epoll (the tool service's socket) ----
// Every call here is non-blocking: sockets are made with SOCK_NONBLOCK, sends
// and receives pass MSG_DONTWAIT, and epoll_wait always has timeout 0 (PID 1
// waits for SIGIO, never in a system call). "Would block" is a value (null),
// not an error: it is the routine end of every drain.

export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
const SO_PEERCRED = 17;
const SO_PEERGROUPS = 59;
const SCM_RIGHTS = 1;
export const MSG_TRUNC = 0x20;
export const MSG_CTRUNC = 0x8;
export const MSG_CMSG_CLOEXEC = 0x40000000;
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
export const O_ASYNC = 0o20000;
const F_SETOWN = 8;
export const EPOLLIN = 0x1;
export const EPOLLOUT = 0x4;
export const EPOLLERR = 0x8;
export const EPOLLHUP = 0x10;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
/** the longest sun_path, without its NUL */
export const SUN_PATH_MAX = 107;
/** the kernel's bound on descriptors in one SCM_RIGHTS message (SCM_MAX_FD) */
const SCM_MAX_FD = 253;
/** one message's data at most, either way (above the protocol's 192 KiB, so a longer one is seen as such) */
export const MSG_SCRATCH_BYTES = 256 * 1024;

// struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16).
const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_AT = process.arch === 'x64' ? 4 : 8;
const EPOLL_MAX_EVENTS = 64;

function isEagain(e: number): boolean {
  return e === errnoNumber('EAGAIN');
}

/**
 * Native memory for msghdr, iovec, control data, the message bytes and epoll
 * events: allocated once and reused (the pointers inside a msghdr must stay
 * where the kernel is told they are, which a JS Buffer does not promise).
 */
interface Scratch {
  ptr: bigint;
  mem: Buffer;
}
// layout (64-bit): msghdr 56 | iovec 16 | control | data | epoll events
const MSGHDR_AT = 0;
const IOVEC_AT = 64;
const CONTROL_AT = 128;
const CONTROL_BYTES = 16 + ((4 * SCM_MAX_FD + 7) & ~7);
const DATA_AT = CONTROL_AT + CONTROL_BYTES;
const EVENTS_AT = DATA_AT + MSG_SCRATCH_BYTES;
const SCRATCH_BYTES = EVENTS_AT + EPOLL_EVENT_SIZE * EPOLL_MAX_EVENTS;
let scratchMem: Scratch | undefined;

function scratch(): Scratch {
  if (scratchMem) return scratchMem;
  const ptr = lib().malloc(SCRATCH_BYTES);
  if (ptr === null) throw new LibcError('malloc', errnoNumber('ENOMEM') ?? 12);
  const mem = Buffer.from(koffi().view(ptr, SCRATCH_BYTES));
  scratchMem = { ptr, mem };
  return scratchMem;
}

/** msghdr with one iovec over the data area and the control area, both of the given sizes. */
function prepareMsghdr(s: Scratch, dataLen: number, controlLen: number): void {
  const m = s.mem;
  m.fill(0, MSGHDR_AT, IOVEC_AT + 16);
  m.writeBigUInt64LE(s.ptr + BigInt(IOVEC_AT), MSGHDR_AT + 16); // msg_iov
  m.writeBigUInt64LE(1n, MSGHDR_AT + 24); // msg_iovlen
  m.writeBigUInt64LE(controlLen > 0 ? s.ptr + BigInt(CONTROL_AT) : 0n, MSGHDR_AT + 32); // msg_control
  m.writeBigUInt64LE(BigInt(controlLen), MSGHDR_AT + 40); // msg_controllen
  m.writeBigUInt64LE(s.ptr + BigInt(DATA_AT), IOVEC_AT); // iov_base
  m.writeBigUInt64LE(BigInt(dataLen), IOVEC_AT + 8); // iov_len
}

export function socket(domain: number, type: number, protocol = 0): number {
  return check('socket', lib().socket(domain, type, protocol));
}

/** struct sockaddr_un for a path (bytes; a string is taken as UTF-8). */
function sockaddrUn(path: string | Buffer): Buffer {
  const p = typeof path === 'string' ? Buffer.from(path) : path;
  if (p.length === 0 || p.length > SUN_PATH_MAX || p.includes(0)) {
    throw new LibcError('bind', errnoNumber(p.length === 0 || p.includes(0) ? 'EINVAL' : 'ENAMETOOLONG') ?? 22, p.toString());
  }
  const sa = Buffer.alloc(2 + p.length + 1);
  sa.writeUInt16LE(AF_UNIX, 0);
  p.copy(sa, 2);
  return sa;
}

/** bind(2) to a filesystem path; creates the socket file (never through an existing name: EADDRINUSE). */
export function bindUnix(fd: number, path: string | Buffer): void {
  const sa = sockaddrUn(path);
  check('bind', lib().bind(fd, sa, sa.length), path.toString());
}

/** connect(2) to a filesystem path; on a non-blocking socket a full backlog is EAGAIN. */
export function connectUnix(fd: number, path: string | Buffer): void {
  const sa = sockaddrUn(path);
  check('connect', lib().connect(fd, sa, sa.length), path.toString());
}

export function listen(fd: number, backlog: number): void {
  check('listen', lib().listen(fd, backlog));
}

/** accept4(2) with the given SOCK_* flags; null when no connection is waiting. */
export function accept4(fd: number, flags: number): number | null {
  const r = lib().accept4(fd, null, null, flags);
  if (r === -1) {
    const e = errno();
    if (isEagain(e)) return null;
    throw new LibcError('accept4', e);
  }
  return r;
}

export function shutdown(fd: number, how: number): void {
  check('shutdown', lib().shutdown(fd, how));
}

/**
 * sendmsg(2) of one message with descriptors (SCM_RIGHTS, in order); flags
 * should hold MSG_DONTWAIT|MSG_NOSIGNAL. The bytes sent, or null when the
 * socket's buffer is full (EAGAIN).
 */
export function sendmsg(fd: number, data: Buffer, fds: readonly number[], flags: number): number | null {
  if (data.length > MSG_SCRATCH_BYTES) throw new LibcError('sendmsg', errnoNumber('EMSGSIZE') ?? 90, `${data.length} bytes`);
  if (fds.length > SCM_MAX_FD) throw new LibcError('sendmsg', errnoNumber('EINVAL') ?? 22, `${fds.length} descriptors`);
  const s = scratch();
  const controlLen = fds.length > 0 ? 16 + ((4 * fds.length + 7) & ~7) : 0;
  prepareMsghdr(s, data.length, controlLen);
  data.copy(s.mem, DATA_AT);
  if (fds.length > 0) {
    s.mem.fill(0, CONTROL_AT, CONTROL_AT + controlLen);
    s.mem.writeBigUInt64LE(BigInt(16 + 4 * fds.length), CONTROL_AT); // cmsg_len
    s.mem.writeInt32LE(SOL_SOCKET, CONTROL_AT + 8);
    s.mem.writeInt32LE(SCM_RIGHTS, CONTROL_AT + 12);
    fds.forEach((f, i) => s.mem.writeInt32LE(f, CONTROL_AT + 16 + 4 * i));
  }
  const r = lib().sendmsg(fd, s.ptr + BigInt(MSGHDR_AT), flags);
  if (r === -1) {
    const e = errno();
    if (isEagain(e)) return null;
    throw new LibcError('sendmsg', e);
  }
  return r;
}

export interface Received {
  /** the message (a copy); empty at end of file */
  data: Buffer;
  /** descriptors received (SCM_RIGHTS), now this process's: the caller must close them */
  fds: number[];
  /** the message was longer than maxBytes (the rest is lost) */
  truncated: boolean;
  /** more descriptors were sent than fit (the kernel closed the rest) */
  fdsTruncated: boolean;
}

/**
 * recvmsg(2) of one message of at most maxBytes (<= MSG_SCRATCH_BYTES), with
 * MSG_DONTWAIT|MSG_CMSG_CLOEXEC|extraFlags: descriptors arrive close-on-exec,
 * so no child spawned meanwhile inherits them. null when nothing is waiting.
 */
export function recvmsg(fd: number, maxBytes: number, extraFlags = 0): Received | null {
  const s = scratch();
  const max = Math.max(0, Math.min(maxBytes, MSG_SCRATCH_BYTES));
  prepareMsghdr(s, max, CONTROL_BYTES);
  const r = lib().recvmsg(fd, s.ptr + BigInt(MSGHDR_AT), MSG_DONTWAIT | MSG_CMSG_CLOEXEC | extraFlags);
  if (r === -1) {
    const e = errno();
    if (isEagain(e)) return null;
    throw new LibcError('recvmsg', e);
  }
  const msgFlags = s.mem.readInt32LE(MSGHDR_AT + 48);
  const controlLen = Number(s.mem.readBigUInt64LE(MSGHDR_AT + 40));
  const fds: number[] = [];
  // walk the cmsghdrs: every SCM_RIGHTS one counts (a sender may split them)
  for (let at = 0; at + 16 <= controlLen; ) {
    const len = Number(s.mem.readBigUInt64LE(CONTROL_AT + at));
    if (len < 16 || at + len > controlLen) break;
    if (s.mem.readInt32LE(CONTROL_AT + at + 8) === SOL_SOCKET && s.mem.readInt32LE(CONTROL_AT + at + 12) === SCM_RIGHTS) {
      for (let i = 16; i + 4 <= len; i += 4) fds.push(s.mem.readInt32LE(CONTROL_AT + at + i));
    }
    at += (len + 7) & ~7;
  }
  return {
    data: Buffer.from(s.mem.subarray(DATA_AT, DATA_AT + Math.min(r, max))),
    fds,
    truncated: (msgFlags & MSG_TRUNC) !== 0,
    fdsTruncated: (msgFlags & MSG_CTRUNC) !== 0,
  };
}

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** SO_PEERCRED: the peer's pid, uid and gid as of its connect() (pid 0: outside our pid namespace). */
export function getPeerCred(fd: number): PeerCredentials {
  const buf = Buffer.alloc(12);
  const len: [number] = [12];
  check('getsockopt', lib().getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len), 'SO_PEERCRED');
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}

/** SO_PEERGROUPS: the peer's supplementary groups as of its connect(). */
export function getPeerGroups(fd: number): number[] {
  let size = 64 * 4;
  for (let attempt = 0; attempt < 2; attempt++) {
    const buf = Buffer.alloc(size);
    const len: [number] = [size];
    if (lib().getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, len) === 0) {
      const out: number[] = [];
      for (let i = 0; i + 4 <= len[0]; i += 4) out.push(buf.readUInt32LE(i));
      return out;
    }
    const e = errno();
    // ERANGE: len holds the size needed (at most NGROUPS_MAX = 65536 groups)
    if (e !== errnoNumber('ERANGE') || attempt > 0) throw new LibcError('getsockopt', e, 'SO_PEERGROUPS');
    size = Math.min(len[0], 65536 * 4);
  }
  throw new LibcError('getsockopt', errnoNumber('ERANGE') ?? 34, 'SO_PEERGROUPS');
}

export function setSockoptInt(fd: number, level: number, name: number, value: number): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value, 0);
  check('setsockopt', lib().setsockopt(fd, level, name, buf, 4));
}

/** Make the kernel raise SIGIO at `owner` when fd becomes ready; fd is made non-blocking too. */
export function setAsync(fd: number, owner: number): void {
  fcntl(fd, F_SETOWN, owner);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
}

export function epollCreate(): number {
  return check('epoll_create1', lib().epoll_create1(O_CLOEXEC));
}

/** epoll_ctl with the descriptor itself as the event's data. */
export function epollCtl(epfd: number, op: number, fd: number, events: number): void {
  let ev: Buffer | null = null;
  if (op !== EPOLL_CTL_DEL) {
    ev = Buffer.alloc(EPOLL_EVENT_SIZE);
    ev.writeUInt32LE(events >>> 0, 0);
    ev.writeBigUInt64LE(BigInt(fd), EPOLL_DATA_AT);
  }
  check('epoll_ctl', lib().epoll_ctl(epfd, op, fd, ev), String(fd));
}

export interface EpollReady {
  fd: number;
  events: number;
}

/** epoll_wait(epfd, ..., max, 0): what is ready now, at most max (<= 64) descriptors; never waits. */
export function epollWait(epfd: number, max: number = EPOLL_MAX_EVENTS): EpollReady[] {
  const s = scratch();
  const n = Math.max(1, Math.min(max, EPOLL_MAX_EVENTS));
  const r = lib().epoll_wait(epfd, s.ptr + BigInt(EVENTS_AT), n, 0);
  if (r === -1) {
    const e = errno();
    if (e === errnoNumber('EINTR')) return [];
    throw new LibcError('epoll_wait', e);
  }
  const out: EpollReady[] = [];
  for (let i = 0; i < r; i++) {
    const at = EVENTS_AT + i * EPOLL_EVENT_SIZE;
    out.push({ events: s.mem.readUInt32LE(at), fd: Number(s.mem.readBigUInt64LE(at + EPOLL_DATA_AT)) });
  }
  return out;
}
