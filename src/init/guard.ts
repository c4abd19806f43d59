// PID 1 must not die: an exception that escapes any handler is logged and
// supervision goes on.
import type { Logger } from 'pino';

export interface ProcessEvents {
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export function installGuards(proc: ProcessEvents, log: Logger): void {
  proc.on('uncaughtException', (err: Error) => {
    log.error({ err: err.stack ?? String(err) }, 'internal error (supervision continues)');
  });
  proc.on('unhandledRejection', (reason: unknown) => {
    log.error({ err: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) }, 'internal error (supervision continues)');
  });
}
