// SEA assets that must exist as files (Node can only dlopen or exec files):
// one generic "extract asset NAME safely" used by the exec helper (and meant to
// be shared with the koffi loader). A file is only ever created exclusively
// inside a fresh private directory (mkdtemp, 0700), or taken from beside the
// executable when `tsinit install` put it there with identical contents.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

interface SeaModule {
  isSea(): boolean;
  getRawAsset(name: string): ArrayBuffer;
}

let sea: SeaModule | null | undefined;

function seaModule(): SeaModule | undefined {
  if (sea !== undefined) return sea ?? undefined;
  try {
    const mod = createRequire(process.execPath)('node:sea') as SeaModule;
    sea = mod.isSea() ? mod : null;
  } catch {
    sea = null;
  }
  return sea ?? undefined;
}

/** The bytes of asset `name` when running as the single executable. */
export function seaAsset(name: string): Buffer | undefined {
  const s = seaModule();
  return s ? Buffer.from(s.getRawAsset(name)) : undefined;
}

/** Where `tsinit install` puts an asset beside the executable: a dot file of that folder. */
export function besidePath(binary: string, file: string): string {
  return path.join(path.dirname(binary), file);
}

/** Directories tried, in order, for a private extraction directory. */
export function extractDirs(): string[] {
  const dirs: string[] = [];
  const env = process.env.TSINIT_TMPDIR;
  if (env) dirs.push(env);
  dirs.push('/run', '/dev/shm', os.tmpdir(), '/tmp');
  return [...new Set(dirs)];
}

/** A file we may trust: regular, owned by root or us, writable by nobody else. */
function trustworthy(st: fs.Stats): boolean {
  const uid = process.geteuid?.() ?? 0;
  return st.isFile() && (st.uid === 0 || st.uid === uid) && (st.mode & 0o022) === 0;
}

/** `file` holds exactly `bytes` and may be trusted (read without following a symlink). */
function sameTrustedFile(file: string, bytes: Buffer): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!trustworthy(st) || st.size !== bytes.length) return false;
    return fs.readFileSync(fd).equals(bytes);
  } finally {
    fs.closeSync(fd);
  }
}

export interface ExtractedAsset {
  path: string;
  /** remove what extraction created (nothing for a file beside the binary) */
  remove: () => void;
}

/**
 * Asset `name` as a file with `mode`, or undefined outside the single
 * executable. `besideFile` beside the executable is used when it holds the
 * same bytes and is owned by root (or us) and writable by no one else. `usable` checks a candidate (e.g. access X_OK fails on noexec
 * mounts); the next place is tried when it says no. Throws when no place works.
 */
export function extractSeaAsset(name: string, besideFile: string, mode: number, usable: (file: string) => boolean): ExtractedAsset | undefined {
  const bytes = seaAsset(name);
  if (!bytes) return undefined;
  const beside = besidePath(process.execPath, besideFile);
  if (sameTrustedFile(beside, bytes) && usable(beside)) return { path: beside, remove: () => undefined };
  let lastError: unknown = new Error('no usable directory');
  for (const dir of extractDirs()) {
    let tmpDir: string;
    try {
      tmpDir = fs.mkdtempSync(path.join(dir, '.tsinit-')); // 0700, fresh name
    } catch (e) {
      lastError = e;
      continue;
    }
    const file = path.join(tmpDir, name);
    const remove = (): void => fs.rmSync(tmpDir, { recursive: true, force: true });
    try {
      fs.writeFileSync(file, bytes, { mode, flag: 'wx' });
      if (usable(file)) return { path: file, remove };
      lastError = new Error(`${file} is not usable (noexec mount?)`);
    } catch (e) {
      lastError = e;
    }
    remove();
  }
  throw new Error(`unable to extract the embedded ${name}: ${String(lastError)}`);
}

/** Write asset `name` beside `binary` as `besideFile` (for `tsinit install`); the path, or undefined outside a SEA. */
export function extractSeaAssetBeside(name: string, besideFile: string, binary: string, mode: number): string | undefined {
  const bytes = seaAsset(name);
  if (!bytes) return undefined;
  const target = besidePath(binary, besideFile);
  const tmp = `${target}.new.${process.pid}`;
  fs.writeFileSync(tmp, bytes, { mode, flag: 'wx' });
  fs.renameSync(tmp, target);
  return target;
}
