// The init's command line: stage mode without arguments, command mode with
// `-- CMD ARGS...`, `install DIR`. Options as tini (-g -e -p) and dumb-init
// (-r/--rewrite, -c). Pure.
import os from 'node:os';
import { REWRITE_FROM_MAX, rewriteSourceProblem, rewriteTargetValid, signalName } from './signals.ts';

export interface InitArgs {
  mode: 'stages' | 'command' | 'install' | 'help';
  /** deliver forwarded signals to the command's whole process group */
  group: boolean;
  command: string[];
  installDir?: string;
  /** -e CODE: these final exit codes become 0 */
  exitZero?: number[];
  /** -p SIG: the signal tsinit gets when its parent dies (PR_SET_PDEATHSIG) */
  pdeathSignal?: number;
  /** -r FROM:TO: a received signal FROM is forwarded as TO (0: not forwarded) */
  rewrite?: Map<number, number>;
  /** -c: leave processes that outlive the command alone */
  keepLeftovers?: boolean;
}

/** A signal by number, name or SIG-name, any case ("15", "TERM", "sigterm"); undefined if none. */
export function parseSignal(s: string): number | undefined {
  const sigs = os.constants.signals as Record<string, number>;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 1 && n <= 64 ? n : undefined;
  }
  const up = s.toUpperCase();
  return sigs[up.startsWith('SIG') ? up : `SIG${up}`];
}

/** A signal for --rewrite: a name, or any number (the range is checked apart, to say it). */
function rewriteSignal(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number(s) : parseSignal(s);
}

const named = (sig: number): string => {
  const name = signalName(sig);
  return name.startsWith('SIG') ? `${sig} (${name})` : String(sig);
};

/** FROM:TO, or what is wrong with it (after "tsinit: fatal: "). */
function parseRewrite(v: string): [number, number] | { error: string } {
  const m = /^([^:]+):([^:]+)$/.exec(v);
  const from = m ? rewriteSignal(m[1] as string) : undefined;
  const to = m ? rewriteSignal(m[2] as string) : undefined;
  if (from === undefined || to === undefined) return { error: `--rewrite needs FROM:TO (signals; TO 0 drops FROM): ${v}` };
  const fromRule = `--rewrite: FROM must be a signal 1..${REWRITE_FROM_MAX} that tsinit can catch, not`;
  if (from < 1 || from > 64) return { error: `${fromRule} ${from}` };
  const why = rewriteSourceProblem(from);
  if (why !== undefined) return { error: `${fromRule} ${named(from)}: ${why}` };
  if (!rewriteTargetValid(to)) return { error: `--rewrite: TO must be 0 (not forwarded), 1..31 or 34..64 (SIGRTMIN..SIGRTMAX), not ${to}` };
  return [from, to];
}

/** Options that only make sense with a command. */
const COMMAND_ONLY = ['-g', '-r', '-c'] as const;

export function parseInitArgs(args: string[]): InitArgs | { error: string } {
  const r: InitArgs = { mode: 'stages', group: false, command: [] };
  const seen = new Set<string>();
  const finish = (): InitArgs | { error: string } => {
    if (r.mode !== 'command') {
      const needs = COMMAND_ONLY.find((o) => seen.has(o));
      if (needs !== undefined) return { error: `tsinit: fatal: ${needs} needs a command: tsinit ${needs} ... -- CMD [ARGS...]` };
    }
    return r;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      r.command = args.slice(i + 1);
      if (r.command.length === 0) return { error: 'tsinit: fatal: no command after --' };
      r.mode = 'command';
      return finish();
    }
    // options with a value: "-e 143", "-e143", "--rewrite 15:0", "--rewrite=15:0"
    const withValue = /^(-[epr]|--rewrite|--exit-zero|--pdeath-signal)(?:=?(.+))?$/.exec(a);
    if (withValue) {
      const opt = withValue[1] as string;
      const long = opt.startsWith('--');
      let v = withValue[2];
      if (v !== undefined && long && !a.includes('=')) return { error: `tsinit: fatal: unknown option: ${a}` };
      if (v === undefined) {
        v = args[++i];
        if (v === undefined) return { error: `tsinit: fatal: option requires an argument: ${opt}` };
      }
      const key = opt === '--rewrite' ? '-r' : opt === '--exit-zero' ? '-e' : opt === '--pdeath-signal' ? '-p' : opt;
      seen.add(key);
      if (key === '-e') {
        if (!/^\d{1,3}$/.test(v) || Number(v) > 255) return { error: `tsinit: fatal: -e needs an exit code 0..255: ${v}` };
        (r.exitZero ??= []).push(Number(v));
      } else if (key === '-p') {
        const s = parseSignal(v);
        if (s === undefined) return { error: `tsinit: fatal: -p needs a signal: ${v}` };
        r.pdeathSignal = s;
      } else {
        const pair = parseRewrite(v);
        if ('error' in pair) return { error: `tsinit: fatal: ${pair.error}` };
        (r.rewrite ??= new Map()).set(pair[0], pair[1]);
      }
      continue;
    }
    if (a === '-g') {
      r.group = true;
      seen.add('-g');
    } else if (a === '-c' || a === '--single-child' || a === '--keep-leftovers') {
      r.keepLeftovers = true;
      seen.add('-c');
    } else if (a === '-h' || a === '--help') return { ...r, mode: 'help' };
    else if (a === 'install' && i === 0) {
      const dir = args[1];
      if (dir === undefined || args.length > 2) return { error: 'usage: tsinit install DIR' };
      return { ...r, mode: 'install', installDir: dir };
    } else return { error: `tsinit: fatal: unknown option: ${a}` };
  }
  return finish();
}
