// Before chpst lowers RLIMIT_DATA or RLIMIT_AS below what Node already uses,
// Node's helper threads must be idle: a V8 background job (seen: the
// concurrent baseline compiler) that allocates in the moment between
// setrlimit and execve gets std::bad_alloc and aborts the process. So: no new
// background compile jobs, then wait (briefly, bounded) until every other
// thread sleeps.
import fs from 'node:fs';
import v8 from 'node:v8';

/** Stop V8 from starting background compile jobs (call early, once). */
export function stopBackgroundCompiles(): void {
  stoppedAt = Date.now();
  v8.setFlagsFromString('--no-concurrent-sparkplug');
  v8.setFlagsFromString('--no-sparkplug');
  v8.setFlagsFromString('--no-maglev');
  v8.setFlagsFromString('--no-opt');
}

/** States (R, S, D, …) of this process's threads other than the main one. */
export function otherThreadStates(): string[] {
  const states: string[] = [];
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return states;
  }
  for (const tid of tids) {
    if (Number(tid) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      states.push(state);
    } catch {
      // thread gone
    }
  }
  return states;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let stoppedAt = 0;

/**
 * Wait until no other thread has been seen running for `quietSamples`
 * samples in a row, 1 ms apart (a job queued just before the compile stop
 * needs a moment to start and finish), at most `maxMs` in all.
 */
export function waitForIdleThreads(maxMs = 300, quietSamples = 5): void {
  const until = Date.now() + maxMs;
  let quiet = 0;
  while (Date.now() < until) {
    if (otherThreadStates().some((s) => s === 'R')) quiet = 0;
    else if (++quiet >= quietSamples && Date.now() - stoppedAt >= 10) return;
    Atomics.wait(sleeper, 0, 0, 1);
  }
}
