// Which signals tsinit handles, and which it forwards in command mode.
import os from 'node:os';

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

export function signalNumber(name: NodeJS.Signals): number {
  return os.constants.signals[name];
}

export function signalName(num: number): string {
  for (const [name, n] of Object.entries(os.constants.signals)) if (n === num) return name;
  return `signal ${num}`;
}
