// sv's command line, parsed the way runit's bundled djb getopt does it
// (options "w:vV", stops at the first non-option, "--..." ends the options
// and is consumed), plus tsinit's own `--json` option. Pure.

export interface SvOptions {
  /** -v or -w given: wait for the command to take effect */
  verbose: boolean;
  /** -w value; undefined when not given (SVWAIT or 7 s then apply) */
  waitSec: number | undefined;
  /** tsinit extension: JSON status lines */
  json: boolean;
  /** the command word */
  action: string;
  /** the arguments after the command (service names; ignored in LSB mode) */
  services: string[];
}

export type ParseResult =
  | { kind: 'ok'; options: SvOptions }
  /** print `stderr` (getopt complaint or $Id line, may be empty), then usage */
  | { kind: 'usage'; stderr: string };

export const SV_ID = '$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $';

/**
 * djb scan_ulong: the leading decimal digits, 0 if there are none. Huge
 * values saturate (runit's unsigned long would wrap; no timeout that long
 * matters).
 */
export function scanUlong(s: string): number {
  const m = /^[0-9]+/.exec(s);
  return m ? Math.min(Number(m[0]), Number.MAX_SAFE_INTEGER) : 0;
}

/**
 * @param progname basename used in getopt complaints ("sv", or the LSB name)
 * @param args argv without argv[0]
 */
export function parseArgs(progname: string, args: readonly string[]): ParseResult {
  let verbose = false;
  let waitSec: number | undefined;
  let json = false;
  let i = 0;
  options: while (i < args.length) {
    const a = args[i] as string;
    if (a === '--json') {
      json = true;
      i++;
      continue;
    }
    if (a[0] !== '-' || a.length === 1) break; // a lone "-" is the command
    if (a[1] === '-') {
      i++; // "--" (or any "--word") ends the options and is consumed
      break;
    }
    for (let pos = 1; pos < a.length; pos++) {
      const c = a[pos] as string;
      if (c === 'v') {
        verbose = true;
      } else if (c === 'V') {
        // runit prints the version and falls through into usage.
        return { kind: 'usage', stderr: `${SV_ID}\n` };
      } else if (c === 'w') {
        let val = a.slice(pos + 1);
        if (val === '') {
          i++;
          if (i >= args.length) return { kind: 'usage', stderr: `${progname}: option requires an argument -- w\n` };
          val = args[i] as string;
        }
        waitSec = scanUlong(val);
        verbose = true;
        i++;
        continue options;
      } else {
        return { kind: 'usage', stderr: `${progname}: illegal option -- ${c}\n` };
      }
    }
    i++;
  }
  const action = args[i];
  if (action === undefined) return { kind: 'usage', stderr: '' };
  let services = args.slice(i + 1);
  // `sv status --json S...` works too: right after `status`, --json is the
  // option, not a service (runit would look for a service named "--json").
  if (action === 'status' && services[0] === '--json') {
    json = true;
    services = services.slice(1);
  }
  return { kind: 'ok', options: { verbose, waitSec, json, action, services } };
}

export function usageText(progname: string, lsb: boolean): string {
  return lsb ? `usage: ${progname} [-w sec] command\n\n` : `usage: ${progname} [-v] [-w sec] command service ...\n\n`;
}
