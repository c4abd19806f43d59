// `--help` for tsinit and every tool it ships. Pure: the caller prints.
//
// tsinit's own commands print their help on stdout and exit 0. runit's tools
// keep what Debian's runit 2.1.2 does with a lone `--help` (too few
// arguments): the text on stderr and runit's usage exit code (sv, chpst and
// its aliases 100, svlogd 111, runsvdir and utmpset 1), so a script testing
// those codes sees the same; only the text is longer. Where runit takes a lone
// `--help` for an operand (runsv, runsvchdir: a directory; pgrphack: a
// program; runit: not process 1) the help comes with that tool's usage exit
// code (runit: 111, as outside process 1). Every other command line, usage
// errors included, is untouched, byte for byte as runit's.

export interface HelpAnswer {
  text: string;
  stream: 'out' | 'err';
  code: number;
}

const REFERENCE = 'Reference: docs/reference.md of tsinit (every option, variable and exit code).\n';

export const TSINIT_HELP = `usage: tsinit [-e CODE]... [-p SIG]                  stage mode: /etc/runit/1, 2, 3
       tsinit [OPTIONS] -- CMD [ARGS...]            command mode: init for one program
       tsinit COMMAND [ARGS...]                     a command or tool below
       tsinit --version

options:
  -g                     command mode: forward signals to CMD's whole process group
  -e CODE                the final exit code CODE (0..255) becomes 0; repeatable
  -p SIG                 tsinit gets SIG when its parent dies
  -r, --rewrite FROM:TO  command mode: forward signal FROM as TO (TO 0: drop it); repeatable
  -c, --single-child     command mode: leave processes that outlive CMD alone
  -h, --help             this help
  --version              version, commit and architecture

commands:
  install DIR                    install runit's tools below (sv, chpst, ...) in DIR: the tool client
  health [--ready] [SERVICEDIR]  health check: exit 0 when every wanted service is up (and ready)
  events [SOCKET]                follow lifecycle events, one JSON object per line
  check [--strict] [--json] [--grace SECONDS] [SERVICEDIR]
                                 lint service directories; start order and shutdown plan
  halt [CODE]                    shut the running tsinit down, optionally with an exit code

runit's tools (as \`tsinit TOOL\`, or by the name of a link made by \`tsinit install\`):
  sv          control services and show their status (--json: tsinit)
  runsv       supervise one service directory
  runsvdir    supervise a directory of services
  chpst       run a program with a changed process state
              (alias names: envdir envuidgid pgrphack setuidgid softlimit setlock)
  svlogd      the logger
  runsvchdir  switch runsvdir's service directory
  utmpset     log out a utmp line
  runit       runit's PID 1 program (tsinit's stage mode)
  runit-init  runit's init 0 / init 6 front end

\`tsinit COMMAND --help\` describes one command or tool.
${REFERENCE}`;

const own = (text: string): HelpAnswer => ({ text: `${text}${REFERENCE}`, stream: 'out', code: 0 });
const runitTool = (text: string, code: number): HelpAnswer => ({ text: `${text}${REFERENCE}`, stream: 'err', code });

const INSTALL = own(`usage: tsinit install DIR

Puts runit's tool names (sv, runsv, runsvdir, chpst and its alias names,
svlogd, runsvchdir, utmpset, runit, runit-init) and tsinit-health,
tsinit-halt, tsinit-events, tsinit-check (for a HEALTHCHECK without a shell)
in DIR (e.g. /usr/local/bin). The single executable installs its tool client
under each name: a small static program that hands the call to the running
tsinit (PID 1) and execs this executable when it cannot reach it. The npm
package (or a build without a client for this architecture) makes symlinks to
the executable (npm package: to its tsinit.cjs) instead, with a warning. The
single executable also writes its FFI module and exec helper beside itself
(.tsinit-koffi.node, .tsinit-exec), so that later starts need no writable
temporary folder. Exit 0; 111 if a name could not be installed.
`);

const CHPST_ALIAS = (usage: string, does: string): HelpAnswer =>
  runitTool(`${usage}\n\nchpst's daemontools-style alias: ${does}\n`, 100);

/** The help of each command and tool, by the name dispatch uses. */
const HELP: Readonly<Record<string, HelpAnswer>> = {
  tsinit: { text: TSINIT_HELP, stream: 'out', code: 0 },
  install: INSTALL,
  health: own(`usage: tsinit health [--ready] [SERVICEDIR]

Container health check and exec probe (HEALTHCHECK CMD tsinit health). Exit 0
when every service of SERVICEDIR (default $TSINIT_SERVICE_DIR, else
/etc/service) that is wanted up is up and not unhealthy; otherwise exit 1 and
one line per failing service. Reads only the supervise/ files.

  --ready   also require every service to be ready; fails from the moment a
            shutdown was requested ("tsinit: shutting down")
`),
  events: own(`usage: tsinit events [SOCKET]

Prints a running tsinit's lifecycle events (the recent ones, then live ones),
one JSON object per line, until tsinit closes the socket. SOCKET defaults to
$TSINIT_EVENTS_SOCKET, else $TSINIT_RUN_DIR/events.sock, else
/run/tsinit/events.sock. Exit 0; 111 when nothing listens.
`),
  halt: own(`usage: tsinit halt [CODE]

Asks the running tsinit (stage mode) to shut down; with CODE (0..255) also
sets the container's exit code, unless one is set already. For finish scripts
and other processes running as root in the container. Exit 0 when sent, 100
for a bad CODE, 111 when the request cannot be delivered.
`),
  check: own(`usage: tsinit check [--strict] [--json] [--grace SECONDS] [SERVICEDIR]

Lints every service directory of SERVICEDIR (default $TSINIT_SERVICE_DIR, else
/etc/service; a directory with a ./run alone), then prints the start order and
the shutdown plan. Exit 0 when clean (warnings allowed), 1 with --strict and
warnings, 2 with errors, 100 for bad arguments.

  --strict           warnings fail too (exit 1)
  --json             one JSON object instead of text
  --grace SECONDS    the runtime's grace period (Kubernetes
                     terminationGracePeriodSeconds): the shutdown budget must fit
`),
  sv: runitTool(
    `usage: sv [-v] [-w sec] [--json] command service ...

  -v        after sending, wait until the command took effect (7 s, or $SVWAIT)
            and print ok: or timeout: with the status line
  -w sec    the wait's timeout; implies -v
  --json    (tsinit) with status only: one JSON object per service
commands: status up down once pause cont hup alarm interrupt quit 1 2 term kill
          exit start stop reload restart try-restart shutdown check
          force-stop force-reload force-restart force-shutdown
service:  a name in $SVDIR (default /etc/service/), or a path starting with / or .
Exit 0 when all went well, 1-99 the number of failures, 100 usage.
`,
    100,
  ),
  runsv: runitTool(
    `usage: runsv dir

Supervises one service directory: runs ./run (and ./log/run), restarts it,
runs ./finish, obeys supervise/control (sv). Exit 0 after sv exit or SIGTERM.
`,
    1,
  ),
  runsvdir: runitTool(
    `usage: runsvdir [-P] dir [log]

Supervises every sub-directory of dir (all inside this one process).
  -P    leave the caller's session and process group
  log   a readproctitle-style log of stderr in the process title (7+ characters)
`,
    1,
  ),
  chpst: runitTool(
    `usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog

Changes the process state, then execs prog:
  -u user[:group]  set uid, gid and groups     -U user[:group]  set $UID and $GID
  -b argv0         prog's argv[0]              -e dir           envdir
  -/ root          chroot                      -C dir           chdir after the chroot
  -n inc           nice                        -l/-L lock       flock (wait / fail)
  -m -d -o -p -f -c -r -t n  resource limits   -P               setsid
  -0 -1 -2         close stdin/stdout/stderr   -v               verbose
Alias names: envdir envuidgid pgrphack setuidgid softlimit setlock.
`,
    100,
  ),
  envdir: CHPST_ALIAS('usage: envdir dir child', 'chpst -e dir (a sub-directory is fatal)'),
  envuidgid: CHPST_ALIAS('usage: envuidgid account child', 'chpst -U account'),
  pgrphack: CHPST_ALIAS('usage: pgrphack child', 'chpst -P (a new session and process group)'),
  setuidgid: CHPST_ALIAS('usage: setuidgid account child', 'chpst -u account'),
  softlimit: CHPST_ALIAS(
    'usage: softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child',
    'soft resource limits (= means the hard limit)',
  ),
  setlock: CHPST_ALIAS('usage: setlock [ -nNxX ] file program [ arg ... ]', 'lock file, then run program (-n waits; -x exits 0 on failure)'),
  svlogd: runitTool(
    `usage: svlogd [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...

Reads stdin and writes each line to the log directories, rotating the files
(each directory's config file: size, number, age, processor, UDP, patterns).
  -t / -tt / -ttt   timestamp: TAI64N / UTC date / ISO 8601
  -r c, -R abc      replace non-printable (and these) characters
  -l len, -b buflen line length, read buffer     -v  verbose
`,
    111,
  ),
  runsvchdir: runitTool(
    `usage: runsvchdir dir

Points /etc/runit/runsvdir/current (or $RUNSVDIR/current) at dir, keeping the
old link as previous.
`,
    1,
  ),
  utmpset: runitTool(
    `usage: utmpset [-w] line

Marks line logged out in /var/run/utmp; -w also appends a logout record to
/var/log/wtmp.
`,
    1,
  ),
  runit: runitTool(
    `usage: runit (as process 1 only)

runit's PID 1 program: as process 1, tsinit's stage mode (/etc/runit/1, 2, 3).
`,
    111,
  ),
  'runit-init': runitTool(
    `usage: runit-init 0|6

As process 1, tsinit's stage mode. Otherwise: 0 asks process 1 to shut down,
6 to reboot (in a container: shut down).
`,
    0,
  ),
};

/** Names with a help text (tests check that every tool dispatch knows has one). */
export const helpTopics: readonly string[] = Object.keys(HELP);

/** True when args ask for help before any `--` (tsinit's own commands). */
function asksHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

const CHPST_ALIASES: readonly string[] = ['envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock'];

/** chpst runs as an alias when argv0's basename (or it without a leading d) is one: that alias's help. */
function chpstTopic(argv0: string): string {
  const base = argv0.slice(argv0.lastIndexOf('/') + 1);
  return CHPST_ALIASES.find((a) => a === base || a === base.slice(1)) ?? 'chpst';
}

/**
 * The help a command line asks for, or undefined to run the tool as usual.
 * `tool`, `argv0` and `args` as dispatch gives them; `lsb` for sv's
 * init-script mode (its words are commands, never options); `pid1` when
 * running as process 1 (runit and runit-init then ignore their arguments, as
 * runit's do).
 */
export function helpRequest(tool: string, argv0: string, args: readonly string[], where: { lsb: boolean; pid1: boolean }): HelpAnswer | undefined {
  if (where.lsb) return undefined;
  if (tool === 'tsinit') {
    if (args[0] === 'install') return asksHelp(args.slice(1)) ? INSTALL : undefined;
    return asksHelp(args) ? HELP.tsinit : undefined;
  }
  if (tool === 'health' || tool === 'events' || tool === 'halt' || tool === 'check') return asksHelp(args) ? HELP[tool] : undefined;
  if ((tool === 'runit' || tool === 'runit-init') && where.pid1) return undefined;
  // Only `--help` alone: runit's getopt takes `--help` followed by more words
  // as the end of the options (`sv --help status web` is `sv status web`).
  if (args.length !== 1 || args[0] !== '--help') return undefined;
  return HELP[tool === 'chpst' ? chpstTopic(argv0) : tool];
}
