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
 * The interpreter is ops.h, shared with the tool client (native/tool-client/):
 * PID 1's EXEC answer runs through the same code. No libc: raw system calls
 * for x86_64 and aarch64, so one static binary runs on glibc and musl systems
 * alike. Built by build.mjs.
 */

#include "ops.h"

__attribute__((used)) void cmain(u64 *sp) {
  i64 argc = (i64)sp[0];
  char **argv = (char **)(sp + 1);
  runOps(argv + 1, argc - 1, argv + argc + 1);
}
