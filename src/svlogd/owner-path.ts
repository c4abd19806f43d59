// Could the account a logger acts for (owner-access.ts) reach a log
// directory by its path? open() as root searches every directory on the way
// without asking; the account needs search (x) permission on each one the
// kernel would traverse for it, symlinks included. This walks the path as
// the kernel resolves it (lstat, readlink, at most 40 links) and judges each
// directory traversed with owner-access.ts's rules. Pure: the file system is
// passed in.
import { mayAccess, X, type FileMode, type Owner } from './owner-access.ts';

export interface PathFs {
  lstat(p: string): FileMode & { kind: 'dir' | 'link' | 'other'; dev: number; ino: number };
  /** following links (for the starting directory, reached already)*/
  stat(p: string): FileMode & { kind: 'dir' | 'link' | 'other'; dev: number; ino: number };
  readlink(p: string): string;
}

/** Linux's limit on symlinks followed in one lookup. */
const MAX_LINKS = 40;

export type Reach = { ok: true; dev: number; ino: number } | { ok: false; code: 'EACCES' | 'ENOENT' | 'ENOTDIR' | 'ELOOP' };

/**
 * Resolve `name` for `who` as the kernel would for a process of `who` whose
 * working directory is `cwd` (reached already: a relative name needs no
 * search above it); ok with the final directory's identity when every
 * directory searched on the way grants `who` x, and the end is a directory.
 */
export function reachDir(name: string, cwd: string, who: Owner, fs: PathFs): Reach {
  // A directory passed as a descriptor (/proc/self/fd/N): its place above is
  // not known here; a `..` out of it is refused.
  const fdFloor = (p: string): string | undefined => /^\/proc\/self\/fd\/\d+(?=\/|$)/.exec(p)?.[0];
  let pos: string;
  let pending: string[];
  let floor: string | undefined;
  const split = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');
  if (name.startsWith('/')) {
    floor = fdFloor(name);
    pos = floor ?? '/';
    pending = split(name.slice(floor?.length ?? 0));
  } else {
    floor = fdFloor(cwd);
    pos = cwd;
    pending = split(name);
  }
  let cur = fs.stat(pos);
  let links = 0;
  const join = (dir: string, n: string): string => (dir === '/' ? `/${n}` : `${dir}/${n}`);
  while (pending.length) {
    const n = pending.shift() as string;
    // searching `cur` needs x on it
    if (cur.kind !== 'dir') return { ok: false, code: 'ENOTDIR' };
    if (!mayAccess(cur, who, X)) return { ok: false, code: 'EACCES' };
    if (n === '..') {
      if (floor !== undefined && pos === floor) return { ok: false, code: 'EACCES' };
      const i = pos.lastIndexOf('/');
      pos = i <= 0 ? '/' : pos.slice(0, i);
      cur = fs.stat(pos);
      continue;
    }
    let next: ReturnType<PathFs['lstat']>;
    try {
      next = fs.lstat(join(pos, n));
    } catch {
      return { ok: false, code: 'ENOENT' };
    }
    if (next.kind === 'link') {
      if (++links > MAX_LINKS) return { ok: false, code: 'ELOOP' };
      const target = fs.readlink(join(pos, n));
      if (target.startsWith('/')) {
        floor = fdFloor(target);
        pos = floor ?? '/';
        cur = fs.stat(pos);
        pending.unshift(...split(target.slice(floor?.length ?? 0)));
      } else pending.unshift(...split(target));
      continue;
    }
    pos = join(pos, n);
    cur = next;
  }
  if (cur.kind !== 'dir') return { ok: false, code: 'ENOTDIR' };
  return { ok: true, dev: cur.dev, ino: cur.ino };
}
