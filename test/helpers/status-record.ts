// Raw 20-byte supervise/status records for tests, byte by byte, so that
// values runsv would never write (odd want or state bytes) can be built too.
import { taiOfUnix } from '../../src/sv/status-line.ts';

export interface RawStatus {
  /** unix seconds of the last state change */
  sec: number;
  nsec?: number;
  pid?: number;
  paused?: number;
  /** byte 17 as a character */
  want?: string;
  term?: number;
  state?: number;
}

export function rawStatus(r: RawStatus): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(taiOfUnix(r.sec), 0);
  b.writeUInt32BE(r.nsec ?? 0, 8);
  b.writeUInt32LE(r.pid ?? 0, 12);
  b[16] = r.paused ?? 0;
  b[17] = (r.want ?? 'u').charCodeAt(0);
  b[18] = r.term ?? 0;
  b[19] = r.state ?? 0;
  return b;
}
