// Which signals tsinit handles, and which it forwards in command mode.
import os from 'node:os';

/**
 * Forwarded to the command in command mode. Left out, as tini does: the
 * synchronous fault signals (ILL TRAP ABRT BUS FPE SEGV SYS), which Node needs
 * for its own crash handling, SIGCHLD (the reaper's), and SIGTTIN/SIGTTOU
 * (tsinit hands the terminal to the command's process group).
 */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM',
  'SIGSTKFLT', 'SIGCONT', 'SIGTSTP', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM',
  'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
];

export function signalNumber(name: NodeJS.Signals): number {
  return os.constants.signals[name];
}

export function signalName(num: number): string {
  for (const [name, n] of Object.entries(os.constants.signals)) if (n === num) return name;
  return `signal ${num}`;
}
