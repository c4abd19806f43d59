// chpst's failures as values: the text after "chpst: fatal: " and the exit
// code (111, or 0 for setlock -x's silent give-up).
import { codeOf, errstr } from '../util/errstr.ts';

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

/** `WHAT: <djb error string>` */
export function sysFatal(what: string, e: unknown): ChpstFatal {
  return new ChpstFatal(`${what}: ${errstr(codeOf(e))}`);
}
