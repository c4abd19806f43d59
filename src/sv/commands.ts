// sv's command table (reference spec 4.3) and the per-character checks of
// the waiting loop (4.5, Debian 2.1.2 semantics). Pure: the ./check script is
// reached through a callback so the predicates can be tested with fake records.
import { statusPid, statusTai } from '../supervise/status-file.ts';

export interface Command {
  /** what happens per service before any waiting */
  act: 'control' | 'status' | 'none';
  /** characters written to supervise/control, and checked while waiting */
  acts: string;
  /** poll until the command took effect (or timeout) */
  wait: boolean;
  /** on timeout print `kill: ` and send `k` instead of `timeout: ` */
  kill: boolean;
}

/**
 * Dispatch on the command word. Only the first character matters except for
 * the words runit compares in full. Returns undefined for a usage error.
 */
export function resolveCommand(action: string, lsb: boolean, verbose: boolean): Command | undefined {
  const control = (acts: string, wait: boolean, kill = false): Command => ({ act: 'control', acts, wait, kill });
  const first = action[0];
  switch (first) {
    case 'x':
    case 'e':
      return control('x', verbose);
    case 'X':
    case 'E':
      return control('x', true, true);
    case 'D':
      return control('d', true, true);
    case 'T':
      return control('tc', true, true);
    case 's':
      if (action === 'shutdown') return control('x', true);
      if (action === 'start') return control('u', true);
      if (action === 'stop') return control('d', true);
      if (lsb && action !== 'status') return undefined;
      return { act: 'status', acts: 's', wait: false, kill: false };
    case 'r':
      if (action === 'restart') return control('tcu', true);
      if (action === 'reload') return control('h', true);
      return undefined;
    case 'f':
      if (action === 'force-reload') return control('tc', true, true);
      if (action === 'force-restart') return control('tcu', true, true);
      if (action === 'force-shutdown') return control('x', true, true);
      if (action === 'force-stop') return control('d', true, true);
      return undefined;
    case 't':
      if (action === 'try-restart') return control('tc', true);
      return control('t', verbose);
    case 'c':
      if (action === 'check') return { act: 'none', acts: 'C', wait: true, kill: false };
      return control('c', verbose);
    case 'u':
    case 'd':
    case 'o':
    case 'p':
    case 'h':
    case 'a':
    case 'i':
    case 'k':
    case 'q':
    case '1':
    case '2':
      return control(first, verbose);
    default:
      return undefined;
  }
}

/**
 * Whether control() must skip sending: want (byte 17) already equals the
 * first action character, except that `d` is re-sent until runsv has sent TERM.
 */
export function skipSend(acts: string, st: Buffer, restartPause = false): boolean {
  const a = acts.charCodeAt(0);
  if (st[17] !== a) return false;
  // tsinit: `u` ends a restart-backoff pause (supervise/tsinit-status.json
  // shows one), so it is sent although the service is wanted up already.
  if (acts[0] === 'u' && restartPause) return false;
  return acts[0] !== 'd' || st[18] === 1;
}

export interface CheckContext {
  /** TAI64 seconds of sv's start */
  startTai: bigint;
  /** runs ./check in the service directory; true when it reports available */
  runCheckScript: () => Promise<boolean>;
}

/** Does the record satisfy one action character? */
export async function checkChar(c: string, st: Buffer, ctx: CheckContext): Promise<boolean> {
  const pid = statusPid(st);
  const want = st[17];
  const term = st[18] !== 0;
  const state = st[19];
  switch (c) {
    case 'x':
      return false; // passes only once runsv is gone (handled by the caller)
    case 'u':
      if (pid === 0 || state !== 1) return false;
      return ctx.runCheckScript();
    case 'd':
      return pid === 0 && state === 0;
    case 'C':
      // 2.1.2: a running service must pass ./check; a down one passes.
      return pid === 0 ? true : ctx.runCheckScript();
    case 't':
    case 'k':
      if (pid === 0 && want === 0x64) return true;
      if (ctx.startTai > statusTai(st) || pid === 0 || term) return false;
      return ctx.runCheckScript();
    case 'o':
      if (pid === 0 && ctx.startTai > statusTai(st)) return false;
      if (pid !== 0 && want !== 0x64) return false;
      return true;
    case 'p':
      return !(pid !== 0 && st[16] === 0);
    case 'c':
      return !(pid !== 0 && st[16] !== 0);
    default:
      return true;
  }
}

/** All characters in order; stops at the first that fails (as runit does). */
export async function checkAll(acts: string, st: Buffer, ctx: CheckContext): Promise<boolean> {
  for (const c of acts) if (!(await checkChar(c, st, ctx))) return false;
  return true;
}
