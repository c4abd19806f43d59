// Lifecycle events inside PID 1: one in-process bus. Emitters (runsv, the
// supervisor, init) call emitEvent(); consumers (the JSON log, the events
// socket, GET /events) subscribe. The last HISTORY events are kept so a new
// follower first sees what just happened. Emitting never throws and never
// blocks: a subscriber that fails is dropped, and reported once (through the
// reporter tsinit's log installs, onSubscriberFailure).

/** Which process of a service: ./run, or log/run. */
export type EventSide = 'main' | 'log';

/** One type per event kind; `service` is the scan directory entry. */
export type TsinitEvent = { /** unix time in ms */ time: number } & (
  | { type: 'spawned'; service: string; side: EventSide; pid: number; inprocess?: true }
  | {
      type: 'exited';
      service: string;
      side: EventSide;
      pid: number;
      /** the exit code, or the signal's name ('SIGTERM') */
      code?: number;
      signal?: string;
      /** the process could not be started (runit's child would exit 111) */
      spawnFailed?: true;
    }
  | { type: 'restarting'; service: string; pauseMs: number; crashes: number }
  | { type: 'essential-ended'; service: string; code: number; reason: string }
  | { type: 'control'; service: string; side: EventSide; command: string }
  | { type: 'waiting'; service: string; waitingFor: string[] }
  | { type: 'dependency-error'; service: string; error: string }
  | { type: 'ready'; service: string; readiness: 'notification-fd' | 'check' | 'up' }
  | { type: 'healthy'; service: string }
  | { type: 'unhealthy'; service: string; failures: number }
  | { type: 'orphans-reaped'; count: number; total: number }
  | { type: 'shutdown-phase'; phase: string; state: 'started' | 'ended'; ms?: number; cutShort?: boolean }
  | { type: 'exit-code'; code: number; by: string }
);

export type EventType = TsinitEvent['type'];

/** The event of one kind, e.g. EventOf<'shutdown-phase'>. */
export type EventOf<K extends EventType> = Extract<TsinitEvent, { type: K }>;

/** An event as emitted: the time is added when not given. */
export type EventInput = TsinitEvent extends infer E ? (E extends TsinitEvent ? Omit<E, 'time'> & { time?: number } : never) : never;

/** How many past events a new subscriber can ask for. */
export const HISTORY = 500;

type Listener = (ev: TsinitEvent) => void;

const history: TsinitEvent[] = [];
const listeners = new Set<Listener>();
let reportFailure: ((error: unknown, ev: TsinitEvent) => void) | undefined;

/** Who hears of a subscriber that threw (and was dropped): tsinit's log. */
export function onSubscriberFailure(report: ((error: unknown, ev: TsinitEvent) => void) | undefined): void {
  reportFailure = report;
}

export function emitEvent(input: EventInput): void {
  const ev = { ...input, time: input.time ?? Date.now() } as TsinitEvent;
  history.push(ev);
  if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
  for (const l of [...listeners]) {
    try {
      l(ev);
    } catch (e) {
      listeners.delete(l);
      try {
        reportFailure?.(e, ev);
      } catch {
        // the reporter itself failed: nothing left to tell
      }
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

/** For tests: forget history, listeners and the failure reporter. */
export function resetEvents(): void {
  history.length = 0;
  listeners.clear();
  reportFailure = undefined;
}
