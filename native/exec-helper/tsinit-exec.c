/*
 * tsinit-exec: the child side of chpst's fast path. It makes only the system
 * calls that must happen in the child (setsid, chdir, chroot, setpriority,
 * setgroups/setgid/setuid, lock open + flock, close, setrlimit, environment
 * edits, taking the terminal) and then execve()s the program. Every decision
 * (option parsing, account lookup, envdir reading, limit values, PATH
 * candidates, message texts) was made in TypeScript (src/chpst/fast-plan.ts,
 * src/process/spawn.ts), which passes a list of operations as argv words:
 *
 *   T table      errno texts, "NUM TEXT\n" lines (djb error_str, from errstr.ts)
 *   M code msg   on a failure from here on: write msg + errno text, exit code
 *                (empty msg: exit silently)
 *   R fd         report a failure's errno (4 bytes) on fd, made close-on-exec
 *                (the supervisor reads it as posix_spawn's error)
 *   W text       write text to fd 2 (chpst -v's warnings)
 *   s            setsid() (failure ignored, as runit)
 *   t fd pgrp    if the foreground process group of the terminal on fd is
 *                pgrp (tsinit's), make it this process's own group, with
 *                SIGTTOU blocked meanwhile (as tini and dumb-init do in the
 *                child, before exec: the program starts in the foreground);
 *                failures ignored (no terminal)
 *   c dir        chdir(dir)
 *   r            chroot(".")
 *   p prio       setpriority(PRIO_PROCESS, 0, prio)
 *   G n g1..gn   setgroups
 *   g gid        setgid
 *   u uid        setuid
 *   O path       open(path, O_WRONLY|O_NONBLOCK|O_APPEND|O_CREAT, 0600): the lock
 *   F op         flock(lock, op)
 *   x fd         close(fd)
 *   l res soft hard   prlimit64(0, res, {soft, hard})
 *   e NAME=VAL | e NAME   environment change (runit's pathexec_env rule)
 *   h HEX        the same, hex-encoded (bytes that are not UTF-8)
 *   X path       an execve candidate (tried in order, runit's pathexec_run rule)
 *   --           the program's argv follows
 *
 * No libc: raw system calls for x86_64 and aarch64, so one static binary runs
 * on glibc and musl systems alike. Built by build.mjs.
 */

typedef unsigned long u64;
typedef long i64;

#if defined(__x86_64__)
#define NR_write 1
#define NR_rt_sigprocmask 14
#define NR_ioctl 16
#define NR_getpgid 121
#define NR_fcntl 72
#define NR_close 3
#define NR_execve 59
#define NR_flock 73
#define NR_chdir 80
#define NR_setuid 105
#define NR_setgid 106
#define NR_setsid 112
#define NR_setgroups 116
#define NR_setpriority 141
#define NR_chroot 161
#define NR_exit_group 231
#define NR_openat 257
#define NR_prlimit64 302
static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d) {
  i64 ret;
  register i64 r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call cmain\n hlt\n");
#elif defined(__aarch64__)
#define NR_dup3 24
#define NR_fcntl 25
#define NR_ioctl 29
#define NR_flock 32
#define NR_chdir 49
#define NR_chroot 51
#define NR_openat 56
#define NR_close 57
#define NR_write 64
#define NR_exit_group 94
#define NR_rt_sigprocmask 135
#define NR_setpriority 140
#define NR_setgid 144
#define NR_setuid 146
#define NR_getpgid 155
#define NR_setsid 157
#define NR_setgroups 159
#define NR_execve 221
#define NR_prlimit64 261
static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d) {
  register i64 x8 __asm__("x8") = n;
  register i64 x0 __asm__("x0") = a;
  register i64 x1 __asm__("x1") = b;
  register i64 x2 __asm__("x2") = c;
  register i64 x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n and sp, x0, #-16\n bl cmain\n brk #0\n");
#else
#error "tsinit-exec: unsupported architecture"
#endif

#define sys(n, a, b, c) sys6((n), (i64)(a), (i64)(b), (i64)(c), 0)

#define ENOENT 2
#define EPERM 1
#define EACCES 13
#define EISDIR 21
#define E2BIG 7
#define AT_FDCWD (-100)
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define SIG_BLOCK 0
#define SIG_SETMASK 2
#define SIGTTOU 22

static const char *table = "";
static const char *failMsg = "";
static int failCode = 111;
static int reportFd = -1;

static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static u64 unum(const char *s) {
  u64 v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0');
  return v;
}

static i64 snum(const char *s) {
  return *s == '-' ? -(i64)unum(s + 1) : (i64)unum(s);
}

static __attribute__((noreturn)) void die(void) {
  for (;;) sys(NR_exit_group, 127, 0, 0);
}

/** The text for errno `e` from the table TypeScript passed ("unknown error" otherwise). */
static void errText(u64 e, const char **text, u64 *n) {
  const char *p = table;
  while (*p) {
    const char *line = p;
    u64 num = unum(p);
    while (*p >= '0' && *p <= '9') p++;
    if (*p == ' ') p++;
    const char *t = p;
    while (*p && *p != '\n') p++;
    if (num == e && p != line) {
      *text = t;
      *n = (u64)(p - t);
      return;
    }
    if (*p) p++;
  }
  *text = "unknown error";
  *n = 13;
}

static __attribute__((noreturn)) void fail(i64 ret) {
  if (reportFd >= 0) {
    int e = (int)-ret;
    sys(NR_write, reportFd, &e, 4);
  }
  if (failMsg[0]) {
    char buf[4096];
    u64 n = 0;
    const char *t;
    u64 tn;
    errText((u64)-ret, &t, &tn);
    for (const char *m = failMsg; *m && n < sizeof buf - 1; m++) buf[n++] = *m;
    for (u64 i = 0; i < tn && n < sizeof buf - 1; i++) buf[n++] = t[i];
    buf[n++] = '\n';
    sys(NR_write, 2, buf, n);
  }
  for (;;) sys(NR_exit_group, failCode, 0, 0);
}

static void check(i64 ret) {
  if (ret < 0 && ret > -4096) fail(ret);
}

/**
 * Take the terminal on fd for this process's group when tsinit's group
 * (parent) holds it. Blocked, SIGTTOU is not raised for a background group's
 * TIOCSPGRP (the kernel lets it through), so the child cannot be stopped.
 */
static void takeTerminal(int fd, i64 parent) {
  int fg = 0;
  if (sys(NR_ioctl, fd, TIOCGPGRP, &fg) < 0 || fg != parent) return;
  int own = (int)sys(NR_getpgid, 0, 0, 0);
  if (own <= 0) return;
  u64 ttou = 1UL << (SIGTTOU - 1), old = 0;
  if (sys6(NR_rt_sigprocmask, SIG_BLOCK, (i64)&ttou, (i64)&old, 8) < 0) return;
  sys(NR_ioctl, fd, TIOCSPGRP, &own);
  sys6(NR_rt_sigprocmask, SIG_SETMASK, (i64)&old, 0, 8);
}

/** pathexec_env's rule: drop the first NAME= entry (last entry moves into its slot), append NAME=VAL. */
static void envChange(char **env, u64 *count, char *change) {
  u64 split = 0;
  while (change[split] && change[split] != '=') split++;
  for (u64 t = 0; t < *count; t++) {
    char *cur = env[t];
    u64 i = 0;
    while (i < split && cur[i] == change[i]) i++;
    if (i == split && cur[split] == '=') {
      env[t] = env[*count - 1];
      (*count)--;
      break;
    }
  }
  if (change[split] == '=') env[(*count)++] = change;
}

static int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 0;
}

/** Decode a hex word in place (its memory is ours: the argv strings). */
static char *unhex(char *s) {
  u64 n = 0;
  for (; s[2 * n] && s[2 * n + 1]; n++) s[n] = (char)(hexDigit(s[2 * n]) << 4 | hexDigit(s[2 * n + 1]));
  s[n] = 0;
  return s;
}

__attribute__((used)) void cmain(u64 *sp) {
  i64 argc = (i64)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  u64 envc = 0;
  while (envp[envc]) envc++;
  u64 changes = 0;
  for (i64 i = 1; i < argc; i++)
    if (same(argv[i], "e") || same(argv[i], "h")) changes++;
  char *env[envc + changes + 1];
  for (u64 i = 0; i < envc; i++) env[i] = envp[i];
  char *cands[argc];
  u64 ncands = 0;
  int lock = -1;
  i64 i = 1;
  while (i < argc) {
    const char *op = argv[i++];
    if (same(op, "--")) break;
    if (i > argc) die();
#define ARG() (i < argc ? argv[i++] : (die(), (char *)0))
    if (same(op, "T")) table = ARG();
    else if (same(op, "M")) {
      failCode = (int)unum(ARG());
      failMsg = ARG();
    } else if (same(op, "s")) sys(NR_setsid, 0, 0, 0);
    else if (same(op, "t")) {
      int fd = (int)unum(ARG());
      takeTerminal(fd, snum(ARG()));
    }
    else if (same(op, "R")) {
      reportFd = (int)unum(ARG());
      sys(NR_fcntl, reportFd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
    } else if (same(op, "W")) {
      const char *t = ARG();
      u64 n = 0;
      while (t[n]) n++;
      sys(NR_write, 2, t, n);
    }
    else if (same(op, "c")) check(sys(NR_chdir, ARG(), 0, 0));
    else if (same(op, "r")) check(sys(NR_chroot, ".", 0, 0));
    else if (same(op, "p")) check(sys(NR_setpriority, 0, 0, snum(ARG())));
    else if (same(op, "G")) {
      u64 n = unum(ARG());
      unsigned int gids[n + 1];
      for (u64 k = 0; k < n; k++) gids[k] = (unsigned int)unum(ARG());
      check(sys(NR_setgroups, n, gids, 0));
    } else if (same(op, "g")) check(sys(NR_setgid, unum(ARG()), 0, 0));
    else if (same(op, "u")) check(sys(NR_setuid, unum(ARG()), 0, 0));
    else if (same(op, "O")) {
      i64 fd = sys6(NR_openat, AT_FDCWD, (i64)ARG(), 01 | 04000 | 02000 | 0100, 0600);
      check(fd);
      lock = (int)fd;
    } else if (same(op, "F")) check(sys(NR_flock, lock, unum(ARG()), 0));
    else if (same(op, "x")) check(sys(NR_close, unum(ARG()), 0, 0));
    else if (same(op, "l")) {
      u64 res = unum(ARG());
      u64 lim[2];
      lim[0] = unum(ARG());
      lim[1] = unum(ARG());
      check(sys6(NR_prlimit64, 0, (i64)res, (i64)lim, 0));
    } else if (same(op, "e")) envChange(env, &envc, ARG());
    else if (same(op, "h")) envChange(env, &envc, unhex(ARG()));
    else if (same(op, "X")) cands[ncands++] = ARG();
    else die();
  }
  env[envc] = 0;
  char **prog = argv + i;
  i64 saved = 0, last = -ENOENT;
  for (u64 k = 0; k < ncands; k++) {
    last = sys(NR_execve, cands[k], prog, env);
    if (last != -ENOENT) {
      saved = last;
      if (last != -EACCES && last != -EPERM && last != -EISDIR) break;
    }
  }
  fail(saved ? saved : last);
}
