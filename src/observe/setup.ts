// Wiring of the observability parts inside PID 1: the events socket, the
// events in the JSON log, the HTTP probe server and the shutdown marker.
// Settings come from src/settings.ts (TSINIT_HTTP, TSINIT_EVENTS_SOCKET,
// TSINIT_RUN_DIR, TSINIT_STOP_DELAY); the runtime directory's files are
// src/runtime/'s, and used only when this instance owns the directory.
import type { Logger } from 'pino';
import { errstrOf } from '../util/errstr.ts';
import { logEvents } from '../events/log-sink.ts';
import { startEventsServer, type EventsServer } from '../events/socket-server.ts';
import { reaper } from '../process/reaper.ts';
import type { Settings } from '../settings.ts';
import { runtimePaths, type RuntimePaths } from '../runtime/paths.ts';
import { clearStopping, markStopping } from '../runtime/stopping.ts';
import { fileSource } from './file-source.ts';
import type { HttpAddress } from '../util/http-address.ts';
import { startProbeServer, type Phase, type ProbeServer, type ProbeState } from './http-server.ts';
import { inprocessSource, type ServiceMap } from './inprocess-source.ts';
import type { SnapshotSource } from './snapshot.ts';

export interface ObserveConfig {
  http: HttpAddress | null;
  runtime: RuntimePaths;
  stopDelayMs: number;
  serviceDir: string;
  logJson: boolean;
}

export function readObserveConfig(s: Settings, init: { serviceDir: string; logFormat: string }): ObserveConfig {
  return {
    http: s.http,
    runtime: runtimePaths(s),
    stopDelayMs: s.stopDelayMs,
    serviceDir: init.serviceDir,
    logJson: init.logFormat === 'json',
  };
}

export class Observability {
  private readonly cfg: ObserveConfig;
  private readonly log: Logger;
  private currentPhase: Phase = 'booting';
  private readonly files: SnapshotSource;
  private source: SnapshotSource;
  private events: EventsServer | undefined;
  private http: ProbeServer | undefined;
  private ownsRunDir = false;

  constructor(cfg: ObserveConfig, log: Logger) {
    this.cfg = cfg;
    this.log = log;
    this.files = fileSource(cfg.serviceDir);
    // Until the built-in supervisor runs (or when stage 2 is a user's
    // runsvdir in other processes): the supervise files.
    this.source = this.files;
  }

  get runtime(): RuntimePaths {
    return this.cfg.runtime;
  }

  get stopDelayMs(): number {
    return this.cfg.stopDelayMs;
  }

  /**
   * Start what is configured; failures are warnings, never fatal to PID 1.
   * ownsRunDir: this instance owns the runtime directory (runtime/instance.ts);
   * else nothing in it is touched, and the socket only on a path of its own.
   */
  async start(opts: { http: boolean; ownsRunDir: boolean }): Promise<void> {
    if (this.cfg.logJson) logEvents(this.log);
    this.ownsRunDir = opts.ownsRunDir;
    if (this.ownsRunDir) clearStopping(this.cfg.runtime.dir);
    const sock = this.cfg.runtime.eventsSocket;
    if (sock !== null && (this.ownsRunDir || !this.cfg.runtime.eventsSocketInDir)) {
      try {
        this.events = await startEventsServer(sock, (e) => this.log.warn(`events socket: ${errstrOf(e)}`));
      } catch (e) {
        this.log.warn(`unable to serve events on ${sock}: ${errstrOf(e)}; \`tsinit events\` will not reach this instance (set TSINIT_EVENTS_SOCKET or TSINIT_RUN_DIR to a path of its own)`);
      }
    }
    if (opts.http && this.cfg.http) {
      const a = this.cfg.http;
      try {
        this.http = await startProbeServer(a, this.probeState(), (e) => this.log.warn(`http: ${errstrOf(e)}`));
        const bound = this.http.address();
        this.log.info(`http: listening on ${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`);
      } catch (e) {
        this.log.error(`unable to listen on ${a.host}:${a.port} (TSINIT_HTTP): ${errstrOf(e)}`);
      }
    }
  }

  private probeState(): ProbeState {
    return {
      snapshots: () => this.source.snapshots(),
      fileSnapshots: () => this.files.snapshots(),
      phase: () => this.currentPhase,
      orphansReaped: () => reaper.orphansReaped,
      shuttingDown: () => this.currentPhase === 'stopping',
    };
  }

  /** The built-in supervisor runs: answer from its handles. */
  attachSupervisor(sup: ServiceMap): void {
    this.source = inprocessSource(sup);
  }

  /** Stage 2 begins: readiness is now up to the services. */
  stage2(): void {
    if (this.currentPhase === 'booting') this.currentPhase = 'running';
  }

  /** A shutdown was requested: readiness is false from now on, here and for `tsinit health --ready`. */
  stopping(): void {
    if (this.currentPhase === 'stopping') return;
    this.currentPhase = 'stopping';
    if (!this.ownsRunDir) return;
    const e = markStopping(this.cfg.runtime.dir, this.cfg.serviceDir);
    if (e !== null) this.log.debug(`unable to write ${this.cfg.runtime.stoppingFile}: ${e}`);
  }

  async close(): Promise<void> {
    reaper.orphanTally.flush();
    if (this.currentPhase === 'stopping' && this.ownsRunDir) clearStopping(this.cfg.runtime.dir);
    this.events?.close();
    this.events = undefined;
    const h = this.http;
    this.http = undefined;
    await h?.close();
  }
}
