/*
 * The exec helper's operations (see tsinit-exec.c for the list), shared by
 * the two programs that carry them out: tsinit-exec (the words are its argv)
 * and the tool client native/tool-client/tsinit-client.c (the words are PID 1's
 * EXEC answer). One interpreter, so `chpst` answered by PID 1 does exactly
 * what the fast path's helper does.
 *
 * No libc: raw system calls for x86_64 and aarch64, and the programs' _start.
 * A program including this file defines cmain(u64 *sp).
 */
#ifndef TSINIT_OPS_H
#define TSINIT_OPS_H

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
static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e) {
  i64 ret;
  register i64 r10 __asm__("r10") = d;
  register i64 r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
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
static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e) {
  register i64 x8 __asm__("x8") = n;
  register i64 x0 __asm__("x0") = a;
  register i64 x1 __asm__("x1") = b;
  register i64 x2 __asm__("x2") = c;
  register i64 x3 __asm__("x3") = d;
  register i64 x4 __asm__("x4") = e;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n and sp, x0, #-16\n bl cmain\n brk #0\n");
#else
#error "tsinit: unsupported architecture"
#endif

#define sys(n, a, b, c) sys6((n), (i64)(a), (i64)(b), (i64)(c), 0, 0)
#define sys4(n, a, b, c, d) sys6((n), (i64)(a), (i64)(b), (i64)(c), (i64)(d), 0)

#define ENOENT 2
#define EPERM 1
#define EACCES 13
#define EISDIR 21
#define E2BIG 7
#define AT_FDCWD (-100)
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
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
  if (sys4(NR_rt_sigprocmask, SIG_BLOCK, &ttou, &old, 8) < 0) return;
  sys(NR_ioctl, fd, TIOCSPGRP, &own);
  sys4(NR_rt_sigprocmask, SIG_SETMASK, &old, 0, 8);
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

/** Decode a hex word in place (its memory is the caller's: argv strings, or the client's answer buffer). */
static char *unhex(char *s) {
  u64 n = 0;
  for (; s[2 * n] && s[2 * n + 1]; n++) s[n] = (char)(hexDigit(s[2 * n]) << 4 | hexDigit(s[2 * n + 1]));
  s[n] = 0;
  return s;
}

/**
 * Carries out the operations in words[0..n) (words[n] is NULL) on this
 * process, with envp as the environment to edit, and execs the program after
 * `--`. Never returns: the program runs, or the failure exits.
 */
static __attribute__((noreturn)) void runOps(char **words, i64 n, char **envp) {
  u64 envc = 0;
  while (envp[envc]) envc++;
  u64 changes = 0;
  for (i64 i = 0; i < n; i++)
    if (same(words[i], "e") || same(words[i], "h")) changes++;
  char *env[envc + changes + 1];
  for (u64 i = 0; i < envc; i++) env[i] = envp[i];
  char *cands[n + 1];
  u64 ncands = 0;
  int lock = -1;
  i64 i = 0;
  while (i < n) {
    const char *op = words[i++];
    if (same(op, "--")) break;
#define ARG() (i < n ? words[i++] : (die(), (char *)0))
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
      u64 len = 0;
      while (t[len]) len++;
      sys(NR_write, 2, t, len);
    }
    else if (same(op, "c")) check(sys(NR_chdir, ARG(), 0, 0));
    else if (same(op, "r")) check(sys(NR_chroot, ".", 0, 0));
    else if (same(op, "p")) check(sys(NR_setpriority, 0, 0, snum(ARG())));
    else if (same(op, "G")) {
      u64 count = unum(ARG());
      if (count > (u64)(n - i)) die(); /* fewer words than ids: as ARG() would, before any allocation */
      unsigned int gids[count + 1];
      for (u64 k = 0; k < count; k++) gids[k] = (unsigned int)unum(ARG());
      check(sys(NR_setgroups, count, gids, 0));
    } else if (same(op, "g")) check(sys(NR_setgid, unum(ARG()), 0, 0));
    else if (same(op, "u")) check(sys(NR_setuid, unum(ARG()), 0, 0));
    else if (same(op, "O")) {
      i64 fd = sys4(NR_openat, AT_FDCWD, ARG(), 01 | 04000 | 02000 | 0100, 0600);
      check(fd);
      lock = (int)fd;
    } else if (same(op, "F")) check(sys(NR_flock, lock, unum(ARG()), 0));
    else if (same(op, "x")) check(sys(NR_close, unum(ARG()), 0, 0));
    else if (same(op, "l")) {
      u64 res = unum(ARG());
      u64 lim[2];
      lim[0] = unum(ARG());
      lim[1] = unum(ARG());
      check(sys4(NR_prlimit64, 0, res, lim, 0));
    } else if (same(op, "e")) envChange(env, &envc, ARG());
    else if (same(op, "h")) envChange(env, &envc, unhex(ARG()));
    else if (same(op, "X")) cands[ncands++] = ARG();
    else die();
  }
  env[envc] = 0;
  char **prog = words + i;
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

#endif
