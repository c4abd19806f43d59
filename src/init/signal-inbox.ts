// The init's signal listeners: installed as the first thing the init does,
// before it loads anything big, and never removed.
//
// Why first: a PID 1 ignores every signal it has no handler for (the kernel
// drops it at send time), and until JavaScript listens, Node's own start-up
// handler for SIGTERM and SIGINT resets the terminal and re-raises the signal
// with the default disposition, which a PID 1 drops too. A `docker stop` in
// that gap was lost and the container hung until the runtime's SIGKILL.
// Signals that come before the init's mode is ready are kept, in order, and
// handed to it when it takes delivery.
//
// Why never removed: removing a signal's last listener makes libuv restore
// the default disposition, so a signal in the gap before the next listener
// would be dropped again. One listener per signal here, for the process's
// whole life; the mode's handler is swapped behind it.
//
// What is left: the time Node needs to start before any of tsinit's code runs
// (its bootstrap and the bundle's first evaluation). Nothing of tsinit has
// written anything or started anything by then.

export type SignalHandler = (sig: NodeJS.Signals) => void;

/** Caught from the start in either mode: the signals stage mode acts on, all forwarded by command mode. */
export const INIT_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGTERM', 'SIGINT', 'SIGPWR', 'SIGCONT', 'SIGHUP', 'SIGQUIT', 'SIGALRM', 'SIGUSR1', 'SIGUSR2',
];

/** Signals kept before the handler exists; more are counted, not kept (a burst must not grow memory). */
export const MAX_EARLY_SIGNALS = 64;

/** What the inbox needs of `process`: adding a listener. */
export interface SignalSource {
  on(sig: NodeJS.Signals, listener: () => void): unknown;
}

export interface EarlySignals {
  /** in the order they came, at most MAX_EARLY_SIGNALS */
  signals: NodeJS.Signals[];
  /** how many more came and were not kept */
  dropped: number;
}

export class SignalInbox {
  private readonly source: SignalSource;
  private readonly listening = new Set<NodeJS.Signals>();
  private handler: SignalHandler | undefined;
  private early: NodeJS.Signals[] = [];
  private dropped = 0;

  constructor(source: SignalSource) {
    this.source = source;
  }

  /** Listen to these signals too (from now on, for good); idempotent. */
  listen(signals: Iterable<NodeJS.Signals>): void {
    for (const sig of signals) {
      if (this.listening.has(sig)) continue;
      this.listening.add(sig);
      this.source.on(sig, () => this.receive(sig));
    }
  }

  /**
   * From now on every signal goes to handler; those that came before are
   * shown to onEarly, then handed to handler at once and in order.
   */
  deliverTo(handler: SignalHandler, onEarly: (early: EarlySignals) => void = () => {}): void {
    this.handler = handler;
    const taken: EarlySignals = { signals: this.early, dropped: this.dropped };
    this.early = [];
    this.dropped = 0;
    if (taken.signals.length > 0 || taken.dropped > 0) onEarly(taken);
    for (const sig of taken.signals) handler(sig);
  }

  private receive(sig: NodeJS.Signals): void {
    if (this.handler) this.handler(sig);
    else if (this.early.length < MAX_EARLY_SIGNALS) this.early.push(sig);
    else this.dropped++;
  }
}

/** The init's one inbox. */
export const initSignals = new SignalInbox(process);
