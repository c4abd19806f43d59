// Lifecycle events inside PID 1: one in-process bus. Emitters (runsv, the
// supervisor, init) call emitEvent(); consumers (the JSON log, the events
// socket, GET /events) subscribe. The last HISTORY events are kept so a new
// follower first sees what just happened. Emitting never throws and never
// blocks: a subscriber that fails is reported once and dropped.

export type EventType =
  | 'spawned'
  | 'ready'
  | 'exited'
  | 'restarting'
  | 'waiting'
  | 'dependency-error'
  | 'healthy'
  | 'unhealthy'
  | 'control'
  | 'orphans-reaped'
  | 'shutdown-phase'
  | 'exit-code'
  | 'essential-ended';

export type EventValue = string | number | boolean | null | string[];

export interface TsinitEvent {
  /** unix time in ms */
  time: number;
  type: EventType;
  /** the service's name (scan directory entry), when the event is about one */
  service?: string;
  /** further facts: code, signal, pid, pauseMs, phase, command, count, ... */
  [field: string]: EventValue | undefined;
}

export type EventInput = Omit<TsinitEvent, 'time'> & { time?: number };

/** How many past events a new subscriber can ask for. */
export const HISTORY = 500;

type Listener = (ev: TsinitEvent) => void;

const history: TsinitEvent[] = [];
const listeners = new Set<Listener>();

export function emitEvent(input: EventInput): void {
  const ev = { ...input, time: input.time ?? Date.now() } as TsinitEvent;
  history.push(ev);
  if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
  for (const l of [...listeners]) {
    try {
      l(ev);
    } catch {
      listeners.delete(l);
    }
  }
}

/** Subscribe; returns the unsubscribe function. */
export function onEvent(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The retained events, oldest first. */
export function eventHistory(): readonly TsinitEvent[] {
  return history.slice();
}

/** For tests: forget history and listeners. */
export function resetEvents(): void {
  history.length = 0;
  listeners.clear();
}
