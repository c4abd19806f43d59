// Which signals tsinit handles, and which it forwards in command mode.
import { signalNameOf, signalNumberOf } from '../util/signal-names.ts';

/**
 * Forwarded to the command in command mode. Left out, as tini does: the
 * synchronous fault signals (ILL TRAP ABRT BUS FPE SEGV SYS), which Node needs
 * for its own crash handling, and SIGCHLD (the reaper's). The job-control
 * signals TSTP, TTIN and TTOU are forwarded too: caught, they can never stop
 * tsinit itself (as they would a non-PID-1 tsinit by default); the command,
 * or with -g its group, stops instead, and CONT sent to tsinit resumes it.
 */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM',
  'SIGSTKFLT', 'SIGCONT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM',
  'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
];

/** The signals --rewrite may name as FROM: the classic ones, 1..31 (dumb-init's range). */
export const REWRITE_FROM_MAX = 31;

/**
 * Why tsinit cannot catch `sig` as a --rewrite source, or undefined when it
 * can (and then does, forwarded or not: a source left at its default
 * disposition would kill tsinit). Node's process.on takes only named signals
 * and refuses KILL and STOP; the synchronous faults must stay deadly: with a
 * JavaScript listener a real fault in tsinit would repeat forever.
 */
export function rewriteSourceProblem(sig: number): string | undefined {
  if (sig > REWRITE_FROM_MAX) return 'real-time signals cannot be caught by tsinit';
  const name = signalName(sig);
  if (name === 'SIGKILL' || name === 'SIGSTOP') return `${name} cannot be caught`;
  if (name === 'SIGCHLD') return 'tsinit reaps with SIGCHLD';
  if (['SIGILL', 'SIGBUS', 'SIGFPE', 'SIGSEGV'].includes(name)) return `tsinit leaves ${name} to the kernel (caught, a real fault would loop instead of ending tsinit)`;
  return undefined;
}

/** Valid --rewrite targets: 0 (not forwarded), 1..31, and glibc's SIGRTMIN..SIGRTMAX (32 and 33 are its own). */
export function rewriteTargetValid(sig: number): boolean {
  return (sig >= 0 && sig <= 31) || (sig >= 34 && sig <= 64);
}

/** What command mode listens to: every forwarded signal and every --rewrite source. */
export function commandModeSignals(rewrite: ReadonlyMap<number, number> | undefined): NodeJS.Signals[] {
  const out = new Set<NodeJS.Signals>(FORWARDED_SIGNALS);
  for (const from of rewrite?.keys() ?? []) {
    const name = signalName(from);
    if (signalNumberOf(name) !== undefined && !out.has(name as NodeJS.Signals) && rewriteSourceProblem(from) === undefined) out.add(name as NodeJS.Signals);
  }
  return [...out];
}

/** 'SIGTERM' for 15, 'signal N' for a number without a name. */
export function signalName(num: number): string {
  return signalNameOf(num) ?? `signal ${num}`;
}
