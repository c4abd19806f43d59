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
