// Files embedded in the single executable (SEA assets) have to become real
// files before the kernel or the dynamic loader can use them. tsinit runs as
// root next to users who can write to /run, /dev/shm or /tmp, so the file is
// written only into a directory tsinit has just created itself (mkdtemp,
// 0700) in a folder no other user can rearrange (owned by the user or root,
// not writable by others unless sticky, all the way from /), created
// exclusively, and used through /proc/self/fd/N: the exact inode written.
// A file left by `tsinit install` is reused only if it is trusted (owned by
// the running user or root, writable by nobody else, a regular file reached
// without a symlink) and holds exactly the embedded bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readSetting } from '../src/settings.ts';

export interface SeaModule {
  isSea(): boolean;
  getRawAsset(name: string): ArrayBuffer;
}

let seaChecked = false;
let seaCached: SeaModule | undefined;

/** node:sea when running as the single executable, else undefined. */
export function seaModule(): SeaModule | undefined {
  if (seaChecked) return seaCached;
  seaChecked = true;
  try {
    const req = createRequire(process.execPath);
    const sea = req('node:sea') as SeaModule;
    seaCached = sea.isSea() ? sea : undefined;
  } catch {
    seaCached = undefined; // Node 22 without node:sea outside a SEA, or no SEA
  }
  return seaCached;
}

/** The bytes of an embedded asset (no copy), or undefined outside the SEA. */
export function seaAsset(name: string): Buffer | undefined {
  const sea = seaModule();
  return sea ? Buffer.from(sea.getRawAsset(name)) : undefined;
}

/** A file or directory tsinit must not trust; `reason` says why. */
export class UntrustedFileError extends Error {
  readonly code = 'EUNTRUSTED';
  readonly path: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(`refusing ${file}: ${reason}`);
    this.name = 'UntrustedFileError';
    this.path = file;
    this.reason = reason;
  }
}

export interface OwnerMode {
  uid: number;
  mode: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * Why a file (or directory) may have been put there or changed by someone
 * other than the running user, or null when it can be trusted. Root's files
 * are trusted by everyone (root could change anything anyway).
 */
export function untrustedReason(st: OwnerMode, euid: number, kind: 'file' | 'dir'): string | null {
  const type = st.mode & S_IFMT;
  if (kind === 'file' && type !== S_IFREG) return 'not a regular file';
  if (kind === 'dir' && type !== S_IFDIR) return 'not a directory';
  if (st.uid !== euid && st.uid !== 0) return `owned by uid ${st.uid}, not by ${euid} or root`;
  if (st.mode & 0o022) return `writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)})`;
  return null;
}

function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

function procFdPath(fd: number): string | undefined {
  const p = `/proc/self/fd/${fd}`;
  try {
    fs.statSync(p);
    return p;
  } catch {
    return undefined; // no /proc: fall back to the name in tsinit's own directory
  }
}

function sha256(b: Uint8Array): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** A trusted, identical file opened read-only; use `pinned` to name it. */
export interface OpenedFile {
  fd: number;
  /** /proc/self/fd/N when /proc is there (names exactly the checked inode), else the path */
  pinned: string;
  close(): void;
}

/**
 * Opens `file` if it holds exactly `bytes` and can be trusted. Returns
 * undefined when there is no such file, throws UntrustedFileError when there
 * is one that must not be used.
 */
export function openIfIdentical(file: string, bytes: Uint8Array): OpenedFile | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw new UntrustedFileError(file, 'a symbolic link');
    throw e;
  }
  try {
    const st = fs.fstatSync(fd);
    const why = untrustedReason(st, euid(), 'file');
    if (why) throw new UntrustedFileError(file, why);
    if (st.size !== bytes.length) throw new UntrustedFileError(file, `size ${st.size} differs from the embedded ${bytes.length} bytes`);
    const content = Buffer.allocUnsafe(bytes.length);
    let off = 0;
    while (off < content.length) {
      const n = fs.readSync(fd, content, off, content.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== bytes.length || sha256(content) !== sha256(bytes)) {
      throw new UntrustedFileError(file, 'content differs from the embedded copy (sha256)');
    }
    const pinned = procFdPath(fd) ?? file;
    return { fd, pinned, close: () => closeQuietly(fd) };
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

export interface ExtractedAsset {
  /** the private directory tsinit created (0700) */
  dir: string;
  /** the file inside it */
  file: string;
  /** a read-only descriptor of the written file (no writer is left open, so it can be executed) */
  fd: number;
  /** /proc/self/fd/N for `fd` when /proc is mounted, else `file` */
  pinned: string;
  /** closes the descriptor and removes the file and the directory */
  remove(): void;
}

export interface ExtractOptions {
  /** directories to create the private directory in, tried in order */
  bases?: readonly string[];
  /** file mode (default 0o500) */
  mode?: number;
  /** file name inside the private directory (default: the asset name) */
  fileName?: string;
}

/** Where assets are extracted unless told otherwise (TSINIT_TMPDIR first). */
export function defaultExtractBases(): string[] {
  const dirs: string[] = [];
  const env = readSetting('tmpDir');
  if (env !== null) dirs.push(env);
  dirs.push(path.dirname(process.execPath), '/run', '/dev/shm', os.tmpdir(), '/tmp');
  return [...new Set(dirs)];
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Why a directory on the way to `dir` lets another user swap what tsinit
 * creates there, or null. Every directory from / down must belong to the
 * running user or root and be writable by nobody else, or have the sticky bit
 * (/tmp, /dev/shm: others cannot rename or remove what tsinit puts there).
 * Pure apart from the lstat calls it is given.
 */
export function unsafeDirReason(dir: string, lstat: (p: string) => OwnerMode, me: number): string | null {
  const parts = path.resolve(dir).split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    const st = lstat(p);
    if ((st.mode & S_IFMT) !== S_IFDIR) return `${p} is not a directory`;
    if (st.uid !== me && st.uid !== 0) return `${p} is owned by uid ${st.uid}`;
    if (st.mode & 0o022 && !(st.mode & 0o1000)) return `${p} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} without the sticky bit`;
  }
  return null;
}

/** Writes `bytes` into a fresh private directory under `base`. */
export function extractInto(base: string, name: string, bytes: Uint8Array, options: ExtractOptions = {}): ExtractedAsset {
  const me = euid();
  // Resolve symlinks once, then check that no other user can change the way
  // to the directory (so nothing can be swapped in under tsinit's names).
  // (As another user, the worst a swap could do is make tsinit create its
  // file where that user may write anyway: a Kubernetes emptyDir, mode 0777
  // without the sticky bit, stays usable for non-root tsinit.)
  const real = fs.realpathSync(base);
  const unsafe = me === 0 ? unsafeDirReason(real, (p) => fs.lstatSync(p), me) : null;
  if (unsafe) throw new UntrustedFileError(base, unsafe);
  // mkdtemp(3): a new directory with a random name, mode 0700, or failure.
  const dir = fs.mkdtempSync(path.join(real, `.tsinit-${name.replace(/[^A-Za-z0-9._-]/g, '_')}-`));
  let wfd: number | undefined;
  let rfd: number | undefined;
  const file = path.join(dir, options.fileName ?? name);
  const remove = (): void => {
    if (wfd !== undefined) closeQuietly(wfd);
    if (rfd !== undefined) closeQuietly(rfd);
    try { fs.unlinkSync(file); } catch { /* not created or gone */ }
    try { fs.rmdirSync(dir); } catch { /* gone */ }
  };
  try {
    const dst = fs.lstatSync(dir);
    const why = untrustedReason(dst, me, 'dir');
    if (why || dst.uid !== me || (dst.mode & 0o777) !== 0o700) {
      throw new UntrustedFileError(dir, why ?? `not a private directory of uid ${me}`);
    }
    const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;
    wfd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? 0o500);
    writeAll(wfd, bytes);
    const wst = fs.fstatSync(wfd);
    // Reopen read-only through the descriptor (same inode), then drop the writer.
    const viaProc = procFdPath(wfd);
    rfd = fs.openSync(viaProc ?? file, O_RDONLY | (viaProc ? 0 : O_NOFOLLOW));
    const rst = fs.fstatSync(rfd);
    if (rst.ino !== wst.ino || rst.dev !== wst.dev || rst.size !== bytes.length) {
      throw new UntrustedFileError(file, 'replaced while being written');
    }
    closeQuietly(wfd);
    wfd = undefined;
    const fd = rfd;
    return { dir, file, fd, pinned: procFdPath(fd) ?? file, remove };
  } catch (e) {
    remove();
    throw e;
  }
}

/** Every place tried, and why it did not work. */
export class ExtractError extends Error {
  readonly attempts: readonly { base: string; error: string }[];
  constructor(name: string, attempts: { base: string; error: string }[]) {
    super(
      `unable to use the embedded ${name}: ` +
        (attempts.length ? attempts.map((a) => `${a.base}: ${a.error}`).join('; ') : 'no directory to try') +
        ' (a writable directory that allows executable mappings is needed: set TSINIT_TMPDIR, or run `tsinit install DIR` at image build time)',
    );
    this.name = 'ExtractError';
    this.attempts = attempts;
  }
}

function describe(e: unknown): string {
  if (e instanceof UntrustedFileError) return e.message;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && /^E[A-Z]+$/.test(code)) return code;
  return e instanceof Error ? e.message.split('\n')[0] ?? String(e) : String(e);
}

/**
 * Extracts `bytes` as `name` into the first base directory where `use`
 * succeeds with it (`use` typically dlopens or executes asset.pinned; a
 * noexec mount makes it throw and the next base is tried). The caller
 * removes the asset when it no longer needs the file.
 */
export function extractAssetSafely<T>(
  name: string,
  bytes: Uint8Array,
  use: (asset: ExtractedAsset) => T,
  options: ExtractOptions = {},
): { value: T; asset: ExtractedAsset } {
  const attempts: { base: string; error: string }[] = [];
  for (const base of options.bases ?? defaultExtractBases()) {
    let asset: ExtractedAsset;
    try {
      asset = extractInto(base, name, bytes, options);
    } catch (e) {
      attempts.push({ base, error: describe(e) });
      continue;
    }
    try {
      return { value: use(asset), asset };
    } catch (e) {
      asset.remove();
      attempts.push({ base, error: describe(e) });
    }
  }
  throw new ExtractError(name, attempts);
}

/** extractAssetSafely for the SEA asset NAME; throws outside the single executable. */
export function extractSeaAssetSafely<T>(
  name: string,
  use: (asset: ExtractedAsset) => T,
  options: ExtractOptions = {},
): { value: T; asset: ExtractedAsset } {
  const bytes = seaAsset(name);
  if (!bytes) throw new Error(`no embedded asset ${name}: not running as the single executable`);
  return extractAssetSafely(name, bytes, use, options);
}

/**
 * Writes the SEA asset (or given bytes) to `target` for later reuse: created
 * exclusively under a fresh name in the same directory, then renamed over
 * the target (rename replaces a planted symlink instead of following it).
 */
export function installAsset(target: string, bytes: Uint8Array, mode = 0o555): void {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    writeAll(fd, bytes);
    fs.fchmodSync(fd, mode); // the umask must not widen or narrow it
  } catch (e) {
    closeQuietly(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  closeQuietly(fd);
  fs.renameSync(tmp, target);
}
