// supervise/status (20 bytes), supervise/stat (one line) and supervise/pid
// exactly as runsv writes them (reference spec 2.3-2.5). Pure: no I/O here.
import { decodeTai64n, encodeTai64n, type WallTime } from '../util/tai64n.ts';

export type RunState = 'down' | 'run' | 'finish';
export type Want = 'up' | 'down' | 'exit';

export interface ServiceStatus {
  /** start of the current state */
  since: WallTime;
  /** 0 when nothing runs */
  pid: number;
  paused: boolean;
  want: Want;
  /** runsv sent TERM and the process has not exited yet */
  termSent: boolean;
  state: RunState;
}

const stateByte: Record<RunState, number> = { down: 0, run: 1, finish: 2 };

export function encodeStatus(s: ServiceStatus): Buffer {
  const b = Buffer.alloc(20);
  encodeTai64n(s.since, b, 0);
  b.writeUInt32LE(s.pid >>> 0, 12);
  b[16] = s.paused ? 1 : 0;
  b[17] = s.want === 'up' ? 0x75 : 0x64; // 'u', or 'd' for down and exit alike
  b[18] = s.termSent ? 1 : 0;
  b[19] = stateByte[s.state];
  return b;
}

/** The decoded 20 bytes, as sv sees them (want exit is indistinguishable from down). */
export interface DecodedStatus {
  sec: number;
  nsec: number;
  pid: number;
  paused: boolean;
  /** byte 17 as a character: 'u', 'd' or anything else runsv might write */
  want: string;
  termSent: boolean;
  /** byte 19: 0 down, 1 run, 2 finish (other values possible in a corrupt file) */
  stateCode: number;
}

/** Bytes 12-15: pid, little-endian. */
export function statusPid(st: Buffer): number {
  return st.readUInt32LE(12);
}

/** Bytes 0-7: TAI64 seconds of the last state change, kept exact as a bigint. */
export function statusTai(st: Buffer): bigint {
  return st.readBigUInt64BE(0);
}

export function decodeStatus(b: Buffer): DecodedStatus {
  if (b.length < 20) throw new RangeError('status record shorter than 20 bytes');
  const { sec, nsec } = decodeTai64n(b, 0);
  return {
    sec,
    nsec,
    pid: b.readUInt32LE(12),
    paused: b[16] !== 0,
    want: String.fromCharCode(b[17] as number),
    termSent: b[18] !== 0,
    stateCode: b[19] as number,
  };
}

/** supervise/stat: `<state>[, paused][, got TERM][, want down|, want exit]\n` */
export function statLine(s: ServiceStatus): string {
  let line: string = s.state;
  if (s.paused) line += ', paused';
  if (s.termSent) line += ', got TERM';
  if (s.state !== 'down') {
    if (s.want === 'down') line += ', want down';
    else if (s.want === 'exit') line += ', want exit';
  }
  return `${line}\n`;
}

/** supervise/pid: decimal pid and newline while something runs, else empty. */
export function pidFileText(pid: number): string {
  return pid > 0 ? `${pid}\n` : '';
}
