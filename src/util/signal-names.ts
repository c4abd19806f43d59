// Signal numbers and names, both ways, from Node's table for this platform.
// Where two names share a number (SIGABRT/SIGIOT, SIGIO/SIGPOLL) the first in
// Node's table wins, as everywhere before this was one module.
import os from 'node:os';

const signals = os.constants.signals as Record<string, number | undefined>;

/** 'SIGTERM' for 15; undefined for a number without a name. */
export function signalNameOf(n: number): string | undefined {
  for (const [name, num] of Object.entries(signals)) if (num === n) return name;
  return undefined;
}

/** 15 for 'SIGTERM' or 'TERM' (exact case); undefined for an unknown name. */
export function signalNumberOf(name: string): number | undefined {
  return signals[name.startsWith('SIG') ? name : `SIG${name}`];
}
