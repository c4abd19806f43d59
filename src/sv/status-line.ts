// The text sv prints for one 20-byte supervise/status record (reference spec
// 4.7): `<state>: NAME: [(pid P) ]<secs>s[flags]`. Pure: the caller supplies
// "now" and whether ./down exists.
import { statusPid, statusTai } from '../supervise/status-file.ts';
import { TAI_OFFSET } from '../util/tai64n.ts';

/** TAI64 seconds label of a unix time in seconds. */
export function taiOfUnix(unixSec: number): bigint {
  return TAI_OFFSET + BigInt(Math.floor(unixSec));
}

const stateWords: Record<number, string> = { 0: 'down: ', 1: 'run: ', 2: 'finish: ' };

/**
 * One status line without the trailing newline.
 * @param nowTai sv's "now" in TAI64 seconds (whole seconds, as runit truncates)
 * @param normallyUp ./down does not exist in the service directory
 */
export function formatStatusLine(name: string, st: Buffer, nowTai: bigint, normallyUp: boolean): string {
  const pid = statusPid(st);
  const state = st[19] as number;
  const tai = statusTai(st);
  let line = stateWords[state] ?? '';
  line += `${name}: `;
  if (state !== 0) line += `(pid ${pid}) `;
  line += `${nowTai < tai ? 0n : nowTai - tai}s`;
  if (pid !== 0 && !normallyUp) line += ', normally down';
  if (pid === 0 && normallyUp) line += ', normally up';
  if (pid !== 0 && st[16] !== 0) line += ', paused';
  if (pid === 0 && st[17] === 0x75) line += ', want up';
  if (pid !== 0 && st[17] === 0x64) line += ', want down';
  if (pid !== 0 && st[18] !== 0) line += ', got TERM';
  return line;
}

/** What sv's status printer returns: 1 when something runs, 2 when not. */
export function runningCode(st: Buffer): 1 | 2 {
  return statusPid(st) !== 0 ? 1 : 2;
}
