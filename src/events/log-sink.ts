// With TSINIT_LOG_FORMAT=json every lifecycle event is also one line of
// tsinit's own log: the event's fields at the top level next to pino's. And,
// whatever the format, a subscriber that fails is one error line there.
import type { Logger } from 'pino';
import { onEvent, onSubscriberFailure, type TsinitEvent } from './bus.ts';

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

/** A failing subscriber of the bus (dropped by it) becomes one error line in the log. */
export function reportSubscriberFailures(log: Logger): void {
  onSubscriberFailure((e, ev) => {
    log.error(
      { err: e instanceof Error ? (e.stack ?? e.message) : String(e), event: ev.type },
      'internal error: an event subscriber failed and was dropped (supervision continues)',
    );
  });
}
