// chpst's failures as values: the text after "chpst: fatal: " and the exit
// code (111, or 0 for setlock -x's silent give-up).
import { LibcError } from '../../native/libc.ts';
import { errstr } from '../util/errstr.ts';

export class ChpstFatal extends Error {
  readonly exitCode: number;
  /** print nothing (setlock -x) */
  readonly silent: boolean;
  constructor(message: string, exitCode = 111, silent = false) {
    super(message);
    this.name = 'ChpstFatal';
    this.exitCode = exitCode;
    this.silent = silent;
  }
}

/** The errno name carried by a Node or libc error. */
export function codeOf(e: unknown): string | undefined {
  if (e instanceof LibcError) return e.code;
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

/** `WHAT: <djb error string>` */
export function sysFatal(what: string, e: unknown): ChpstFatal {
  return new ChpstFatal(`${what}: ${errstr(codeOf(e))}`);
}
