// tsinit's `sv --json status`: the same facts as the status line, as one JSON
// object per service. Pure.
import { statusPid, statusTai } from './status-line.ts';

export interface JsonState {
  state: 'down' | 'run' | 'finish' | 'unknown';
  pid: number | null;
  seconds: number;
  want: string;
  paused: boolean;
  normallyUp: boolean;
  termSent: boolean;
}

export interface JsonService extends JsonState {
  name: string;
  /** the log service, null when there is no log/ directory */
  log: JsonState | { error: string } | null;
}

export interface JsonError {
  name: string;
  error: string;
}

const states = ['down', 'run', 'finish'] as const;

export function jsonState(st: Buffer, nowTai: bigint, normallyUp: boolean): JsonState {
  const pid = statusPid(st);
  const tai = statusTai(st);
  const want = st[17] === 0x75 ? 'up' : st[17] === 0x64 ? 'down' : String.fromCharCode(st[17] as number);
  return {
    state: states[st[19] as number] ?? 'unknown',
    pid: pid === 0 ? null : pid,
    seconds: Number(nowTai < tai ? 0n : nowTai - tai),
    want,
    paused: st[16] !== 0,
    normallyUp,
    termSent: st[18] !== 0,
  };
}

export function jsonLine(v: JsonService | JsonError): string {
  return `${JSON.stringify(v)}\n`;
}
