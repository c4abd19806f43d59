/*
 * A fake PID 1 tool service for the client's protocol tests
 * (test/integration/tool-client-protocol.test.ts): Node cannot pass
 * descriptors over a socket, so this small libc program plays PID 1's side.
 * Compiled by the test with the system's gcc.
 *
 *   fake-tool-server SOCKET LOG STEP...
 *
 * Listens on SOCKET (SOCK_SEQPACKET), prints "ready\n" on stdout, accepts one
 * call, writes what the request held to LOG (one "key value" line each, strings
 * in hex), then carries out the steps in order:
 *   send:HEX     send one message (its bytes, hex)
 *   signal       wait for one SIGNAL message and log "signal N"
 *   close        close the connection
 *   eof          wait until the client closes (log "eof")
 * and exits 0 (1 with a line on stderr when the client broke the protocol).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static FILE *logf;

static void hex(const char *key, const unsigned char *p, size_t n) {
  fprintf(logf, "%s ", key);
  for (size_t i = 0; i < n; i++) fprintf(logf, "%02x", p[i]);
  fputc('\n', logf);
}

static void broken(const char *why) {
  fprintf(stderr, "fake-tool-server: %s\n", why);
  exit(1);
}

static unsigned int u32(const unsigned char *p) {
  unsigned int v;
  memcpy(&v, p, 4);
  return v;
}

int main(int argc, char **argv) {
  if (argc < 3) broken("usage: fake-tool-server SOCKET LOG STEP...");
  logf = fopen(argv[2], "w");
  if (!logf) broken("cannot open the log");
  setvbuf(logf, NULL, _IOLBF, 0);
  int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  unlink(argv[1]);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 8) < 0) broken("cannot listen");
  printf("ready\n");
  fflush(stdout);
  int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) broken("accept failed");

  static unsigned char buf[256 * 1024];
  char control[CMSG_SPACE(8 * sizeof(int))];
  struct iovec iov = {buf, sizeof buf};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
  if (n < 0) broken("recvmsg failed");
  if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) broken("request truncated");
  int fds[8], nfds = 0;
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      nfds = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      memcpy(fds, CMSG_DATA(h), (size_t)nfds * sizeof(int));
    }
  }
  size_t at = 0;
#define NEED(k) do { if (at + (k) > (size_t)n) broken("request too short"); } while (0)
  NEED(20);
  fprintf(logf, "magic %08x\nversion %u\nflags %u\nnice %d\n", u32(buf), u32(buf + 4), u32(buf + 8), (int)u32(buf + 12));
  unsigned int nlimits = u32(buf + 16);
  at = 20;
  fprintf(logf, "nlimits %u\n", nlimits);
  NEED((size_t)nlimits * 16);
  for (unsigned int r = 0; r < nlimits; r++) {
    unsigned long long lim[2];
    memcpy(lim, buf + at, 16);
    at += 16;
    fprintf(logf, "limit %u %llu %llu\n", r, lim[0], lim[1]);
  }
  NEED(12);
  unsigned int ac = u32(buf + at), ec = u32(buf + at + 4), cwdlen = u32(buf + at + 8);
  at += 12;
  for (unsigned int k = 0; k < ac + ec; k++) {
    size_t s = at;
    while (at < (size_t)n && buf[at]) at++;
    if (at == (size_t)n) broken("string without NUL");
    hex(k < ac ? "argv" : "env", buf + s, at - s);
    at++;
  }
  NEED(cwdlen);
  hex("cwd", buf + at, cwdlen);
  at += cwdlen;
  if (at != (size_t)n) broken("bytes after the request");
  fprintf(logf, "fds %d\n", nfds);
  /* what each received descriptor is: the same file as this process's view of it */
  for (int k = 0; k < nfds; k++) {
    char p[64], target[4096];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fds[k]);
    ssize_t t = readlink(p, target, sizeof target - 1);
    target[t < 0 ? 0 : t] = 0;
    fprintf(logf, "fd %d %s\n", k, target);
  }
  fprintf(logf, "request done\n");

  for (int s = 3; s < argc; s++) {
    const char *step = argv[s];
    if (strncmp(step, "send:", 5) == 0) {
      const char *h = step + 5;
      size_t len = strlen(h) / 2;
      unsigned char *msg = malloc(len + 1);
      for (size_t i = 0; i < len; i++) sscanf(h + 2 * i, "%2hhx", &msg[i]);
      if (send(c, msg, len, MSG_NOSIGNAL) != (ssize_t)len) broken("send failed");
      free(msg);
    } else if (strcmp(step, "signal") == 0) {
      unsigned char s8[64];
      ssize_t r = recv(c, s8, sizeof s8, 0);
      if (r != 8 || u32(s8) != 7) broken("expected a SIGNAL message");
      fprintf(logf, "signal %u\n", u32(s8 + 4));
    } else if (strcmp(step, "close") == 0) {
      close(c);
    } else if (strcmp(step, "eof") == 0) {
      unsigned char s8[64];
      ssize_t r;
      while ((r = recv(c, s8, sizeof s8, 0)) > 0) {}
      fprintf(logf, "eof\n");
    } else {
      broken("unknown step");
    }
  }
  return 0;
}
