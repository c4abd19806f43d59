// svlogd's command line, parsed as runit's djb getopt ("R:r:l:b:tvV") does.
// Pure: returns the options or the exact text to print before exiting 111.

export const USAGE = ' [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...';
export const VERSION_ID = '$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $';

export interface SvlogdOptions {
  /** 0 none, 1 TAI64N label (-t), 2 -tt, 3 -ttt */
  timestamp: 0 | 1 | 2 | 3;
  verbose: number;
  /** replacement byte, 0 = no replacement */
  repl: number;
  /** extra bytes to replace (-R) */
  replace: Buffer;
  /** -l: message length */
  linemax: number;
  /** -b: input buffer size */
  buflen: number;
  dirs: string[];
}

export type OptionsResult = { ok: true; options: SvlogdOptions } | { ok: false; stderr: string };

/** djb scan_ulong: leading decimal digits, anything else ends the number. */
export function scanUlong(s: string | Buffer, from = 0): { value: number; digits: number } {
  let value = 0;
  let i = from;
  for (; i < s.length; i++) {
    const c = typeof s === 'string' ? s.charCodeAt(i) : (s[i] as number);
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  return { value, digits: i - from };
}

export function usageText(argv0: string): string {
  return `usage: ${argv0}${USAGE}\n\n`;
}

export function parseOptions(argv0: string, args: string[]): OptionsResult {
  const progname = argv0.slice(argv0.lastIndexOf('/') + 1);
  const o: SvlogdOptions = {
    timestamp: 0, verbose: 0, repl: 0, replace: Buffer.alloc(0), linemax: 1000, buflen: 1024, dirs: [],
  };
  const usage = (pre = ''): OptionsResult => ({ ok: false, stderr: pre + usageText(argv0) });
  let ind = 0;
  let pos = 0;
  for (;;) {
    // subgetopt: one option character per call
    if (ind >= args.length) break;
    let a = args[ind] as string;
    if (pos && pos >= a.length) {
      ind++;
      pos = 0;
      if (ind >= args.length) break;
      a = args[ind] as string;
    }
    if (!pos) {
      if (a[0] !== '-') break;
      pos = 1;
      const c = a[1];
      if (c === '-' || c === undefined) {
        if (c) ind++;
        pos = 0;
        break;
      }
    }
    const c = a[pos] as string;
    pos++;
    let optarg: string | undefined;
    if ('Rrlb'.includes(c)) {
      optarg = a.slice(pos);
      ind++;
      pos = 0;
      if (!optarg) {
        optarg = args[ind];
        if (optarg === undefined) return usage(`${progname}: option requires an argument -- ${c}\n`);
        ind++;
      }
    } else if (!'tvV'.includes(c)) {
      return usage(`${progname}: illegal option -- ${c}\n`);
    }
    switch (c) {
      case 'R':
        o.replace = Buffer.from(optarg as string);
        if (!o.repl) o.repl = 95; // '_'
        break;
      case 'r': {
        const b = Buffer.from(optarg as string);
        o.repl = b[0] ?? 0;
        if (!o.repl || b.length > 1) return usage();
        break;
      }
      case 'l':
        o.linemax = scanUlong(optarg as string).value;
        if (o.linemax === 0) o.linemax = 1000;
        break;
      case 'b':
        o.buflen = scanUlong(optarg as string).value;
        if (o.buflen === 0) o.buflen = 1024;
        break;
      case 't':
        if (o.timestamp < 3) o.timestamp = (o.timestamp + 1) as 1 | 2 | 3;
        break;
      case 'v':
        o.verbose++;
        break;
      case 'V':
        return usage(`${VERSION_ID}\n`);
    }
  }
  o.dirs = args.slice(ind);
  if (o.dirs.length === 0) return usage();
  if (o.buflen <= o.linemax) return usage();
  return { ok: true, options: o };
}

/**
 * Log directories an svlogd inside PID 1 may write (one served to a client,
 * the supervisor's in-process logger): each line is written to each of them,
 * so more would multiply PID 1's work per line and per turn; such an svlogd
 * runs as a process of its own, as under runit.
 */
export const IN_PROCESS_LOG_DIRS_MAX = 8;

/** The log directories this svlogd command line names (0 for a usage error). */
export function logDirCount(argv0: string, args: string[]): number {
  const r = parseOptions(argv0, args);
  return r.ok ? r.options.dirs.length : 0;
}
