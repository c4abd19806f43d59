// Runs a ServiceMachine: one event at a time, in arrival order. While a step
// waits for an asynchronous action (a control script, the 1 s pause), further
// events for this service are queued; other services are not affected.
// No I/O here: the Effects passed in do it (real ones in runsv-effects.ts, fakes in tests).
import type { Action, Event, Reply, ServiceMachine, Step, Taken } from './service-machine.ts';

export interface Effects {
  /** a synchronous action (spawn, kill, write-status, has-finish, close-log-pipe, exit) */
  perform(action: Action): Reply;
  /** an action that takes time (control-script, sleep); call done exactly once */
  performAsync(action: Action, done: (reply: Reply) => void): void;
}

const asyncActions: ReadonlySet<Action['type']> = new Set(['control-script', 'sleep']);

export class MachineDriver {
  private readonly machine: ServiceMachine;
  private readonly effects: Effects;
  private readonly onError: (err: unknown) => void;
  private readonly queue: Event[] = [];
  private current: { gen: Step; reply: Reply } | null = null;
  private waiting = false;
  private active = false;

  constructor(machine: ServiceMachine, effects: Effects, onError: (err: unknown) => void) {
    this.machine = machine;
    this.effects = effects;
    this.onError = onError;
  }

  /** true while a step waits for a control script or the restart pause */
  get blocked(): boolean {
    return this.waiting;
  }

  get pending(): number {
    return this.queue.length;
  }

  post(ev: Event): void {
    if (this.machine.s.exited) return;
    // A stop request counts from its arrival, not from its turn in the
    // queue: a step waiting in the 1 s pause or control/u starts nothing after it.
    if (ev.type === 'term' || ev.type === 'shutdown') this.machine.beginShutdown();
    this.queue.push(ev);
    this.pump();
  }

  /** Remove and return the first queued control byte per side and a queued term. */
  private takeControl(): Taken {
    const taken: Taken = { term: false };
    for (let i = 0; i < this.queue.length; ) {
      const ev = this.queue[i];
      let take = false;
      if (ev?.type === 'control') {
        if (ev.side === 'main' && taken.main === undefined) {
          taken.main = ev.byte;
          take = true;
        } else if (ev.side === 'log' && taken.log === undefined) {
          taken.log = ev.byte;
          take = true;
        }
      } else if (ev?.type === 'term' && !taken.term) {
        taken.term = true;
        take = true;
      }
      if (take) this.queue.splice(i, 1);
      else i++;
    }
    return taken;
  }

  private pump(): void {
    // Effects may post events (a failed spawn posts its exit): they wait their turn.
    if (this.active) return;
    this.active = true;
    try {
      while (!this.waiting) {
        if (this.machine.s.exited) {
          this.queue.length = 0;
          this.current = null;
          return;
        }
        if (!this.current) {
          const ev = this.queue.shift();
          if (!ev) return;
          this.current = { gen: this.machine.step(ev), reply: undefined };
        }
        const cur = this.current;
        let r: IteratorResult<Action, void>;
        try {
          r = cur.gen.next(cur.reply);
        } catch (err) {
          this.onError(err);
          this.current = null;
          continue;
        }
        if (r.done) {
          this.current = null;
          continue;
        }
        const action = r.value;
        if (action.type === 'take-control') {
          cur.reply = this.takeControl();
        } else if (asyncActions.has(action.type)) {
          this.waiting = true;
          let called = false;
          const done = (reply: Reply): void => {
            if (called) return;
            called = true;
            cur.reply = reply;
            this.waiting = false;
            this.pump();
          };
          try {
            this.effects.performAsync(action, done);
          } catch (err) {
            this.onError(err);
            done(undefined);
          }
        } else {
          try {
            cur.reply = this.effects.perform(action);
          } catch (err) {
            this.onError(err);
            cur.reply = undefined;
          }
        }
      }
    } finally {
      this.active = false;
    }
  }
}
