// glibc's struct utmp on Linux x86_64/aarch64 (384 bytes, little-endian), just
// the fields utmpset touches. Pure.
export const UTMP_SIZE = 384;
export const DEAD_PROCESS = 8;

export const UT = {
  type: 0, // int16
  pid: 4, // int32
  line: 8, // char[32]
  id: 40, // char[4]
  user: 44, // char[32]
  host: 76, // char[256]
  tvSec: 340, // int32
  tvUsec: 344, // int32
} as const;
export const UT_LINESIZE = 32;
export const UT_NAMESIZE = 32;
export const UT_HOSTSIZE = 256;

/** ut_line as C's string functions see it: up to the first NUL (which may lie past the 32 bytes). */
export function lineOf(rec: Buffer): Buffer {
  const z = rec.indexOf(0, UT.line);
  return rec.subarray(UT.line, z === -1 ? rec.length : z);
}

/** Does utmpset log this record out? A user is logged in on exactly this line. */
export function matches(rec: Buffer, line: Buffer): boolean {
  return rec[UT.user] !== 0 && lineOf(rec).equals(line);
}

/** The record logged out in place: user and host cleared, time now, DEAD_PROCESS (tv_usec kept, as Debian's binary does). */
export function loggedOut(rec: Buffer, nowSec: number): Buffer {
  const r = Buffer.from(rec);
  r.fill(0, UT.user, UT.user + UT_NAMESIZE);
  r.fill(0, UT.host, UT.host + UT_HOSTSIZE);
  r.writeUInt32LE(nowSec >>> 0, UT.tvSec);
  r.writeInt16LE(DEAD_PROCESS, UT.type);
  return r;
}

/** The record appended to wtmp: only the line (a name longer than 32 bytes keeps 30, as runit), time and type. */
export function wtmpRecord(line: Buffer, nowSec: number): Buffer {
  const r = Buffer.alloc(UTMP_SIZE);
  const len = line.length > UT_LINESIZE ? UT_LINESIZE - 2 : line.length;
  line.copy(r, UT.line, 0, len);
  r.writeUInt32LE(nowSec >>> 0, UT.tvSec);
  r.writeInt16LE(DEAD_PROCESS, UT.type);
  return r;
}
