// One runsv's extension record (ext-status.ts's ExtStatus): readiness,
// dependencies held for, health and restart facts, kept in memory, written to
// supervise/tsinit-status.json once supervise/ is ours, and told to the
// in-process listener and the event bus as it changes. runsv.ts decides when;
// this module keeps the record and says it (messages, events, file).
import { emitEvent } from '../events/bus.ts';
import { failedChecks, type HealthState } from './health.ts';
import { initialExtStatus, removeExtStatus, writeExtStatus, type ExtStatus } from './ext-status.ts';

/** tsinit's restart facts for supervise/tsinit-status.json (the record's policy fields). */
export type PolicyStatus = Pick<ExtStatus, 'restarts' | 'crashes' | 'lastExit' | 'backoff' | 'essential'>;

/** dependencies.d/'s hold on the first start (RunsvOptions.hold). */
export type StartHold = { waitingFor: string[] } | { dependencyError: string };

/** What the record needs from its runsv. */
export interface RecordHost {
  /** the service's name, for events and the listener */
  readonly service: string;
  /** the message prefix, e.g. "runsv web" */
  readonly label: string;
  say(line: string): void;
  warn(msg: string): void;
  fatal(msg: string): void;
  /** an exception from the listener */
  internal(e: unknown): void;
  /** called after every change of the record */
  onStatus: ((name: string, status: ExtStatus) => void) | undefined;
}

export class ExtRecord {
  private readonly host: RecordHost;
  private readonly hold: StartHold | undefined;
  private ext: ExtStatus = initialExtStatus(Date.now());
  /** supervise/, once it exists and is ours: the record may be written there */
  private superviseDir: string | undefined;
  /** the policy facts last written to the record */
  private lastPolicy = '';

  constructor(host: RecordHost, hold: StartHold | undefined) {
    this.host = host;
    this.hold = hold;
  }

  /** A fresh record for a service whose readiness is decided this way. */
  begin(readiness: ExtStatus['readiness']): void {
    const h = this.hold;
    this.ext = {
      ...initialExtStatus(Date.now()),
      readiness,
      waitingFor: h && 'waitingFor' in h ? [...h.waitingFor] : [],
      dependencyError: h && 'dependencyError' in h ? h.dependencyError : null,
    };
  }

  /**
   * supervise/ is locked: the record is written there when the service uses
   * an extension (used), else an old one is removed. Then the first write.
   */
  open(superviseDir: string, used: boolean, policy: PolicyStatus | null): void {
    // Only a service that uses an extension (or waits for dependencies) gets
    // tsinit's record: a plain runit service directory keeps runit's supervise/
    // exactly (readers treat a missing record as "ready when up").
    // A record left by an earlier supervisor is never kept: rewritten below,
    // or removed when this service no longer uses any extension.
    this.superviseDir = used ? superviseDir : undefined;
    if (!used) {
      const e = removeExtStatus(superviseDir);
      if (e !== null) this.host.warn(`unable to remove supervise/tsinit-status.json: ${e}`);
    }
    this.syncPolicy(policy);
    this.write();
  }

  snapshot(): ExtStatus {
    return { ...this.ext, waitingFor: [...this.ext.waitingFor] };
  }

  get waitingFor(): readonly string[] {
    return this.ext.waitingFor;
  }

  /** The dependencies a held first start still waits for. */
  setWaiting(names: string[]): void {
    const next = [...names];
    if (next.join('\0') === this.ext.waitingFor.join('\0')) return;
    this.ext.waitingFor = next;
    this.write();
    if (next.length > 0) this.announceWaiting();
  }

  /** The dependencies are ready: nothing is waited for any more. */
  released(): void {
    if (this.ext.waitingFor.length > 0) {
      this.ext.waitingFor = [];
      this.write();
    }
  }

  /** The restart facts into the record, when they changed. */
  syncPolicy(p: PolicyStatus | null): void {
    if (!p || this.superviseDir === undefined) return;
    const key = JSON.stringify(p);
    if (key === this.lastPolicy) return;
    this.lastPolicy = key;
    Object.assign(this.ext, p);
    this.write();
  }

  /** What the hold means, said once at the start: the error, or what is waited for. */
  announceHold(): void {
    const h = this.hold;
    if (!h) return;
    if ('dependencyError' in h) {
      this.host.fatal(`not started: ${h.dependencyError}`);
      emitEvent({ type: 'dependency-error', service: this.host.service, error: h.dependencyError });
    } else if (h.waitingFor.length > 0) this.announceWaiting();
  }

  private announceWaiting(): void {
    const names = this.ext.waitingFor;
    this.host.say(`${this.host.label}: waiting for: ${names.join(' ')}`);
    emitEvent({ type: 'waiting', service: this.host.service, waitingFor: [...names] });
  }

  readyChanged(ready: boolean): void {
    const now = Date.now();
    this.ext.ready = ready;
    this.ext.readySince = ready ? now : null;
    if (ready) {
      // Started (by release or by `sv up`): nothing is waited for any more.
      this.ext.waitingFor = [];
      emitEvent({ type: 'ready', service: this.host.service, time: now, readiness: this.ext.readiness });
    }
    this.write(now);
  }

  healthChanged(state: HealthState, event: 'healthy' | 'unhealthy' | null): void {
    this.ext.healthy = state.healthy;
    this.ext.healthFailures = state.failures;
    if (event === 'unhealthy') {
      this.host.warn(`unhealthy after ${failedChecks(state.failures)}: restarting`);
      emitEvent({ type: 'unhealthy', service: this.host.service, failures: state.failures });
    } else if (event === 'healthy') {
      emitEvent({ type: 'healthy', service: this.host.service });
    }
    this.write();
  }

  /** runsv is gone: nothing it supervised is ready any more; the record is not written again. */
  close(): void {
    if (this.superviseDir !== undefined && this.ext.ready) {
      this.ext.ready = false;
      this.ext.readySince = null;
      this.write();
    }
    this.superviseDir = undefined;
  }

  /** Record a change: supervise/tsinit-status.json (atomically) and the in-process listener. */
  private write(now = Date.now()): void {
    this.ext.updatedAt = now;
    if (this.superviseDir !== undefined) {
      const e = writeExtStatus(this.superviseDir, this.ext);
      if (e !== null) this.host.warn(`unable to write supervise/tsinit-status.json: ${e}`);
    }
    try {
      this.host.onStatus?.(this.host.service, this.snapshot());
    } catch (e) {
      this.host.internal(e);
    }
  }
}
