// svlogd's diagnostics, built the way runit's strerr does: fixed pieces,
// optionally ": " + djb error text, then a newline.
import { errstrOf } from '../util/errstr.ts';

export const FATAL = 'svlogd: fatal: ';
export const WARNING = 'svlogd: warning: ';
export const PAUSE = 'svlogd: pausing: ';
export const INFO = 'svlogd: info: ';

/** Where svlogd's stderr text goes (a whole number of lines, or log-line copies). */
export type Report = (data: string | Buffer) => void;

/** "PREFIX m0: name: ERR\n" (name omitted when undefined). */
export function sysMessage(prefix: string, m0: string, name: string | undefined, err: unknown): string {
  return `${prefix}${m0}: ${name !== undefined ? `${name}: ` : ''}${errstrOf(err)}\n`;
}

/** Block the thread for ms (runit's sleep(3) in its rare "pausing" retry loops). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
