// ./check: a service's own "is it available?" probe (reference spec 4.5).
// Run in the service directory as ./check, with sv's environment, its stdin
// and stderr, and stdout closed.
import fs from 'node:fs';
import { forkFailed, spawnChild } from '../process/spawn.ts';
import { reaper } from '../process/reaper.ts';
import { errstrOf } from '../util/errstr.ts';
import type { Dir } from './service.ts';

/**
 * runit's wait_exitcode() is `status >> 8`, so a check killed by a signal
 * counts as exit 0, i.e. available. Kept for compatibility.
 */
export function checkPassed(rawWaitStatus: number): boolean {
  return rawWaitStatus >> 8 === 0;
}

export interface CheckRun {
  /** the service directory */
  dir: Dir;
  /** the service name as given on the command line (for messages) */
  name: string;
  /** sv's environment, stdin and stderr */
  env: Readonly<Record<string, string | undefined>>;
  stdin: number;
  stderr: number;
  err: (text: string) => void;
}

export async function runCheckScript(run: CheckRun): Promise<boolean> {
  const { dir, name, err } = run;
  try {
    fs.statSync(typeof dir === 'string' ? `${dir}/check` : Buffer.concat([dir, Buffer.from('/check')]));
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
      env: run.env,
      cwd: dir,
      stdin: run.stdin,
      stderr: run.stderr,
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
