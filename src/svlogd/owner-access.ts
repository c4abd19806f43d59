// What the account an in-process logger stands in for (`chpst -u USER
// svlogd`) may do with a file, judged from fstat() as the kernel would judge
// that account: the logger runs as root and must not do more. Pure.

export interface Owner {
  uid: number;
  /** primary group */
  gid: number;
  /** every group of the account (chpst -u sets exactly these) */
  gids: readonly number[];
}

export interface FileMode {
  uid: number;
  gid: number;
  mode: number;
}

/** How a file of the log directory is opened for the account (logdir.ts does it, processor.ts asks). */
export interface OpenSpec {
  /** O_RDONLY or O_WRONLY plus O_APPEND; never O_CREAT/O_TRUNC (say so below) */
  flags: number;
  /** create when missing (mode 0600 unless given) */
  create?: boolean;
  mode?: number;
  /** empty it (after the checks) */
  truncate?: boolean;
  /** the file's mode will be changed: USER must own it */
  chmod?: boolean;
}

export const R = 4;
export const W = 2;
export const X = 1;

/** Permission bits `want` (R|W|X) granted to `who` on a file with this owner and mode. */
export function mayAccess(st: FileMode, who: Owner, want: number): boolean {
  if (who.uid === 0) return true;
  let bits: number;
  if (st.uid === who.uid) bits = (st.mode >> 6) & 7;
  else if (st.gid === who.gid || who.gids.includes(st.gid)) bits = (st.mode >> 3) & 7;
  else bits = st.mode & 7;
  return (bits & want) === want;
}

/** chmod/fchmod needs ownership. */
export function mayChmod(st: FileMode, who: Owner): boolean {
  return who.uid === 0 || st.uid === who.uid;
}

/** chpst's numeric account form for the same ids: `:uid:gid[:gid...]` (no lookup). */
export function numericSpec(who: Owner): string {
  const gids = who.gids.length ? who.gids : [who.gid];
  return `:${who.uid}:${gids.join(':')}`;
}
