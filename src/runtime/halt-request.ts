// How `tsinit halt [CODE]` reaches the running tsinit from another process:
// a request file in the runtime directory, then SIGCONT, as `runit-init 0`
// signals through /run/runit.stopit. Only a tsinit verified through its pid
// file (instance.ts: same PID namespace, same process, same executable) is
// signalled; anything else is a clear error, and no request is left behind.
// Files are created exclusively and never followed through a link.
import fs from 'node:fs';
import { errstrOf } from '../util/errstr.ts';
import { findInstance, realProbe, type ProcProbe } from './instance.ts';
import type { RuntimePaths } from './paths.ts';
import { checkPrivateDir, ensurePrivateDir, readOwned, writeExclusive } from './private-dir.ts';

export interface HaltRequest {
  /** the exit code asked for; null: shut down, keep whatever code is set */
  code: number | null;
  /** who asked, for the log */
  by: string;
}

export type WriteResult = 'written' | 'pending' | { error: string };

/**
 * Leave a halt request for PID 1. 'pending': an earlier request is not taken
 * yet (its code wins: the first code set wins).
 */
export function writeHaltRequest(paths: Pick<RuntimePaths, 'dir' | 'haltFile'>, req: HaltRequest): WriteResult {
  const bad = ensurePrivateDir(paths.dir);
  if (bad) return { error: bad };
  try {
    writeExclusive(paths.haltFile, `${JSON.stringify(req)}\n`);
    return 'written';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'pending';
    return { error: `unable to write ${paths.haltFile}: ${errstrOf(e)}` };
  }
}

/** PID 1 on SIGCONT: take (read and remove) a pending halt request, if any. */
export function takeHaltRequest(paths: Pick<RuntimePaths, 'dir' | 'haltFile'>): HaltRequest | null {
  if (checkPrivateDir(paths.dir) !== null) return null;
  const text = readOwned(paths.haltFile);
  if (text === null) return null;
  try {
    fs.unlinkSync(paths.haltFile);
  } catch {
    // taken by someone else meanwhile: still honoured once here
  }
  return parseHaltRequest(text);
}

export function parseHaltRequest(text: string): HaltRequest {
  try {
    const v = JSON.parse(text) as { code?: unknown; by?: unknown };
    const code = typeof v.code === 'number' && Number.isInteger(v.code) && v.code >= 0 && v.code <= 255 ? v.code : null;
    const by = typeof v.by === 'string' ? v.by.slice(0, 512) : 'tsinit halt';
    return { code, by };
  } catch {
    return { code: null, by: 'tsinit halt (unreadable request)' };
  }
}

/** PID 1's side of the channel, injectable for tests. */
export interface HaltChannel {
  /** on SIGCONT: a pending request, taken */
  take(): HaltRequest | null;
}

export function realHaltChannel(paths: RuntimePaths): HaltChannel {
  return { take: () => takeHaltRequest(paths) };
}

/**
 * From another process (tsinit halt, a runsvdir started by /etc/runit/2):
 * find and verify the tsinit owning the directory, leave the request, wake it.
 */
export function sendHalt(
  paths: RuntimePaths,
  req: HaltRequest,
  probe: ProcProbe = realProbe,
  signal: (pid: number) => void = (pid) => process.kill(pid, 'SIGCONT'),
): { written: WriteResult; pid: number } | { error: string } {
  const init = findInstance(paths, probe);
  if ('error' in init) return init;
  if (init.mode !== 'stages') return { error: `the tsinit with pid ${init.pid} runs a command (command mode): tsinit halt stops stage mode only` };
  const written = writeHaltRequest(paths, req);
  if (typeof written === 'object') return written;
  try {
    signal(init.pid);
  } catch (e) {
    return { error: `unable to signal process ${init.pid}: ${errstrOf(e)}` };
  }
  return { written, pid: init.pid };
}
