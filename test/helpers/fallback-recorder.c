// The tool client's fallback, recorded (test/helpers/tsinit.ts's client mode):
// the clients' fallback slot names this program, which appends one line for
// the call to RECORD_LOG - its pid (the client's: execve keeps it, so it
// matches the pid PID 1 logged for the call), the TSINIT_RUN_DIR it saw, argv
// - and execs FULL_TSINIT with the same argv and environment, as the client's
// own fallback would have. Descriptors, signal mask and directory are left
// as the client left them.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(RECORD_LOG) || !defined(FULL_TSINIT)
#error "build with -DRECORD_LOG=\"...\" -DFULL_TSINIT=\"...\""
#endif

/** s at line[at], a tab or newline in it made a space (they separate fields and lines) */
static size_t put(char *line, size_t at, size_t cap, const char *s) {
  for (; *s && at < cap; s++) line[at++] = (*s == '\n' || *s == '\t') ? ' ' : *s;
  return at;
}

static size_t tab(char *line, size_t at, size_t cap) {
  if (at < cap) line[at++] = '\t';
  return at;
}

int main(int argc, char **argv, char **envp) {
  char line[4096];
  const size_t cap = sizeof line - 1;
  char pid[32];
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  size_t n = tab(line, put(line, 0, cap, pid), cap);
  const char *dir = getenv("TSINIT_RUN_DIR");
  n = put(line, n, cap, dir ? dir : "(unset)");
  for (int i = 0; i < argc; i++) {
    n = put(line, tab(line, n, cap), cap, argv[i]);
  }
  line[n++] = '\n';
  int fd = open(RECORD_LOG, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    // one write: lines of concurrent callers do not interleave
    if (write(fd, line, n) < 0) {
      // the record is lost; the call itself goes on
    }
    close(fd);
  }
  execve(FULL_TSINIT, argv, envp);
  dprintf(2, "fallback-recorder: unable to run %s: %s\n", FULL_TSINIT, strerror(errno));
  return 111;
}
