// ./check: a service's own "is it available?" probe (reference spec 4.5).
// Run from the current directory (sv has chdir'ed into the service) as
// ./check, with sv's environment, stderr inherited and stdout closed.
import fs from 'node:fs';
import { forkFailed, spawnChild } from '../process/spawn.ts';
import { reaper } from '../process/reaper.ts';
import { errstrOf } from '../util/errstr.ts';
import { err } from '../util/output.ts';

/**
 * runit's wait_exitcode() is `status >> 8`, so a check killed by a signal
 * counts as exit 0, i.e. available. Kept for compatibility.
 */
export function checkPassed(rawWaitStatus: number): boolean {
  return rawWaitStatus >> 8 === 0;
}

/** @param name the service name as given on the command line (for messages) */
export async function runCheckScript(name: string): Promise<boolean> {
  try {
    fs.statSync('check');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    err(`warning: unable to stat ${name}/check: ${errstrOf(e)}\n`);
    return false;
  }
  reaper.start();
  let exited: (raw: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    exited = resolve;
  });
  try {
    spawnChild({
      path: 'check',
      argv: ['./check'],
      env: process.env,
      closeFds: [1],
      onExit: (st) => exited(st.raw),
    });
  } catch (e) {
    // No process at all: runit's sv warns and counts the check as failed.
    if (forkFailed(e)) {
      err(`warning: unable to fork for ${name}/check: ${errstrOf(e)}\n`);
      return false;
    }
    // runit's child prints this after a failed execve and exits 0: a pass.
    err(`warning: unable to run ${name}/check: ${errstrOf(e)}\n`);
    return true;
  }
  // A pending promise alone does not keep Node running; this timer does
  // (and reaps even if a SIGCHLD was coalesced away).
  const keepAlive = setInterval(() => reaper.reapNow(), 200);
  try {
    return checkPassed(await done);
  } finally {
    clearInterval(keepAlive);
  }
}
