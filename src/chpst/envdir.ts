// envdir semantics (chpst -e and the envdir alias), byte for byte as runit
// 2.1.2: the pure value rule, the pure "apply changes to environ" rule, and
// the directory reader that performs runit's system calls in runit's order.
import fs from 'node:fs';
import { fchdir, O_NONBLOCK } from '../../native/libc.ts';
import { codeOf, errstr } from '../util/errstr.ts';
import { sysFatal as sys } from './fatal.ts';

const NL = 0x0a;

/**
 * The value for one file. runit keeps one buffer across files: a file that
 * vanished between readdir and open (ENOENT, e.g. a dangling symlink) reuses
 * the previous buffer, which after processing holds the last value plus a NUL.
 * `content` is the file's bytes, or null for ENOENT. Returns the value to set
 * (null = remove the variable) and the buffer for the next file.
 */
export function envdirValue(content: Buffer | null, previous: Buffer): { value: Buffer | null; buffer: Buffer } {
  const sa = content ?? previous;
  if (sa.length === 0) return { value: null, buffer: sa };
  const nl = sa.indexOf(NL);
  let len = nl === -1 ? sa.length : nl;
  while (len > 0 && (sa[len - 1] === 0x20 || sa[len - 1] === 0x09)) len--;
  const value = Buffer.from(sa.subarray(0, len));
  for (let i = 0; i < value.length; i++) if (value[i] === 0) value[i] = NL;
  return { value, buffer: Buffer.concat([value, Buffer.alloc(1)]) };
}

/** One pending environment change, as runit's pathexec_env records it: `NAME=value` or `NAME` (unset). */
export function envEntry(name: Buffer | string, value: Buffer | string | null): Buffer {
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  if (value === null) return n;
  return Buffer.concat([n, Buffer.from('='), typeof value === 'string' ? Buffer.from(value) : value]);
}

/**
 * pathexec_env_run's rule: for each change in order, the first variable with
 * that name is removed by moving the last entry into its slot, and a `NAME=…`
 * change is appended at the end.
 */
export function applyEnvChanges(environ: readonly Buffer[], changes: readonly Buffer[]): Buffer[] {
  const e = [...environ];
  for (const change of changes) {
    const eq = change.indexOf(0x3d);
    const split = eq === -1 ? change.length : eq;
    const name = change.subarray(0, split);
    for (let t = 0; t < e.length; t++) {
      const cur = e[t] as Buffer;
      if (cur.length > split && cur[split] === 0x3d && cur.subarray(0, split).equals(name)) {
        e[t] = e[e.length - 1] as Buffer;
        e.pop();
        break;
      }
    }
    if (eq !== -1) e.push(change);
  }
  return e;
}

/** env_get: the value of the first `NAME=` entry. */
export function envGet(environ: readonly Buffer[], name: string): Buffer | undefined {
  const prefix = Buffer.from(`${name}=`);
  for (const e of environ) if (e.subarray(0, prefix.length).equals(prefix)) return e.subarray(prefix.length);
  return undefined;
}

function readWhole(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if (codeOf(e) === 'EINTR') continue;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** openreadclose: bytes, null for ENOENT, or throws the errno. */
function readEntry(name: Buffer): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(name, fs.constants.O_RDONLY | O_NONBLOCK);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    return readWhole(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface EnvdirOptions {
  /** -e: a subdirectory is skipped (warned about with -v); envdir: fatal */
  skipDirs: boolean;
  verbose: boolean;
  warn: (message: string) => void;
  /** more entries than this (names starting with "." not counted): throws, the caller falls back; default none */
  maxEntries?: number;
}

/**
 * Entries PID 1 reads for an envdir in one event-loop turn (readEnvdirAt: the
 * supervisor's fast path and a served chpst -e). Each is an open and a read,
 * so 128 stay within a few ms; a larger envdir is read by a chpst process of
 * its own (the caller's fallback), never by a loop inside PID 1.
 */
export const IN_PROCESS_ENVDIR_MAX = 128;

/** The directory's entries in readdir order, as changes; `at` maps a name to the path to open. */
function readEntries(open: string, dir: string, opts: EnvdirOptions, at: (name: Buffer) => Buffer): Buffer[] {
  let d: fs.Dir;
  try {
    d = fs.opendirSync(open, { encoding: 'buffer' as BufferEncoding });
  } catch (e) {
    throw sys(`unable to open directory: ${dir}`, e);
  }
  const changes: Buffer[] = [];
  let sa: Buffer = Buffer.alloc(0);
  let seen = 0;
  try {
    for (;;) {
      let ent: fs.Dirent | null;
      try {
        ent = d.readSync();
      } catch (e) {
        throw sys(`unable to read directory: ${dir}`, e);
      }
      if (!ent) break;
      const name = ent.name as unknown as Buffer;
      if (name[0] === 0x2e) continue;
      if (opts.maxEntries !== undefined && ++seen > opts.maxEntries) throw new Error(`${dir}: more than ${opts.maxEntries} entries`);
      let content: Buffer | null;
      try {
        content = readEntry(at(name));
      } catch (e) {
        const what = `unable to read ${dir}/${name.toString()}`;
        if (codeOf(e) === 'EISDIR' && opts.skipDirs) {
          if (opts.verbose) opts.warn(`${what}: ${errstr('EISDIR')}`);
          continue;
        }
        throw sys(what, e);
      }
      const r = envdirValue(content, sa);
      sa = r.buffer;
      changes.push(envEntry(name, r.value));
    }
  } finally {
    d.closeSync();
  }
  return changes;
}

/**
 * The same reading without changing the working directory (for the
 * supervisor itself, chpst's fast path): `dir` relative to `base`. Errors
 * carry the messages readEnvdir would print, but the caller falls back to a
 * real chpst for them rather than printing. At most IN_PROCESS_ENVDIR_MAX
 * entries unless opts say otherwise.
 */
export function readEnvdirAt(base: string, dir: string, opts: EnvdirOptions): Buffer[] {
  opts = { maxEntries: IN_PROCESS_ENVDIR_MAX, ...opts };
  const abs = Buffer.from(dir.startsWith('/') ? dir : `${base}/${dir}`);
  return readEntries(abs.toString(), dir, opts, (name) => Buffer.concat([abs, Buffer.from('/'), name]));
}

/**
 * Read `dir` as runit does: open ".", chdir(dir), readdir order, names
 * starting with "." skipped, then fchdir back. Returns the changes in order.
 * Throws ChpstFatal (fatal.ts) with runit's message.
 */
export function readEnvdir(dir: string, opts: EnvdirOptions): Buffer[] {
  let wdir: number;
  try {
    wdir = fs.openSync('.', fs.constants.O_RDONLY | O_NONBLOCK);
  } catch (e) {
    throw sys('unable to open current working directory', e);
  }
  try {
    try {
      process.chdir(dir);
    } catch (e) {
      throw sys(`unable to switch to directory: ${dir}`, e);
    }
    const changes = readEntries('.', dir, opts, (name) => name);
    try {
      fchdir(wdir);
      process.chdir('.'); // Node caches the cwd; chdir refreshes that cache
    } catch (e) {
      throw sys('unable to switch to starting directory', e);
    }
    return changes;
  } finally {
    fs.closeSync(wdir);
  }
}
