// chpst's command lines, pure: the main form and the daemontools-style alias
// names (envdir, envuidgid, pgrphack, setuidgid, softlimit, setlock). The result
// is either the exact text runit prints before exiting 100, or a plan of what
// to do. Numbers behave like runit's: unsigned 64-bit digits that wrap, stored
// in a C `long` (so huge values turn negative), limits unset at -2.
import { getopt, newGetopt } from '../util/getopt.ts';

export const CHPST_ID = '$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $';

// Debian 2.1.2-54's text (lists -V and -t n; upstream 2.1.2's .dist does not).
// -C (2.3.0) is accepted but, as in Debian's text, not listed.
export const USAGE_MAIN =
  ' [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog';
export const USAGE_SETUIDGID = ' account child';
export const USAGE_ENVUIDGID = ' account child';
export const USAGE_ENVDIR = ' dir child';
export const USAGE_PGRPHACK = ' child';
export const USAGE_SETLOCK = ' [ -nNxX ] file program [ arg ... ]';
export const USAGE_SOFTLIMIT =
  ' [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child';

/** Main-form option string; `C:` is the runit 2.3.0 extension (chdir). */
export const MAIN_OPTS = 'u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vP012V';

export type AliasName = 'setuidgid' | 'envuidgid' | 'envdir' | 'pgrphack' | 'setlock' | 'softlimit';
const aliasNames: readonly string[] = ['setuidgid', 'envuidgid', 'envdir', 'pgrphack', 'setlock', 'softlimit'];

/** The limits chpst can set, each a C long; -2 = leave alone, -1 = the hard limit. */
export interface LimitSettings {
  data: bigint;
  stack: bigint;
  memlock: bigint;
  as: bigint;
  nofile: bigint;
  nproc: bigint;
  fsize: bigint;
  core: bigint;
  rss: bigint;
  cpu: bigint;
}

export function noLimits(): LimitSettings {
  return { data: -2n, stack: -2n, memlock: -2n, as: -2n, nofile: -2n, nproc: -2n, fsize: -2n, core: -2n, rss: -2n, cpu: -2n };
}

export interface UserSpec {
  spec: string;
  /** chpst's `[:]user[:group…]` syntax (true) or a plain account name (aliases) */
  extended: boolean;
}

export interface LockSpec {
  file: string;
  /** block until the lock is free (-l; setlock -n) */
  wait: boolean;
  /** setlock -x: a failure to lock or run exits 0 silently */
  quiet: boolean;
}

export interface Plan {
  /** the name used in messages: basename of argv[0] with one leading `d` removed */
  progname: string;
  setUser?: UserSpec;
  envUser?: UserSpec;
  argv0?: string;
  envDir?: string;
  /** -e skips subdirectories; the envdir alias treats them as fatal */
  envDirSkipsDirs: boolean;
  verbose: boolean;
  setsid: boolean;
  closeStdin: boolean;
  closeStdout: boolean;
  closeStderr: boolean;
  root?: string;
  /** -C dir (runit 2.3.0 / Void; not in Debian 2.1.2): chdir after chroot */
  chdir?: string;
  /** nice increment as a C long (0 = do not call nice) */
  nice: bigint;
  lock?: LockSpec;
  limits: LimitSettings;
  /** index into the arguments (after argv[0]) where the program starts */
  progIndex: number;
}

export type ParseResult = { kind: 'exit'; code: number; stderr: string } | { kind: 'run'; plan: Plan };

/** djb scan_ulong: leading ASCII digits, wrapping modulo 2^64. */
export function scanUlong(s: string): { value: bigint; len: number } {
  let v = 0n;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = (v * 10n + BigInt(c)) & 0xffffffffffffffffn;
  }
  return { value: v, len: i };
}

/** An all-digits option argument as a C long, or undefined (runit: usage). */
export function numberArg(s: string): bigint | undefined {
  const { value, len } = scanUlong(s);
  if (len !== s.length) return undefined;
  return BigInt.asIntN(64, value);
}

/** -n's argument: optional `+` or `-`, then digits; a C long. */
export function niceArg(s: string): bigint | undefined {
  if (s.startsWith('-')) {
    const n = numberArg(s.slice(1));
    return n === undefined ? undefined : BigInt.asIntN(64, -n);
  }
  return numberArg(s.startsWith('+') ? s.slice(1) : s);
}

/** Program name rule: basename, then one leading `d` dropped (daemontools' dsetlock etc.). */
export function programName(argv0: string): string {
  const slash = argv0.lastIndexOf('/');
  const base = slash === -1 ? argv0 : argv0.slice(slash + 1);
  return base.startsWith('d') ? base.slice(1) : base;
}

export function aliasOf(progname: string): AliasName | undefined {
  return aliasNames.includes(progname) ? (progname as AliasName) : undefined;
}

function getoptName(argv0: string): string {
  const slash = argv0.lastIndexOf('/');
  return slash === -1 ? argv0 : argv0.slice(slash + 1);
}

function usageText(progname: string, usage: string): string {
  return `usage: ${progname}${usage}\n\n`;
}

function basePlan(progname: string): Plan {
  return {
    progname,
    envDirSkipsDirs: false,
    verbose: false,
    setsid: false,
    closeStdin: false,
    closeStdout: false,
    closeStderr: false,
    nice: 0n,
    limits: noLimits(),
    progIndex: 0,
  };
}

/**
 * Parse a chpst command line. `argv0` is the name it was invoked as (alias
 * detection uses it), `args` the arguments after it.
 */
export function parseCommandLine(argv0: string, args: readonly string[]): ParseResult {
  const progname = programName(argv0);
  const alias = aliasOf(progname);
  if (alias) return parseAlias(alias, progname, argv0, args);
  return parseMain(progname, argv0, args);
}

function parseMain(progname: string, argv0: string, args: readonly string[]): ParseResult {
  const argv = [argv0, ...args];
  const st = newGetopt();
  const plan = basePlan(progname);
  const usage = (prefix = ''): ParseResult => ({ kind: 'exit', code: 100, stderr: prefix + usageText(progname, USAGE_MAIN) });
  const gname = getoptName(argv0);
  for (;;) {
    const r = getopt(st, argv, MAIN_OPTS, gname);
    if (r.done) break;
    if ('problem' in r) return usage(r.message);
    const arg = r.arg ?? '';
    const num = (): bigint | undefined => numberArg(arg);
    switch (r.opt) {
      case 'u': plan.setUser = { spec: arg, extended: true }; break;
      case 'U': plan.envUser = { spec: arg, extended: true }; break;
      case 'b': plan.argv0 = arg; break;
      case 'e': plan.envDir = arg; plan.envDirSkipsDirs = true; break;
      case 'm': {
        const n = num();
        if (n === undefined) return usage();
        plan.limits.stack = plan.limits.memlock = plan.limits.as = plan.limits.data = n;
        break;
      }
      case 'd': case 'o': case 'p': case 'f': case 'c': case 'r': case 't': {
        const n = num();
        if (n === undefined) return usage();
        const key = ({ d: 'data', o: 'nofile', p: 'nproc', f: 'fsize', c: 'core', r: 'rss', t: 'cpu' } as const)[r.opt];
        plan.limits[key] = n;
        break;
      }
      case '/': plan.root = arg; break;
      case 'C': plan.chdir = arg; break;
      case 'n': {
        const n = niceArg(arg);
        if (n === undefined) return usage();
        plan.nice = n;
        break;
      }
      case 'l': case 'L':
        if (plan.lock) return usage();
        plan.lock = { file: arg, wait: r.opt === 'l', quiet: false };
        break;
      case 'v': plan.verbose = true; break;
      case 'P': plan.setsid = true; break;
      case '0': plan.closeStdin = true; break;
      case '1': plan.closeStdout = true; break;
      case '2': plan.closeStderr = true; break;
      case 'V': return usage(`${CHPST_ID}\n`);
    }
  }
  if (st.optind >= argv.length) return usage();
  plan.progIndex = st.optind - 1;
  return { kind: 'run', plan };
}

function parseAlias(alias: AliasName, progname: string, argv0: string, args: readonly string[]): ParseResult {
  const plan = basePlan(progname);
  const exit = (usage: string, prefix = ''): ParseResult => ({ kind: 'exit', code: 100, stderr: prefix + usageText(progname, usage) });
  switch (alias) {
    case 'setuidgid':
    case 'envuidgid': {
      const usage = alias === 'setuidgid' ? USAGE_SETUIDGID : USAGE_ENVUIDGID;
      const account = args[0];
      if (account === undefined || args.length < 2) return exit(usage);
      if (alias === 'setuidgid') plan.setUser = { spec: account, extended: false };
      else plan.envUser = { spec: account, extended: false };
      plan.progIndex = 1;
      return { kind: 'run', plan };
    }
    case 'envdir': {
      const dir = args[0];
      if (dir === undefined || args.length < 2) return exit(USAGE_ENVDIR);
      plan.envDir = dir;
      plan.envDirSkipsDirs = false;
      plan.progIndex = 1;
      return { kind: 'run', plan };
    }
    case 'pgrphack':
      if (args.length < 1) return exit(USAGE_PGRPHACK);
      plan.setsid = true;
      plan.progIndex = 0;
      return { kind: 'run', plan };
    case 'setlock': {
      const argv = [argv0, ...args];
      const st = newGetopt();
      // Inverted against daemontools, as runit 2.1.2 is: the default and -N
      // fail at once, -n waits.
      let wait = false;
      let quiet = false;
      for (;;) {
        const r = getopt(st, argv, 'nNxX', getoptName(argv0));
        if (r.done) break;
        if ('problem' in r) return exit(USAGE_SETLOCK, r.message);
        if (r.opt === 'n') wait = true;
        else if (r.opt === 'N') wait = false;
        else if (r.opt === 'x') quiet = true;
        else if (r.opt === 'X') quiet = false;
      }
      const file = argv[st.optind];
      if (file === undefined || st.optind + 1 >= argv.length) return exit(USAGE_SETLOCK);
      plan.lock = { file, wait, quiet };
      plan.progIndex = st.optind;
      return { kind: 'run', plan };
    }
    case 'softlimit': {
      const argv = [argv0, ...args];
      const st = newGetopt();
      const l = plan.limits;
      for (;;) {
        const r = getopt(st, argv, 'a:c:d:f:l:m:o:p:r:s:t:', getoptName(argv0));
        if (r.done) break;
        if ('problem' in r) return exit(USAGE_SOFTLIMIT, r.message);
        // `=` means "the hard limit"; a bad number prints chpst's main usage
        // (runit calls the wrong usage function there).
        const v = r.arg === '=' ? -1n : numberArg(r.arg ?? '');
        if (v === undefined) return exit(USAGE_MAIN);
        switch (r.opt) {
          case 'a': l.as = v; break;
          case 'c': l.core = v; break;
          case 'd': l.data = v; break;
          case 'f': l.fsize = v; break;
          case 'l': l.memlock = v; break;
          case 'm': l.data = l.stack = l.memlock = l.as = v; break;
          case 'o': l.nofile = v; break;
          case 'p': l.nproc = v; break;
          case 'r': l.rss = v; break;
          case 's': l.stack = v; break;
          case 't': l.cpu = v; break;
        }
      }
      if (st.optind >= argv.length) return exit(USAGE_SOFTLIMIT);
      plan.progIndex = st.optind - 1;
      return { kind: 'run', plan };
    }
  }
}
