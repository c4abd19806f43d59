// Which tsinit owns a runtime directory: its pid file names the process by
// pid, PID namespace and start time, so a reader can tell the running owner
// from a stale file, a reused pid, or an init in another PID namespace (where
// the same number means another process: a pid file saying 1, read from the
// host, would name the host's init). The owner holds a lock on the file for
// its whole life: a second tsinit pointed at the same directory does not take
// it over, it runs without it and says so.
import fs from 'node:fs';
import { errstrOf } from '../util/errstr.ts';
import * as libc from '../../native/libc.ts';
import { ensurePrivateDir, ownUid, readOwned } from './private-dir.ts';
import type { RuntimePaths } from './paths.ts';

const { O_RDWR, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export type InitMode = 'stages' | 'command';

export interface InstanceRecord {
  pid: number;
  /** readlink of /proc/PID/ns/pid, e.g. pid:[4026531836] */
  ns: string;
  /** field 22 of /proc/PID/stat: clock ticks after boot */
  start: string;
  mode: InitMode;
}

/** What /proc says about a process; injectable for tests. null: unknown (gone, or not ours to see). */
export interface ProcProbe {
  ns(pid: number | 'self'): string | null;
  start(pid: number | 'self'): string | null;
  /** identity (device:inode) of the executable the process runs */
  exe(pid: number | 'self'): string | null;
  /** the executable's path, for messages */
  exePath(pid: number | 'self'): string;
}

export const realProbe: ProcProbe = {
  ns: (pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/pid`);
    } catch {
      return null;
    }
  },
  start: (pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      // comm (field 2) may hold spaces and parentheses: count after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return rest[19] ?? null;
    } catch {
      return null;
    }
  },
  exe: (pid) => {
    try {
      const st = fs.statSync(`/proc/${pid}/exe`);
      return `${st.dev}:${st.ino}`;
    } catch {
      return null;
    }
  },
  exePath: (pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/exe`);
    } catch (e) {
      return `? (${errstrOf(e)})`;
    }
  },
};

export function formatRecord(r: InstanceRecord): string {
  return `${r.pid}\nns ${r.ns}\nstart ${r.start}\nmode ${r.mode}\n`;
}

export function parseRecord(text: string): InstanceRecord | null {
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const field = (k: string): string | undefined => lines.find((l) => l.startsWith(`${k} `))?.slice(k.length + 1);
  const ns = field('ns');
  const start = field('start');
  const mode = field('mode');
  if (ns === undefined || start === undefined || (mode !== 'stages' && mode !== 'command')) return null;
  return { pid, ns, start, mode };
}

/** This process, as its pid file describes it. */
export function selfRecord(mode: InitMode, probe: ProcProbe = realProbe): InstanceRecord | null {
  const ns = probe.ns('self');
  const start = probe.start('self');
  return ns === null || start === null ? null : { pid: process.pid, ns, start, mode };
}

/**
 * Is the process the record names running, the same process, in our PID
 * namespace, running our executable? An error text (for `tsinit halt`) or null.
 */
export function verifyInstance(r: InstanceRecord, file: string, probe: ProcProbe = realProbe): string | null {
  const ours = probe.ns('self');
  if (ours === null) return 'unable to read /proc/self/ns/pid';
  if (r.ns !== ours) {
    return `the tsinit named by ${file} (pid ${r.pid}) runs in another PID namespace (${r.ns}; this process is in ${ours}): run tsinit halt inside its container`;
  }
  const ns = probe.ns(r.pid);
  const start = probe.start(r.pid);
  if (ns === null || start === null) return `${file} is stale: process ${r.pid} is gone`;
  if (ns !== r.ns || start !== r.start) return `${file} is stale: process ${r.pid} is not the tsinit that wrote it`;
  const exe = probe.exe(r.pid);
  if (exe === null || exe !== probe.exe('self')) {
    return `process ${r.pid} named by ${file} runs ${probe.exePath(r.pid)}, not this tsinit (${probe.exePath('self')})`;
  }
  return null;
}

/** The verified owner of the directory, or why there is none. */
export function findInstance(paths: RuntimePaths, probe: ProcProbe = realProbe): InstanceRecord | { error: string } {
  const text = readOwned(paths.pidFile);
  if (text === null) return { error: `no tsinit announced in ${paths.dir} (no ${paths.pidFile} of uid ${process.geteuid?.() ?? 0})` };
  const r = parseRecord(text);
  if (r === null) return { error: `${paths.pidFile}: not a pid file of this tsinit version` };
  const bad = verifyInstance(r, paths.pidFile, probe);
  return bad === null ? r : { error: bad };
}

export type Claim = { owned: true; release(): void } | { owned: false; why: string };

/** The lock: held by the owner for its whole life, through any PID namespace; false when another holds it. */
export type TryLock = (fd: number) => boolean;

const realTryLock: TryLock = (fd) => {
  try {
    libc.flock(fd, libc.LOCK_EX | libc.LOCK_NB);
    return true;
  } catch (e) {
    if (e instanceof libc.LibcError && (e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK')) return false;
    throw e;
  }
};

/**
 * At start: make the directory ours, lock the pid file and write our record
 * in it. The lock, not the record, decides: an owner in another PID namespace
 * (a second container sharing the directory) cannot be seen in /proc, and a
 * record left by a killed run (docker restart keeps /run) is no owner.
 */
export function claimRuntimeDir(paths: RuntimePaths, mode: InitMode, probe: ProcProbe = realProbe, tryLock: TryLock = realTryLock): Claim {
  const bad = ensurePrivateDir(paths.dir);
  if (bad !== null) return { owned: false, why: bad };
  const me = selfRecord(mode, probe);
  if (me === null) return { owned: false, why: 'unable to read /proc/self (ns/pid, stat)' };
  let fd: number;
  try {
    fd = fs.openSync(paths.pidFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o600);
  } catch (e) {
    return { owned: false, why: `unable to open ${paths.pidFile}: ${errstrOf(e)}` };
  }
  const fail = (why: string): Claim => {
    fs.closeSync(fd);
    return { owned: false, why };
  };
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== ownUid()) return fail(`${paths.pidFile} is not a file of uid ${ownUid()}`);
    if (!tryLock(fd)) {
      const other = parseRecord(readOwned(paths.pidFile) ?? '');
      return fail(`it belongs to the running tsinit ${other ? `with pid ${other.pid} (${other.ns})` : 'that holds its lock'}`);
    }
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, formatRecord(me), 0);
  } catch (e) {
    return fail(`unable to lock and write ${paths.pidFile}: ${errstrOf(e)}`);
  }
  return {
    owned: true,
    // At exit: the file goes first, then the lock (a successor never sees our record as live).
    release: () => {
      try {
        fs.unlinkSync(paths.pidFile);
      } catch {
        // already gone
      }
      fs.closeSync(fd);
    },
  };
}
