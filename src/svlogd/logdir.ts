// One log directory: lock, config, `current` and its rotation to @….s/.u,
// pruning, the processor, and runit's exact size rule. Output is appended to
// a pending buffer and written in large pieces; the size rule is applied by
// byte position, which gives the same files as runit's write-per-line.
import fs from 'node:fs';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { reaper } from '../process/reaper.ts';
import type { ExitStatus } from '../process/wait-status.ts';
import { tai64nLabel } from '../util/tai64n.ts';
import { defaultConfig, parseConfig, type LogConfig } from './config.ts';
import { INFO, PAUSE, WARNING, sleepSync, sysMessage, type Report } from './messages.ts';
import { mayAccess, mayChmod, R, W, X, type OpenSpec, type Owner } from './owner-access.ts';
import { reachDir, type PathFs } from './owner-path.ts';
import { ProcessorSetupError, processorExitCode, startProcessor } from './processor.ts';
import { UdpOut } from './udp.ts';

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NONBLOCK, O_NOFOLLOW, O_TRUNC } = fs.constants;
const PAUSE_MS = 3000;
/** ppid while a processor that could not be forked waits for its next try */
const FORK_PENDING = -2;
const NL = 10;

export interface DirEnv {
  verbose: boolean;
  /** message lines to stderr (the caller flushes pending log-line copies first) */
  report: Report;
  /** -l */
  linemax: number;
  /** wall clock, microseconds */
  now(): number;
  /** asynchronous wait used by the retry loops that must not block input handling */
  sleep(ms: number): Promise<void>;
  /**
   * In-process logger for `chpst -u USER svlogd`: it acts for USER, as root.
   * Every file is opened through the directory's descriptor, never through a
   * symlink, and only if USER could open it; files it creates get USER as
   * owner; processors run as USER.
   */
  owner?: Owner;
  /** inside the supervisor: a step runit would retry every 3 s fails the directory instead of blocking */
  inprocess?: boolean;
  /** the processors' stderr (default: this process's own; -1: closed) */
  processorStderr?: number;
}

let procFdKnown: boolean | undefined;
function procFd(): boolean {
  procFdKnown ??= fs.existsSync('/proc/self/fd');
  return procFdKnown;
}

/** An errno-style error for a refusal made here, as the kernel would have refused USER. */
function refused(code: 'EACCES' | 'EPERM', file: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${file}`);
  e.code = code;
  return e;
}

function refusedAs(code: string, file: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${file}`);
  e.code = code;
  return e;
}

/** The file system as owner-path.ts walks it. */
function pathStat(st: fs.Stats): ReturnType<PathFs['lstat']> {
  return { uid: st.uid, gid: st.gid, mode: st.mode, dev: st.dev, ino: st.ino, kind: st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other' };
}

const realPathFs: PathFs = {
  lstat: (p) => pathStat(fs.lstatSync(p)),
  stat: (p) => pathStat(fs.statSync(p)),
  readlink: (p) => fs.readlinkSync(p),
};

const PAUSED = -1;
const RETRY = -2;

export class LogDir {
  readonly name: string;
  private readonly env: DirEnv;
  config: LogConfig = defaultConfig();
  /** runit's fddir != -1: the directory is functional */
  isOpen = false;
  private fdDir = -1;
  private fdCur = -1;
  private fdLock = -1;
  size = 0;
  /** when `t` rotation is due, microseconds */
  trotate = 0;
  /** result of the +/- rules for the current line ('+' selected) */
  match = 43;
  /** result of the e/E rules; kept across reloads as runit does (starts unset) */
  matcherr = 0;
  udp: UdpOut | undefined;
  /** runit's ld->name: set once the lock is taken, so a close before that prints an empty name */
  private shownName = '';

  // pending output: out[pstart, plen)
  private out: Buffer = Buffer.allocUnsafe(1 << 16);
  private pstart = 0;
  private plen = 0;
  private rotatePending = false;
  private draining = false;
  private idle: Promise<void> | undefined;

  // processor
  private ppid = 0;
  private procName = '';
  private procWaiters: Array<() => void> = [];

  /** where the directory is on disk (name resolved against the logger's cwd) */
  readonly fsPath: string;
  /** what a relative name is relative to (undefined: this process's directory) */
  private readonly cwd: string | undefined;

  /** name: as given (used in messages); cwd: what a relative name is relative to */
  constructor(name: string, env: DirEnv, cwd?: string) {
    this.name = name;
    // Joined, not resolved: the kernel decides what "..", symlinks and ""
    // mean, as for svlogd started in cwd.
    this.fsPath = cwd === undefined || name === '' || name.startsWith('/') ? name : `${cwd}/${name}`;
    this.cwd = cwd;
    this.env = env;
  }

  /**
   * A file of the directory by name. Acting for another account, always
   * through the descriptor of the directory that was checked at open(): a
   * directory renamed or replaced by a symlink later changes nothing.
   */
  private file(f: string): string {
    return path.join(this.dirPath(), f);
  }

  /**
   * runit works in the directory it opened (fchdir): the same here, through
   * the descriptor, so a directory renamed or removed while in use is not
   * looked up by name again. Without /proc: by name, except for another account.
   */
  private dirPath(): string {
    if (this.fdDir >= 0 && (this.env.owner || procFd())) return `/proc/self/fd/${this.fdDir}`;
    return this.fsPath;
  }

  /**
   * Open a file of the directory. As root for root: what svlogd does. For
   * another account: no symlink followed, nothing but a regular file, only
   * what the account could open itself, and a file created here (exclusively)
   * given to it; an existing file is never chowned, truncated only after the
   * checks.
   */
  openFile(name: string, spec: OpenSpec): number {
    const owner = this.env.owner;
    const p = this.file(name);
    if (!owner) {
      const flags = spec.flags | O_NONBLOCK | (spec.create ? O_CREAT : 0) | (spec.truncate ? O_TRUNC : 0);
      return fs.openSync(p, flags, spec.mode ?? 0o600);
    }
    const flags = spec.flags | O_NONBLOCK | O_NOFOLLOW;
    if (spec.create) {
      let fd = -1;
      try {
        fd = fs.openSync(p, flags | O_CREAT | O_EXCL, spec.mode ?? 0o600);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (fd >= 0) {
        try {
          fs.fchownSync(fd, owner.uid, owner.gid);
        } catch (e) {
          fs.closeSync(fd);
          throw e;
        }
        return fd;
      }
    }
    const fd = fs.openSync(p, flags);
    try {
      const st = fs.fstatSync(fd);
      const want = (spec.flags & 3) === O_RDONLY ? R : W;
      if (!st.isFile() || !mayAccess(st, owner, want)) throw refused('EACCES', name);
      if (spec.chmod && !mayChmod(st, owner)) throw refused('EPERM', name);
      if (spec.truncate) fs.ftruncateSync(fd, 0);
      return fd;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** chmod a file of the directory (never through a symlink when acting for another account). */
  private chmodFile(name: string, mode: number): void {
    if (!this.env.owner) {
      fs.chmodSync(this.file(name), mode);
      return;
    }
    const fd = this.openFile(name, { flags: O_RDONLY, chmod: true });
    try {
      fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** stat without following a symlink when acting for another account. */
  private statFile(name: string): fs.Stats {
    return this.env.owner ? fs.lstatSync(this.file(name)) : fs.statSync(this.file(name));
  }

  private info(text: string): void {
    if (this.env.verbose) this.env.report(`${INFO}${text}\n`);
  }

  private warn(m0: string, e: unknown): void {
    this.env.report(sysMessage(WARNING, m0, this.name, e));
  }

  /** runit's pause2(): message, then a blocking 3 s sleep (rare error paths only). */
  private pauseSync(m0: string, e: unknown): void {
    this.env.report(sysMessage(PAUSE, m0, this.name, e));
    sleepSync(PAUSE_MS);
  }

  /**
   * runit's retry-every-3-s loop. Inside the supervisor a blocking sleep
   * would stop every service: one attempt, a warning, and false on failure.
   */
  private retrySync(m0: string, op: () => void): boolean {
    for (;;) {
      try {
        op();
        return true;
      } catch (e) {
        if (this.env.inprocess) {
          this.warn(m0, e);
          return false;
        }
        this.pauseSync(m0, e);
      }
    }
  }

  /**
   * runit's pause2() loops without blocking the event loop: undefined when op
   * succeeded at once, else a promise that retries it every 3 s until it does.
   */
  private attempt(m0: string, op: () => void): Promise<void> | undefined {
    try {
      op();
      return undefined;
    } catch (e) {
      return this.retryLater(m0, op, e);
    }
  }

  private async retryLater(m0: string, op: () => void, first: unknown): Promise<void> {
    let e = first;
    for (;;) {
      this.env.report(sysMessage(PAUSE, m0, this.name, e));
      await this.env.sleep(PAUSE_MS);
      try {
        op();
        return;
      } catch (again) {
        e = again;
      }
    }
  }

  /** A fresh @<tai64n>.<suffix> name that does not exist yet. */
  private newName(suffix: string): { name: string; us: number } {
    for (;;) {
      const us = this.env.now();
      const sec = Math.floor(us / 1e6);
      const name = `${tai64nLabel({ sec, usec: us - sec * 1e6 })}.${suffix}`;
      try {
        this.statFile(name);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { name, us };
      }
    }
  }

  // ---- open / close -------------------------------------------------------

  /** config, read without blocking (a FIFO planted as config must not stop the supervisor). */
  private readConfig(): Buffer {
    const fd = this.openFile('config', { flags: O_RDONLY });
    try {
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** runit's logdir_open(); false when the directory is not functional. */
  open(nowUs: number): boolean {
    // Acting for another account: only a directory it could reach itself
    // (every directory on the way searchable by it), and the very one checked.
    const reach = this.env.owner ? reachDir(this.name, this.cwd ?? process.cwd(), this.env.owner, realPathFs) : undefined;
    try {
      if (reach && !reach.ok) throw refusedAs(reach.code, this.name);
      this.fdDir = fs.openSync(this.fsPath, O_RDONLY | O_NONBLOCK);
    } catch (e) {
      this.env.report(sysMessage(WARNING, 'unable to open log directory', this.name, e));
      return false;
    }
    this.isOpen = true;
    const dst = fs.fstatSync(this.fdDir);
    if (reach?.ok && (dst.dev !== reach.dev || dst.ino !== reach.ino)) {
      // replaced between the check and the open
      this.close();
      this.env.report(sysMessage(WARNING, 'unable to open log directory', this.name, { code: 'EACCES' }));
      return false;
    }
    if (!dst.isDirectory()) {
      this.close();
      this.env.report(sysMessage(WARNING, 'unable to change directory', this.name, { code: 'ENOTDIR' }));
      return false;
    }
    const owner = this.env.owner;
    if (owner && !mayAccess(dst, owner, X)) {
      this.close();
      this.env.report(sysMessage(WARNING, 'unable to change directory', this.name, { code: 'EACCES' }));
      return false;
    }
    try {
      // USER's svlogd could create nothing in a directory it may not write
      if (owner && !mayAccess(dst, owner, W | X)) throw refused('EACCES', 'lock');
      this.fdLock = this.openFile('lock', { flags: O_WRONLY | O_APPEND, create: true });
      libc.flock(this.fdLock, libc.LOCK_EX | libc.LOCK_NB);
    } catch (e) {
      if (this.fdLock !== -1) fs.closeSync(this.fdLock);
      this.fdLock = -1;
      this.close();
      this.warn('unable to lock directory', e);
      return false;
    }
    this.shownName = this.name;
    this.size = 0;
    this.match = 43;
    this.pstart = this.plen = 0;

    // config
    let data: Buffer | undefined;
    let readIt = true;
    try {
      data = this.readConfig();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') readIt = false;
      else this.warn('unable to read config', e);
    }
    if (readIt) this.info(`read: ${this.name}/config`);
    this.config = data ? parseConfig(data) : defaultConfig();
    for (const w of this.config.warnings) this.env.report(`${WARNING}${w}\n`);
    if (this.config.tmax) this.trotate = nowUs + this.config.tmax * 1e6;

    // current: recover an unclean one (no owner-x bit) as @….u; acting for
    // another account, anything but a regular file is moved away the same way
    let appended = false;
    try {
      const st = this.statFile('current');
      if ((st.size > 0 && !(st.mode & 0o100)) || (this.env.owner && !st.isFile())) {
        const { name } = this.newName('u');
        if (!this.retrySync('unable to rename current', () => fs.renameSync(this.file('current'), this.file(name)))) {
          this.close();
          return false;
        }
        this.rmOldest();
      } else {
        this.size = st.size;
        appended = true;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.close();
        this.warn('unable to stat current', e);
        return false;
      }
    }
    const openCurrent = (): void => {
      this.fdCur = this.openFile('current', { flags: O_WRONLY | O_APPEND, create: true, chmod: true });
    };
    // Inside the supervisor a failure here fails the directory (runsv
    // restarts the logger) rather than blocking in runit's 3 s retry loop.
    if (
      !this.retrySync('unable to open current', openCurrent) ||
      !this.retrySync('unable to set mode of current', () => fs.fchmodSync(this.fdCur, 0o644))
    ) {
      this.close();
      return false;
    }
    this.info(`${appended ? 'append' : 'new'}: ${this.name}/current`);
    if (this.config.udpPort) this.udp = new UdpOut();
    return true;
  }

  /** runit's logdir_close(): pending output must have been drained. */
  close(): void {
    if (!this.isOpen) return;
    this.info(`close: ${this.shownName}`);
    fs.closeSync(this.fdDir);
    this.fdDir = -1;
    this.isOpen = false;
    this.udp?.close();
    this.udp = undefined;
    if (this.fdCur !== -1) {
      this.writePendingSync();
      this.retrySync('unable to fsync current logfile', () => fs.fsyncSync(this.fdCur));
      this.retrySync('unable to set mode of current', () => fs.fchmodSync(this.fdCur, 0o744));
      fs.closeSync(this.fdCur);
      this.fdCur = -1;
    }
    // Also when current never opened: a lock left held (and its descriptor
    // leaked) would make every later open in this process fail.
    if (this.fdLock !== -1) fs.closeSync(this.fdLock);
    this.fdLock = -1;
    this.config = { ...this.config, processor: '' };
  }

  /** Last-resort flush for close(): whatever is still pending goes out as is. */
  private writePendingSync(): void {
    while (this.pstart < this.plen) {
      try {
        const w = fs.writeSync(this.fdCur, this.out, this.pstart, this.plen - this.pstart);
        this.pstart += w;
        this.size += w;
      } catch (e) {
        if (this.env.inprocess) {
          this.warn('unable to write to current', e);
          break;
        }
        this.pauseSync('unable to write to current', e);
      }
    }
    this.pstart = this.plen = 0;
  }

  // ---- output ---------------------------------------------------------------

  private reserve(n: number): Buffer {
    if (this.plen + n > this.out.length) {
      if (this.pstart > 0 && this.plen - this.pstart + n <= this.out.length && !this.draining) {
        this.out.copy(this.out, 0, this.pstart, this.plen);
        this.plen -= this.pstart;
        this.pstart = 0;
      } else {
        const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.plen + n));
        this.out.copy(bigger, 0, 0, this.plen);
        this.out = bigger;
      }
    }
    return this.out;
  }

  /** After appending a piece: drain now if the size rule has something to do. */
  private check(endsLine: boolean): void {
    const sizemax = this.config.sizemax;
    if (!sizemax) return;
    const total = this.size + (this.plen - this.pstart);
    if (total > sizemax || (endsLine && total >= this.threshold())) this.kick();
  }

  /** runit rotates after a line end once size >= s - len (unsigned: never if s < len). */
  private threshold(): number {
    const { sizemax } = this.config;
    return sizemax >= this.env.linemax ? sizemax - this.env.linemax : Infinity;
  }

  /** Append [stamp][prefix]msg[\n]. */
  putLine(stamp: Buffer | undefined, msg: Buffer, start: number, len: number, newline: boolean): void {
    const prefix = this.config.prefix;
    const n = (stamp ? stamp.length : 0) + prefix.length + len + (newline ? 1 : 0);
    const out = this.reserve(n);
    let p = this.plen;
    if (stamp) p += stamp.copy(out, p);
    if (prefix.length) p += prefix.copy(out, p);
    p += msg.copy(out, p, start, start + len);
    if (newline) out[p++] = NL;
    this.plen = p;
    this.check(newline);
  }

  /** Append raw bytes (a long line's rest, its final newline, a UDP warning). */
  putBytes(buf: Buffer, start: number, end: number): void {
    const out = this.reserve(end - start);
    buf.copy(out, this.plen, start, end);
    this.plen += end - start;
    this.check(end > start && buf[end - 1] === NL);
  }

  /** Write everything pending (and do due rotations); resolves when done. */
  flush(): Promise<void> | undefined {
    this.kick();
    return this.draining ? this.idle : undefined;
  }

  /** SIGALRM / `t`: rotate (a no-op on an empty current), after pending output. */
  requestRotate(): Promise<void> | undefined {
    if (!this.isOpen) {
      this.config = { ...this.config, tmax: 0 };
      return undefined;
    }
    this.rotatePending = true;
    return this.flush();
  }

  private kick(): void {
    if (this.draining) return;
    const p = this.drain();
    if (this.draining) this.idle = p;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (;;) {
        if (this.rotatePending) {
          if (this.ppid) {
            await this.processorIdle();
            continue;
          }
          this.rotatePending = false;
          const r = this.rotateNow();
          if (this.rotating) await r;
          continue;
        }
        if (this.pstart >= this.plen) break;
        const sizemax = this.config.sizemax;
        let end = this.plen;
        if (sizemax) {
          if (this.size >= sizemax) {
            this.rotatePending = true;
            continue;
          }
          const room = sizemax - this.size;
          if (this.pstart + room < end) end = this.pstart + room;
          const t = this.threshold();
          if (t !== Infinity) {
            const from = Math.max(this.pstart, this.pstart + (t - this.size) - 1);
            if (from < end) {
              const j = this.out.indexOf(NL, from);
              if (j >= 0 && j < end) end = j + 1;
            }
          }
        }
        const w = this.writeOnce(this.pstart, end);
        if (w === RETRY) continue;
        if (w === PAUSED) {
          await this.env.sleep(PAUSE_MS);
          continue;
        }
        this.pstart += w;
        this.size += w;
        if (sizemax && this.out[this.pstart - 1] === NL && this.size >= this.threshold()) this.rotatePending = true;
      }
      this.pstart = this.plen = 0;
    } catch (e) {
      this.env.report(`${WARNING}${this.name}: ${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      this.draining = false;
    }
  }

  /** One write(2); ENOSPC handling as runit's buffer_pwrite(). */
  private writeOnce(from: number, to: number): number {
    try {
      return fs.writeSync(this.fdCur, this.out, from, to - from);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC' && this.config.nmin < this.config.nmax) {
        const { count, oldest } = this.scan(false);
        if (count > this.config.nmin && oldest) {
          this.env.report(`${WARNING}out of disk space, delete: ${this.name}/${oldest}\n`);
          try {
            fs.unlinkSync(this.file(oldest));
            return RETRY;
          } catch (ue) {
            this.warn('unable to unlink oldest logfile', ue);
          }
        }
      }
      this.env.report(sysMessage(PAUSE, 'unable to write to current', this.name, e));
      return PAUSED;
    }
  }

  /** Count @… files (27 chars) and find the oldest; with removeT, delete .t leftovers. */
  private scan(removeT: boolean): { count: number; oldest: string | undefined } {
    let names: string[] = [];
    for (;;) {
      try {
        names = fs.readdirSync(this.dirPath());
        break;
      } catch (e) {
        const m0 = removeT ? 'unable to open directory, want rotate' : 'unable to open directory, want remove old logfile';
        if (this.env.inprocess) {
          this.warn(m0, e);
          return { count: 0, oldest: undefined };
        }
        this.pauseSync(m0, e);
      }
    }
    let count = 0;
    let oldest: string | undefined;
    for (const f of names) {
      if (f.length !== 27 || f[0] !== '@') continue;
      if (removeT && f[26] === 't') {
        try {
          fs.unlinkSync(this.file(f));
        } catch (e) {
          this.env.report(sysMessage(WARNING, 'unable to unlink processor leftover', f, e));
        }
        continue;
      }
      count++;
      if (oldest === undefined || f < oldest) oldest = f;
    }
    return { count, oldest };
  }

  /** runit's rmoldest(). */
  private rmOldest(): void {
    const { count, oldest } = this.scan(true);
    if (this.config.nmax && count > this.config.nmax && oldest) {
      this.info(`delete: ${this.name}/${oldest}`);
      try {
        fs.unlinkSync(this.file(oldest));
      } catch (e) {
        this.warn('unable to unlink oldest logfile', e);
      }
    }
  }

  private rotating = false;

  /** runit's rotate() after any running processor has finished; synchronous unless a step must be retried. */
  private async rotateNow(): Promise<void> {
    if (!this.isOpen) {
      this.config = { ...this.config, tmax: 0 };
      return;
    }
    this.rotating = true;
    try {
      const { name, us } = this.newName(this.config.processor ? 'u' : 's');
      if (this.config.tmax && this.trotate < us) this.trotate = us + this.config.tmax * 1e6;
      if (this.size === 0) return;
      let p = this.attempt('unable to fsync current logfile', () => fs.fsyncSync(this.fdCur));
      if (p) await p;
      p = this.attempt('unable to set mode of current', () => fs.fchmodSync(this.fdCur, 0o744));
      if (p) await p;
      fs.closeSync(this.fdCur);
      this.fdCur = -1;
      this.info(`rename: ${this.name}/current ${name} ${this.size}`);
      p = this.attempt('unable to rename current', () => fs.renameSync(this.file('current'), this.file(name)));
      if (p) await p;
      p = this.attempt('unable to create new current', () => {
        this.fdCur = this.openFile('current', { flags: O_WRONLY | O_APPEND, create: true, chmod: true });
      });
      if (p) await p;
      this.size = 0;
      p = this.attempt('unable to set mode of current', () => fs.fchmodSync(this.fdCur, 0o644));
      if (p) await p;
      this.rmOldest();
      this.processorStart(name);
    } finally {
      this.rotating = false;
    }
  }

  // ---- processor ------------------------------------------------------------

  /** Resolves once no processor runs (after a successful one was finished). */
  processorIdle(): Promise<void> {
    if (!this.ppid) return Promise.resolve();
    return new Promise((resolve) => this.procWaiters.push(resolve));
  }

  get processorRunning(): boolean {
    return this.ppid !== 0;
  }

  private processorStart(name: string): void {
    if (!this.config.processor) return;
    if (this.ppid) {
      this.env.report(`${WARNING}processor already running: ${this.name}\n`);
      return;
    }
    this.procName = name;
    const command = this.config.processor;
    try {
      reaper.start();
      this.ppid = startProcessor(
        {
          cwd: this.env.owner ? fs.readlinkSync(this.dirPath()) : this.fsPath,
          open: (file, spec) => this.openFile(file, spec),
          ...(this.env.owner ? { owner: this.env.owner } : {}),
          ...(this.env.processorStderr !== undefined ? { stderr: this.env.processorStderr } : {}),
        },
        name,
        command,
        (st) => void this.processorExited(st),
      );
      this.info(`processing: ${this.name}/${name}`);
    } catch (e) {
      if (e instanceof ProcessorSetupError) {
        this.info(`processing: ${this.name}/${name}`);
        this.childFailed(sysMessage('svlogd: fatal: ', e.what, this.name, e.cause));
        return;
      }
      const code = (e as { code?: string }).code;
      if (code === 'EAGAIN' || code === 'ENOMEM') {
        // runit's pause2() sleeps 3 s and forks again. Inside PID 1 (the
        // in-process logger) a sleep would stop every service, and the
        // process limit may last: wait on a timer instead, as if the
        // processor were running meanwhile (processorIdle() waits for it).
        this.env.report(sysMessage(PAUSE, 'unable to fork for processor', this.name, e));
        this.ppid = FORK_PENDING;
        setTimeout(() => {
          if (this.ppid !== FORK_PENDING) return;
          this.ppid = 0;
          this.processorStart(name);
        }, PAUSE_MS);
        return;
      }
      // posix_spawn reports a failed exec: the child would have said so and exited 111
      this.info(`processing: ${this.name}/${name}`);
      this.childFailed(sysMessage('svlogd: fatal: ', 'unable to run processor', this.name, e));
    }
  }

  /** Setup failed where runit's forked child would have died with 111. */
  private childFailed(message: string): void {
    this.ppid = -1;
    this.env.report(message);
    // runit's failed child costs a fork before the restart; without one this
    // would be a busy loop: inside the supervisor, wait a second first.
    const exited = (): void => void this.processorExited({ pid: -1, code: 111, signal: null, core: false, raw: 111 << 8 });
    if (this.env.inprocess) setTimeout(exited, 1000);
    else setImmediate(exited);
  }

  private async processorExited(st: ExitStatus): Promise<void> {
    this.ppid = 0;
    if (!(await this.processorStop(processorExitCode(st)))) return;
    const waiters = this.procWaiters;
    this.procWaiters = [];
    for (const w of waiters) w();
  }

  /** runit's processorstop() once the child has exited; true when finished. */
  private async processorStop(code: number): Promise<boolean> {
    if (!this.isOpen) return true;
    const u = this.procName;
    const t = `${u.slice(0, 26)}t`;
    if (code !== 0) {
      this.env.report(`${WARNING}processor failed, restart: ${this.name}\n`);
      try {
        fs.unlinkSync(this.file(t));
      } catch {
        // runit ignores this unlink's result
      }
      this.processorStart(u);
      return !this.config.processor;
    }
    const s = `${u.slice(0, 26)}s`;
    let p = this.attempt('unable to rename processed', () => fs.renameSync(this.file(t), this.file(s)));
    if (p) await p;
    p = this.attempt('unable to set mode of processed', () => this.chmodFile(s, 0o744));
    if (p) await p;
    try {
      fs.unlinkSync(this.file(u));
    } catch {
      this.env.report(`${WARNING}unable to unlink: ${this.name}/${u}\n`);
    }
    p = this.attempt('unable to rename state', () => fs.renameSync(this.file('newstate'), this.file('state')));
    if (p) await p;
    this.info(`processed: ${this.name}/${s}`);
    return true;
  }

}
