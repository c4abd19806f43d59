// The supervisor's dependencies.d/ bookkeeping over its slots: which first
// starts wait and for what (dependency-gate.ts decides), and telling a held
// runsv what it still waits for or that it may go ahead, as dependencies
// report ready.
import { holdFor, notReady, planFor, type GateService, type Hold } from './dependency-gate.ts';
import type { RunsvHandle } from './runsv-handle.ts';

/** What the bookkeeping reads and updates of a supervisor's slot. */
export interface HoldSlot extends GateService {
  /** its runsv, while it runs */
  handle: Pick<RunsvHandle, 'setWaiting' | 'release'> | undefined;
  /** its ./run is ready (as its runsv last reported) */
  ready: boolean;
  /** its first start waits for these dependencies */
  waiting: boolean;
  /** the hold computed when it was queued (re-checked when its turn comes) */
  hold: Hold | undefined;
}

export class DependencyHolds<S extends HoldSlot> {
  private readonly slots: () => Iterable<S>;

  /** slots: every slot the supervisor tracks */
  constructor(slots: () => Iterable<S>) {
    this.slots = slots;
  }

  private readyByName(): (name: string) => boolean {
    const ready = new Set<string>();
    for (const s of this.slots()) if (s.ready) ready.add(s.name);
    return (name) => ready.has(name);
  }

  /** For services about to get a runsv: which first starts wait, and for what. */
  holds(fresh: readonly S[]): Map<S, Hold> {
    const out = new Map<S, Hold>();
    if (!fresh.some((s) => s.dependencies.length > 0)) return out;
    const plan = planFor(this.slots());
    const isReady = this.readyByName();
    for (const slot of fresh) {
      const h = holdFor(slot, plan, isReady);
      if (h) out.set(slot, h);
    }
    return out;
  }

  /** The hold from the scan, brought up to date: dependencies may have become ready meanwhile. */
  current(slot: S): Hold | undefined {
    const h = slot.hold;
    slot.hold = undefined;
    if (!h || !('waitingFor' in h)) return h;
    const missing = notReady(slot, this.readyByName());
    return missing.length > 0 ? { waitingFor: missing } : undefined;
  }

  /** A slot's runsv reported its readiness. */
  statusChanged(slot: S, ready: boolean): void {
    if (slot.ready === ready) return;
    slot.ready = ready;
    if (!ready) return;
    // A dependency became ready: held first starts may go ahead.
    const isReady = this.readyByName();
    for (const s of this.slots()) if (s.waiting && s.dependencies.includes(slot.name)) this.recheckHold(s, isReady);
  }

  /** A runsv was just started: its dependencies may have become ready while the runsv's were started. */
  started(slot: S): void {
    if (slot.waiting) this.recheckHold(slot, this.readyByName());
  }

  /** A held first start: release it when its dependencies are ready, else say what it still waits for. */
  private recheckHold(s: S, isReady: (name: string) => boolean): void {
    if (!s.waiting || !s.handle) return;
    const missing = notReady(s, isReady);
    if (missing.length > 0) s.handle.setWaiting(missing);
    else {
      s.waiting = false;
      s.handle.release();
    }
  }
}
