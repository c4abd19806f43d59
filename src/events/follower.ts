// One follower of the event bus on a stream (the events socket, GET /events):
// history first, then live events, one JSON object per line. Never blocks
// PID 1: a follower whose unsent backlog passes the limit is dropped.
import { eventHistory, onEvent, type TsinitEvent } from './bus.ts';

/** Unsent bytes a follower may fall behind by before it is dropped. */
export const MAX_BACKLOG_BYTES = 1 << 20;

export interface LineSink {
  /** queue the text; the sink buffers */
  write(text: string): void;
  /** bytes queued but not yet sent */
  backlog(): number;
  /** drop the follower */
  destroy(): void;
}

export function eventLine(ev: TsinitEvent): string {
  return `${JSON.stringify(ev)}\n`;
}

/** Starts following; returns the stop function (call it when the stream closes). */
export function follow(sink: LineSink, maxBacklog = MAX_BACKLOG_BYTES): () => void {
  let stopped = false;
  let unsubscribe: () => void = () => {};
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
  };
  const send = (ev: TsinitEvent): void => {
    if (stopped) return;
    if (sink.backlog() > maxBacklog) {
      stop();
      sink.destroy();
      return;
    }
    sink.write(eventLine(ev));
  };
  // Subscribe before replaying: nothing emitted in between can be lost, and
  // emitting is synchronous, so nothing is sent twice either.
  unsubscribe = onEvent(send);
  const past = eventHistory();
  if (past.length > 0) sink.write(past.map(eventLine).join(''));
  return stop;
}
