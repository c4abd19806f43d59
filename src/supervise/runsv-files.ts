// The files one runsv holds in its service directory: the directory itself
// (opened when its name is not UTF-8), supervise/ and log/supervise/ with
// their locks, the control and ok FIFOs, and every descriptor until close().
// Messages are runit's (supervise-dir.ts throws them as StartupError).
import fs from 'node:fs';
import path from 'node:path';
import type { Side } from './service-machine.ts';
import type { ControlFifo } from './control-fifo.ts';
import {
  fatalSys,
  lockNow,
  makeSuperviseDir,
  openControl,
  openLock,
  openOk,
  tryLock,
  type ControlFds,
} from './supervise-dir.ts';

/** How often a blocked log/supervise/lock is retried (runit blocks in flock). */
const LOG_LOCK_RETRY_MS = 200;

const { O_RDONLY, O_DIRECTORY } = fs.constants;

/** Bytes that are not UTF-8 do not survive a string: such a path stays a Buffer. */
export function pathArg(p: string | Buffer): string | Buffer {
  if (typeof p === 'string') return p;
  const s = p.toString();
  return Buffer.from(s).equals(p) ? s : p;
}

/** A file such as ./down or ./log/down is there (any kind, followed). */
export function exists(p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

export class SuperviseFiles {
  private readonly fds: number[] = [];
  private readonly controls: ControlFifo[] = [];
  /** the next try of log/supervise/lock */
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * The path every later call uses for the service directory: its real
   * path, or /proc/self/fd/N (held open) when its bytes are not UTF-8.
   */
  openDir(dir: string, rawDir: Buffer | undefined): string {
    try {
      if (rawDir) {
        const fd = fs.openSync(rawDir, O_RDONLY | O_DIRECTORY);
        this.fds.push(fd);
        return `/proc/self/fd/${fd}`;
      }
      const st = fs.statSync(dir);
      if (!st.isDirectory()) throw Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' });
      return fs.realpathSync(dir);
    } catch (e) {
      throw fatalSys('unable to change to directory', e);
    }
  }

  /**
   * supervise/lock at once (held: fatal, thrown), then log/supervise/lock
   * when there is a log service, then locked(); fail() gets what goes wrong
   * after this call returned.
   */
  lock(base: string, hasLog: boolean, locked: () => void, fail: (e: unknown) => void): void {
    makeSuperviseDir(base, 'supervise', './supervise');
    const lock = openLock(path.join(base, 'supervise', 'lock'), 'supervise/lock');
    this.fds.push(lock);
    lockNow(lock, 'supervise/lock');
    if (!hasLog) {
      locked();
      return;
    }
    makeSuperviseDir(base, 'log/supervise', './log/supervise');
    const logLock = openLock(path.join(base, 'log', 'supervise', 'lock'), 'log/supervise/lock');
    this.fds.push(logLock);
    // runit blocks in flock() here; we poll so that other services go on.
    const attempt = (): void => {
      this.timer = undefined;
      if (this.closed) return;
      try {
        if (tryLock(logLock, 'log/supervise/lock')) locked();
        else this.timer = setTimeout(attempt, LOG_LOCK_RETRY_MS);
      } catch (e) {
        fail(e);
      }
    };
    attempt();
  }

  /**
   * The control FIFOs, each side's initial status written (written(side))
   * right after its FIFO is open, as runit does; then the ok FIFOs.
   */
  openControls(base: string, hasLog: boolean, written: (side: Side) => void): { main: ControlFds; log: ControlFds | undefined } {
    const main = this.track(openControl(path.join(base, 'supervise', 'control'), 'supervise/control', 'supervise/control'));
    written('main');
    let log: ControlFds | undefined;
    if (hasLog) {
      log = this.track(
        openControl(path.join(base, 'log', 'supervise', 'control'), 'log/supervise/control', 'log/supervise/control'),
      );
      written('log');
    }
    this.fds.push(openOk(path.join(base, 'supervise', 'ok'), 'supervise/ok'));
    if (hasLog) this.fds.push(openOk(path.join(base, 'log', 'supervise', 'ok'), 'log/supervise/ok'));
    return { main, log };
  }

  private track(fds: ControlFds): ControlFds {
    this.fds.push(fds.readFd, fds.writeFd);
    return fds;
  }

  /** A control FIFO's reader takes over its descriptors (make() builds it); closed with the rest. */
  adopt(fds: ControlFds, make: () => ControlFifo): void {
    // The socket owns both descriptors from now on.
    const i = this.fds.indexOf(fds.readFd);
    if (i >= 0) this.fds.splice(i, 1);
    const j = this.fds.indexOf(fds.writeFd);
    if (j >= 0) this.fds.splice(j, 1);
    this.controls.push(make());
  }

  /** Close everything; no lock is tried again. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.controls) c.close();
    this.controls.length = 0;
    for (const fd of this.fds) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fds.length = 0;
  }
}
