// User and group resolution for -u/-U and setuidgid/envuidgid, as runit's
// uidgid.c does it: getpwnam/getgrnam (here: the files /etc/passwd and
// /etc/group, read after any chroot), or the all-numeric `:uid:gid[:gid…]`.
import fs from 'node:fs';

export interface UidGids {
  uid: number;
  /** gids[0] is the primary gid; setgroups gets the whole list */
  gids: number[];
}

export interface AccountDb {
  /** getpwnam: uid and primary gid of the first entry named `name` */
  user(name: string): { uid: number; gid: number } | undefined;
  /** getgrnam: gid of the first group named `name` */
  group(name: string): number | undefined;
}

/** A lookup failed for a reason other than "no such name" (runit prints errno). */
export class AccountDbError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

const MAX_GIDS = 60;

/** Fields of a colon-separated database line, or undefined for comments/NIS lines. */
function fields(line: string): string[] | undefined {
  if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) return undefined;
  return line.split(':');
}

function idField(s: string | undefined): number | undefined {
  if (s === undefined || !/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

export function parsePasswd(text: string, name: string): { uid: number; gid: number } | undefined {
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (!f || f[0] !== name) continue;
    const uid = idField(f[2]);
    const gid = idField(f[3]);
    if (uid !== undefined && gid !== undefined) return { uid, gid };
  }
  return undefined;
}

export function parseGroup(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (!f || f[0] !== name) continue;
    const gid = idField(f[2]);
    if (gid !== undefined) return gid;
  }
  return undefined;
}

function readDb(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (e) {
    throw new AccountDbError((e as NodeJS.ErrnoException).code ?? 'EIO');
  }
}

/** The system's files, read on each call (so a chroot in between is honoured). */
export const filesDb: AccountDb = {
  user: (name) => parsePasswd(readDb('/etc/passwd'), name),
  group: (name) => parseGroup(readDb('/etc/group'), name),
};

/** uidgid_get: a plain account name; the only group is its primary group. */
export function accountIds(db: AccountDb, name: string): UidGids | undefined {
  const pw = db.user(name);
  return pw ? { uid: pw.uid, gids: [pw.gid] } : undefined;
}

/** uidgids_set: `uid:gid[:gid…]` (after the leading colon), all numeric, wrapping like C. */
export function numericIds(spec: string): UidGids | undefined {
  let pos = 0;
  const scan = (): number => {
    let v = 0n;
    while (pos < spec.length) {
      const c = spec.charCodeAt(pos) - 48;
      if (c < 0 || c > 9) break;
      v = (v * 10n + BigInt(c)) & 0xffffffffffffffffn;
      pos++;
    }
    return Number(v & 0xffffffffn);
  };
  const uid = scan();
  if (spec[pos] !== ':') return undefined;
  pos++;
  const gids: number[] = [];
  for (let i = 0; i < MAX_GIDS; i++, pos++) {
    gids.push(scan());
    if (spec[pos] !== ':') break;
  }
  if (pos < spec.length) return undefined;
  return { uid, gids };
}

/** uidgids_get: `[:]user[:group[:group…]]`. */
export function extendedIds(db: AccountDb, spec: string): UidGids | undefined {
  if (spec.startsWith(':')) return numericIds(spec.slice(1));
  const colon = spec.indexOf(':');
  const user = colon === -1 ? spec : spec.slice(0, colon);
  const pw = db.user(user);
  if (!pw) return undefined;
  if (colon === -1) return { uid: pw.uid, gids: [pw.gid] };
  let rest = spec.slice(colon + 1);
  const gids: number[] = [];
  for (let i = 0; i < MAX_GIDS; i++) {
    const c = rest.indexOf(':');
    const name = c === -1 ? rest : rest.slice(0, c);
    const gid = db.group(name);
    if (gid === undefined) return undefined;
    gids.push(gid);
    if (c === -1) break;
    rest = rest.slice(c + 1);
  }
  return { uid: pw.uid, gids };
}
