// Reading the process table from /proc: who is left, who is a zombie, and
// which processes descend from tsinit (needed when tsinit is not PID 1 and
// must not signal processes outside its own tree).
import fs from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** one-letter state: R S D Z T ... */
  state: string;
  comm: string;
}

/** Parse /proc/PID/stat; comm may contain spaces and parentheses. */
export function parseProcStat(text: string): ProcEntry | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(' ');
  const [state, ppid, pgrp, session] = rest;
  if (state === undefined || ppid === undefined || pgrp === undefined || session === undefined) return undefined;
  return { pid, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), state, comm: text.slice(open + 1, close) };
}

export function listProcesses(procRoot = '/proc'): ProcEntry[] {
  const out: ProcEntry[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const e = parseProcStat(fs.readFileSync(`${procRoot}/${name}/stat`, 'latin1'));
      if (e) out.push(e);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Pids of every descendant of root (not root itself), from a snapshot. */
export function descendantsOf(root: number, procs: ProcEntry[]): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * When process pid started (field 22 of /proc/PID/stat, clock ticks since
 * boot), or null when there is no such process (or /proc hides it). With the
 * pid it names one process: a reused pid has another start time.
 */
export function startTimeOf(pid: number | 'self'): number | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = text.lastIndexOf(')');
    if (close < 0) return null;
    const v = text.slice(close + 2).split(' ')[19];
    const n = v === undefined ? NaN : Number(v);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}

/**
 * Pids holding a lock (flock or fcntl, not waiting for one) on inode `ino`,
 * from /proc/locks text: "1: FLOCK  ADVISORY  WRITE 42 fe:00:1234 0 EOF".
 * The kernel gives the pids as the reader's PID namespace sees them.
 */
export function lockHolders(procLocks: string, ino: number): number[] {
  const out: number[] = [];
  for (const line of procLocks.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '->') continue; // a waiter, not a holder
    const where = f[5]?.split(':');
    if (!where || where.length !== 3 || Number(where[2]) !== ino) continue;
    const pid = Number(f[4]);
    if (Number.isSafeInteger(pid) && pid > 0) out.push(pid);
  }
  return out;
}
