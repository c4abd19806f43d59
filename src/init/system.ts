// The system calls PID 1 needs beyond spawning, behind one small interface so
// the stage and shutdown logic can be exercised with a fake.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { reaper } from '../process/reaper.ts';
import { descendantsOf, listProcesses } from '../process/proc.ts';
import { setLongTimeout } from '../util/timers.ts';

export interface InitSystem {
  now(): number;
  /** signal a whole process group; a group that is gone is not an error */
  killGroup(pgid: number, sig: number): void;
  killPid(pid: number, sig: number): void;
  /** every process tsinit may signal: the whole namespace as PID 1, else its descendants */
  killAll(sig: number): void;
  /**
   * orphans adopted by tsinit (children it did not spawn) that lead a session
   * of their own (services of a dead runsvdir -P), and their descendants
   */
  killOrphans(sig: number): void;
  hasChildren(): boolean;
  onReaped(listener: () => void): () => void;
  /** exists and has the owner-execute bit (runit's test for stopit, ctrlaltdel) */
  ownerExecutable(path: string): boolean;
  exists(path: string): boolean;
  chmod(path: string, mode: number): void;
}

export function realSystem(isPid1: boolean): InitSystem {
  return {
    now: () => Date.now(),
    killGroup: (pgid, sig) => {
      if (pgid > 1) libc.tryKill(-pgid, sig);
    },
    killPid: (pid, sig) => {
      if (pid > 1) libc.tryKill(pid, sig);
    },
    killAll: (sig) => {
      if (isPid1) {
        // kill(-1) from PID 1 reaches every process of the namespace but itself.
        libc.tryKill(-1, sig);
        return;
      }
      for (const pid of descendantsOf(process.pid, listProcesses())) libc.tryKill(pid, sig);
    },
    killOrphans: (sig) => {
      const procs = listProcesses();
      for (const p of procs) {
        if (p.ppid !== process.pid || p.session !== p.pid || reaper.owns(p.pid)) continue;
        libc.tryKill(p.pid, sig);
        for (const d of descendantsOf(p.pid, procs)) libc.tryKill(d, sig);
      }
    },
    hasChildren: () => reaper.hasChildren(),
    onReaped: (l) => reaper.onReaped(l),
    ownerExecutable: (p) => {
      try {
        const st = fs.statSync(p);
        return st.isFile() && (st.mode & 0o100) !== 0;
      } catch {
        return false;
      }
    },
    exists: (p) => fs.existsSync(p),
    chmod: (p, mode) => fs.chmodSync(p, mode),
  };
}

/** Resolves when no child is left, or false at the deadline. Event-driven: no polling. */
export function waitNoChildren(sys: InitSystem, deadline: number): Promise<boolean> {
  if (!sys.hasChildren()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setLongTimeout(() => {
      off();
      resolve(!sys.hasChildren());
    }, deadline - sys.now());
    const off = sys.onReaped(() => {
      if (!sys.hasChildren()) {
        timer.clear();
        off();
        resolve(true);
      }
    });
  });
}

/** Resolves true when p settles first, false when the deadline comes first. */
export function raceDeadline(p: Promise<unknown>, deadline: number, now: () => number): Promise<boolean> {
  return new Promise((resolve) => {
    // any deadline: far ones are chained (util/timers), past ones fire at once
    const timer = setLongTimeout(() => resolve(false), deadline - now());
    p.then(
      () => {
        timer.clear();
        resolve(true);
      },
      () => {
        timer.clear();
        resolve(true);
      },
    );
  });
}
