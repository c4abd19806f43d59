// djb's TAI64N labels as runit writes them: 8 bytes big-endian seconds
// (2^62 + 10 + unix seconds) and 4 bytes big-endian nanoseconds, the latter
// always 1000 * microseconds + 500 because runit reads gettimeofday().

export const TAI_OFFSET = 4611686018427387914n; // 2^62 + 10

export interface WallTime {
  /** unix seconds */
  sec: number;
  /** microseconds within the second */
  usec: number;
}

/** Wall-clock time with microsecond resolution. */
export function wallNow(): WallTime {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return { sec: Math.floor(us / 1e6), usec: us % 1e6 };
}

export function encodeTai64n(t: WallTime, into: Buffer = Buffer.alloc(12), offset = 0): Buffer {
  into.writeBigUInt64BE(TAI_OFFSET + BigInt(t.sec), offset);
  into.writeUInt32BE(t.usec * 1000 + 500, offset + 8);
  return into;
}

export function decodeTai64n(buf: Buffer, offset = 0): { sec: number; nsec: number } {
  const sec = Number(buf.readBigUInt64BE(offset) - TAI_OFFSET);
  return { sec, nsec: buf.readUInt32BE(offset + 8) };
}

/** `@` + 24 lowercase hex digits, as svlogd -t and rotated file names use. */
export function tai64nLabel(t: WallTime): string {
  return `@${encodeTai64n(t).toString('hex')}`;
}
