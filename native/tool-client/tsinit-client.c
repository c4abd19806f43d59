/*
 * tsinit-client: the thin client `tsinit install` puts under every tool name
 * (sv, chpst, svlogd, runsvdir, ..., tsinit-health). It hands the call - argv,
 * environment, working directory, nice value, limits and its standard
 * descriptors - to PID 1 over $TSINIT_RUN_DIR/tools.sock (SOCK_SEQPACKET,
 * docs/design.md "The tool client"), then does what the answers say: write
 * bytes to its fd 1 or 2, exit with a code, carry out an exec plan (the exec
 * helper's operations, ops.h: the same code), exec the full executable
 * (fallback), die by a signal, or show a title in ps. Signals it receives are
 * forwarded to PID 1.
 *
 * It decides nothing but "could I reach PID 1": any failure before the request
 * is sent execs the full tsinit executable named in its slot, with its own
 * argv and environment, so a tool behaves exactly as the executable when PID 1
 * is not tsinit (docker build RUN steps, another init).
 *
 * It reads one variable, TSINIT_RUN_DIR, itself: the one reader of a TSINIT_
 * variable outside src/settings.ts (a C program cannot import it).
 *
 * No libc: raw system calls for x86_64 and aarch64 (ops.h), static, no
 * interpreter. Built by build.mjs.
 */

#include "../exec-helper/ops.h"

#if defined(__x86_64__)
#define NR_read 0
#define NR_rt_sigaction 13
#define NR_getpid 39
#define NR_socket 41
#define NR_connect 42
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_setsockopt 54
#define NR_kill 62
#define NR_getcwd 79
#define NR_getpriority 140
#define NR_newfstatat 262
#define NR_ppoll 271
#define NR_signalfd4 289
#define O_DIRECTORY 0200000
#elif defined(__aarch64__)
#define NR_getcwd 17
#define NR_read 63
#define NR_ppoll 73
#define NR_signalfd4 74
#define NR_newfstatat 79
#define NR_kill 129
#define NR_rt_sigaction 134
#define NR_getpriority 141
#define NR_getpid 172
#define NR_socket 198
#define NR_connect 203
#define NR_setsockopt 208
#define NR_sendmsg 211
#define NR_recvmsg 212
#define O_DIRECTORY 040000
#endif

#define O_PATH 010000000
#define O_CLOEXEC 02000000
#define AF_UNIX 1
#define SOCK_SEQPACKET 5
#define SOCK_CLOEXEC 02000000
#define SOL_SOCKET 1
#define SO_SNDBUF 7
#define SCM_RIGHTS 1
#define MSG_TRUNC 0x20
#define MSG_NOSIGNAL 0x4000
#define POLLIN 1
#define POLLOUT 4
#define EINTR 4
#define EAGAIN 11
#define F_GETFD 1
#define F_DUPFD_CLOEXEC 1030

#define MAGIC 0x31435354u /* "TSC1" */
#define VERSION 1
#define REQUEST_MAX (192 * 1024)
#define ANSWER_MAX (1024 * 1024)
#define WORDS_MAX (128 * 1024)
#define NLIMITS 16
#define T_OUT 1
#define T_EXIT 2
#define T_EXEC 3
#define T_FALLBACK 4
#define T_DIE 5
#define T_TITLE 6
#define T_SIGNAL 7

/*
 * The fallback path: `tsinit install` finds the marker in this file's bytes
 * and writes the absolute path of the full executable after it (NUL-padded).
 * volatile: the compiler must read what the file holds, not the zeros here.
 */
#define SLOT_MARKER "tsinit-client fallback path slot"
#define SLOT_SIZE 4096
static volatile struct {
  char marker[sizeof SLOT_MARKER];
  char path[SLOT_SIZE];
} slot __attribute__((used)) = {SLOT_MARKER, {0}};

/* The forwarded signals: HUP INT QUIT USR1 USR2 ALRM TERM CONT. */
static const int forwarded[] = {1, 2, 3, 10, 12, 14, 15, 18};

struct iovec { void *base; u64 len; };
struct msghdr {
  void *name; unsigned int namelen;
  struct iovec *iov; u64 iovlen;
  void *control; u64 controllen;
  int flags;
};
struct sockaddr_un { unsigned short family; char path[108]; };
struct pollfd { int fd; short events; short revents; };

static unsigned int stdSent; /* flags bits 0..2: which of 0, 1, 2 were open at the start */
static char **gArgv;
static i64 gArgc;
static char **gEnvp;
static u64 oldMask;
static int gSock = -1, gSignalFd = -1; /* ours: closed before EXEC's operations */
static unsigned char request[REQUEST_MAX];
static unsigned char answer[ANSWER_MAX + 1];
static char *words[WORDS_MAX + 1];

static u64 len(const char *s) {
  u64 n = 0;
  while (s[n]) n++;
  return n;
}

static void say(const char *s) {
  sys(NR_write, 2, s, len(s));
}

static __attribute__((noreturn)) void quit(int code) {
  for (;;) sys(NR_exit_group, code, 0, 0);
}

static __attribute__((noreturn)) void fatal(const char *s) {
  say(s);
  quit(111);
}

static __attribute__((noreturn)) void badAnswer(void) {
  fatal("tsinit: fatal: bad answer from tsinit\n");
}

static void restoreMask(void) {
  sys4(NR_rt_sigprocmask, SIG_SETMASK, &oldMask, 0, 8);
}

/** Exec the full tsinit executable with our own argv and environment. */
static __attribute__((noreturn)) void fallback(void) {
  restoreMask();
  char full[SLOT_SIZE];
  u64 n = 0;
  while (n < SLOT_SIZE && slot.path[n]) {
    full[n] = slot.path[n];
    n++;
  }
  if (n == 0 || n == SLOT_SIZE) fatal("tsinit: fatal: unable to find the tsinit executable\n");
  full[n] = 0;
  /* a slot naming this very file would exec itself forever */
  u64 self[32], target[32]; /* struct stat: st_dev, st_ino first on both architectures */
  if (sys4(NR_newfstatat, AT_FDCWD, "/proc/self/exe", self, 0) == 0 && sys4(NR_newfstatat, AT_FDCWD, full, target, 0) == 0 &&
      self[0] == target[0] && self[1] == target[1])
    fatal("tsinit: fatal: unable to find the tsinit executable\n");
  i64 e = sys(NR_execve, full, gArgv, gEnvp);
  say("tsinit: fatal: unable to run ");
  sys(NR_write, 2, full, n);
  say(e == -ENOENT ? ": file does not exist\n" : e == -EACCES ? ": access denied\n" : ": exec failed\n");
  quit(111);
}

/** $TSINIT_RUN_DIR/tools.sock, or /run/tsinit's when unset, relative or too long. */
static void socketPath(char *out) {
  const char *dir = "/run/tsinit";
  static const char name[] = "TSINIT_RUN_DIR=";
  for (char **e = gEnvp; *e; e++) {
    u64 k = 0;
    while (name[k] && (*e)[k] == name[k]) k++;
    if (name[k] == 0) {
      const char *v = *e + k;
      if (v[0] == '/' && len(v) + sizeof "/tools.sock" <= 108) dir = v;
      break; /* the first entry is the one getenv(3) returns */
    }
  }
  u64 n = 0;
  for (const char *p = dir; *p; p++) out[n++] = *p;
  for (const char *p = "/tools.sock"; *p; p++) out[n++] = *p;
  out[n] = 0;
}

/* The request, built into `request`; 0 when it does not fit (fallback). */
static u64 at;
static int put(const void *p, u64 n) {
  if (n > REQUEST_MAX - at) return 0;
  for (u64 i = 0; i < n; i++) request[at + i] = ((const unsigned char *)p)[i];
  at += n;
  return 1;
}
static int put32(unsigned int v) { return put(&v, 4); }

/**
 * A descriptor of ours moved above 2 (close-on-exec): with 0, 1 or 2 closed
 * the kernel hands out that number, and it must not pass for the caller's
 * stdin or take OUT bytes meant for a closed stdout.
 */
static i64 high(i64 fd) {
  if (fd < 0 || fd > 2) return fd;
  i64 moved = sys(NR_fcntl, fd, F_DUPFD_CLOEXEC, 3);
  sys(NR_close, fd, 0, 0);
  return moved;
}

static void sendRequest(int s) {
  int fds[5];
  unsigned int nfds = 0, flags = stdSent;
  for (int fd = 0; fd < 3; fd++)
    if (stdSent & (1u << fd)) fds[nfds++] = fd;
  int cwdFd = (int)high(sys4(NR_openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  if (cwdFd >= 0) fds[nfds++] = cwdFd, flags |= 8;
  int rootFd = (int)high(sys4(NR_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  if (rootFd >= 0) fds[nfds++] = rootFd, flags |= 16;

  i64 prio = sys(NR_getpriority, 0 /* PRIO_PROCESS */, 0, 0);
  int nice = prio > 0 ? (int)(20 - prio) : 0;
  char cwd[4096];
  i64 cwdlen = sys(NR_getcwd, cwd, sizeof cwd, 0);
  /* the syscall counts the NUL; "(unreachable)..." is no path */
  cwdlen = cwdlen > 1 && cwd[0] == '/' ? cwdlen - 1 : 0;
  unsigned int envc = 0;
  while (gEnvp[envc]) envc++;

  int ok = put32(MAGIC) && put32(VERSION) && put32(flags) && put32((unsigned int)nice) && put32(NLIMITS);
  for (int r = 0; ok && r < NLIMITS; r++) {
    u64 lim[2];
    if (sys4(NR_prlimit64, 0, r, 0, lim) < 0) lim[0] = lim[1] = ~0UL;
    ok = put(lim, 16);
  }
  ok = ok && put32((unsigned int)gArgc) && put32(envc) && put32((unsigned int)cwdlen);
  for (i64 i = 0; ok && i < gArgc; i++) ok = put(gArgv[i], len(gArgv[i]) + 1);
  for (unsigned int i = 0; ok && i < envc; i++) ok = put(gEnvp[i], len(gEnvp[i]) + 1);
  ok = ok && put(cwd, (u64)cwdlen);

  i64 sent = -1;
  if (ok) {
    u64 control[(16 + 4 * 5 + 7) / 8]; /* CMSG_SPACE(5 ints) */
    control[0] = 16 + 4 * (u64)nfds;   /* cmsg_len */
    ((int *)control)[2] = SOL_SOCKET;
    ((int *)control)[3] = SCM_RIGHTS;
    for (unsigned int k = 0; k < nfds; k++) ((int *)control)[4 + k] = fds[k];
    struct iovec iov = {request, at};
    struct msghdr m = {0, 0, &iov, 1, nfds ? control : 0, nfds ? (16 + 4 * (u64)nfds + 7) / 8 * 8 : 0, 0};
    do sent = sys(NR_sendmsg, s, &m, MSG_NOSIGNAL);
    while (sent == -EINTR);
  }
  if (cwdFd >= 0) sys(NR_close, cwdFd, 0, 0);
  if (rootFd >= 0) sys(NR_close, rootFd, 0, 0);
  if (sent != (i64)at) fallback();
}

/** All of the bytes to our own fd 1 or 2, waiting while it is full. */
static void writeAll(int fd, const unsigned char *p, u64 n) {
  while (n > 0) {
    i64 w = sys(NR_write, fd, p, n);
    if (w == -EINTR) continue;
    if (w == -EAGAIN) {
      struct pollfd pf = {fd, POLLOUT, 0};
      sys4(NR_ppoll, &pf, 1, 0, 0);
      continue;
    }
    if (w <= 0) return; /* a closed or broken descriptor: the rest is lost, as a C tool's would be */
    p += w;
    n -= (u64)w;
  }
}

static unsigned int u32at(u64 off) {
  unsigned int v;
  unsigned char *b = (unsigned char *)&v;
  for (int k = 0; k < 4; k++) b[k] = answer[off + k];
  return v;
}

/** runsvdir's proctitle: the text over our argv area (argv[0] .. end of the last string), NUL-padded. */
static void title(const unsigned char *text, u64 n) {
  if (gArgc < 1) return;
  char *start = gArgv[0];
  char *end = gArgv[gArgc - 1] + len(gArgv[gArgc - 1]); /* its NUL stays */
  u64 room = (u64)(end - start);
  for (u64 k = 0; k < room; k++) start[k] = k < n ? (char)text[k] : 0;
}

static __attribute__((noreturn)) void dieBy(unsigned int signo) {
  u64 act[4] = {0 /* SIG_DFL */, 0, 0, 0};
  sys4(NR_rt_sigaction, signo, act, 0, 8);
  u64 one = 1UL << (signo - 1);
  sys4(NR_rt_sigprocmask, SIG_UNBLOCK, &one, 0, 8);
  sys(NR_kill, sys(NR_getpid, 0, 0, 0), signo, 0);
  quit(128 + (int)signo);
}

/** One answer of n bytes in `answer`: act on it. Returns only for OUT and TITLE. */
static void act(u64 n) {
  if (n < 4) badAnswer();
  unsigned int type = u32at(0);
  if (type == T_OUT) {
    if (n < 8) badAnswer();
    unsigned int stream = u32at(4);
    if (stream != 1 && stream != 2) badAnswer();
    writeAll((int)stream, answer + 8, n - 8);
  } else if (type == T_EXIT) {
    if (n != 8 || u32at(4) > 255) badAnswer();
    quit((int)u32at(4));
  } else if (type == T_EXEC) {
    if (n < 5 || answer[n - 1] != 0) badAnswer();
    i64 count = 0;
    for (u64 k = 4; k < n; k++) {
      if (count == WORDS_MAX) badAnswer();
      words[count++] = (char *)answer + k;
      while (answer[k]) k++;
    }
    words[count] = 0;
    restoreMask();
    /* close-on-exec would close them only after the operations: a lock file
       opened by them must get the number runit's chpst gives it (the lowest free) */
    sys(NR_close, gSock, 0, 0);
    sys(NR_close, gSignalFd, 0, 0);
    runOps(words, count, gEnvp);
  } else if (type == T_FALLBACK) {
    if (n != 4) badAnswer();
    fallback();
  } else if (type == T_DIE) {
    if (n != 8 || u32at(4) < 1 || u32at(4) > 64) badAnswer();
    dieBy(u32at(4));
  } else if (type == T_TITLE) {
    title(answer + 4, n - 4);
  } else {
    badAnswer();
  }
}

__attribute__((used)) void cmain(u64 *sp) {
  gArgc = (i64)sp[0];
  gArgv = (char **)(sp + 1);
  gEnvp = gArgv + gArgc + 1;

  /* which standard descriptors the caller gave us, before we open any */
  for (int fd = 0; fd < 3; fd++)
    if (sys(NR_fcntl, fd, F_GETFD, 0) >= 0) stdSent |= 1u << fd;

  u64 mask = 0;
  for (u64 k = 0; k < sizeof forwarded / sizeof forwarded[0]; k++) mask |= 1UL << (forwarded[k] - 1);
  if (sys4(NR_rt_sigprocmask, SIG_BLOCK, &mask, &oldMask, 8) < 0) fallback();
  int sfd = (int)high(sys4(NR_signalfd4, -1, &mask, 8, O_CLOEXEC));
  if (sfd < 0) fallback();
  gSignalFd = sfd;

  int s = (int)high(sys(NR_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (s < 0) fallback();
  gSock = s;
  int sndbuf = REQUEST_MAX;
  sys6(NR_setsockopt, s, SOL_SOCKET, SO_SNDBUF, (i64)&sndbuf, 4);
  static struct sockaddr_un addr; /* static: zeroed without a memset */
  addr.family = AF_UNIX;
  socketPath(addr.path);
  i64 c;
  do c = sys(NR_connect, s, &addr, sizeof addr);
  while (c == -EINTR);
  if (c < 0) fallback();
  sendRequest(s);

  for (;;) {
    struct pollfd pf[2] = {{s, POLLIN, 0}, {sfd, POLLIN, 0}};
    i64 r = sys4(NR_ppoll, pf, 2, 0, 0);
    if (r == -EINTR) continue;
    if (r < 0) break;
    if (pf[1].revents & POLLIN) {
      unsigned int info[32]; /* struct signalfd_siginfo: ssi_signo first */
      if (sys(NR_read, sfd, info, sizeof info) == sizeof info) {
        unsigned int msg[2] = {T_SIGNAL, info[0]};
        struct iovec iov = {msg, 8};
        struct msghdr m = {0, 0, &iov, 1, 0, 0, 0};
        sys(NR_sendmsg, s, &m, MSG_NOSIGNAL); /* PID 1 gone: the socket's EOF says so next */
      }
    }
    if (pf[0].revents) {
      struct iovec iov = {answer, ANSWER_MAX};
      struct msghdr m = {0, 0, &iov, 1, 0, 0, 0};
      i64 n = sys(NR_recvmsg, s, &m, 0);
      if (n == -EINTR || n == -EAGAIN) continue;
      if (n <= 0) break;
      if (m.flags & MSG_TRUNC) badAnswer();
      act((u64)n);
    }
  }
  fatal("tsinit: fatal: lost the connection to tsinit\n");
}
