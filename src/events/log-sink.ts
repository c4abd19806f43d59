// With TSINIT_LOG_FORMAT=json every lifecycle event is also one line of
// tsinit's own log: the event's fields at the top level next to pino's.
import type { Logger } from 'pino';
import { onEvent, type TsinitEvent } from './bus.ts';

/** The log record's fields: the event without its time (pino writes its own). */
export function logFields(ev: TsinitEvent): Record<string, unknown> {
  const { time, ...rest } = ev;
  return { ...rest, eventTime: time };
}

export function logEvents(log: Logger): () => void {
  return onEvent((ev) => {
    log.info(logFields(ev), `event: ${ev.type}`);
  });
}
