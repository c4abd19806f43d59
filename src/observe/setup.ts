// Wiring of the observability parts inside PID 1: the events socket, the
// events in the JSON log, the HTTP probe server and the shutdown marker.
// Settings come from TSINIT_HTTP, TSINIT_EVENTS_SOCKET, TSINIT_RUN_DIR,
// TSINIT_STOP_DELAY; a bad value is refused before anything starts.
import type { Logger } from 'pino';
import { errstrOf } from '../util/errstr.ts';
import { logEvents } from '../events/log-sink.ts';
import { startEventsServer, type EventsServer } from '../events/socket-server.ts';
import { parseStopDelay } from '../init/stop-delay.ts';
import { reaper } from '../process/reaper.ts';
import { fileSource } from './file-source.ts';
import { parseHttpAddress, type HttpAddress } from './http-address.ts';
import { startProbeServer, type Phase, type ProbeServer, type ProbeState } from './http-server.ts';
import { inprocessSource, type ServiceMap } from './inprocess-source.ts';
import { clearStopping, eventsSocketOf, markStopping, runDirOf } from './run-dir.ts';
import type { SnapshotSource } from './snapshot.ts';

export interface ObserveConfig {
  http: HttpAddress | null;
  eventsSocket: string | null;
  /** the socket path was given (TSINIT_EVENTS_SOCKET), not the default */
  eventsSocketExplicit: boolean;
  runDir: string;
  stopDelayMs: number;
  serviceDir: string;
  logJson: boolean;
}

export function readObserveConfig(
  env: NodeJS.ProcessEnv,
  init: { shutdownTimeoutMs: number; serviceDir: string; logFormat: string },
): ObserveConfig | { error: string } {
  let http: HttpAddress | null = null;
  if (env.TSINIT_HTTP !== undefined && env.TSINIT_HTTP !== '' && env.TSINIT_HTTP !== 'off') {
    const a = parseHttpAddress(env.TSINIT_HTTP);
    if ('error' in a) return a;
    http = a;
  }
  const delay = parseStopDelay(env.TSINIT_STOP_DELAY, init.shutdownTimeoutMs);
  if ('error' in delay) return delay;
  return {
    http,
    eventsSocket: eventsSocketOf(env),
    eventsSocketExplicit: Boolean(env.TSINIT_EVENTS_SOCKET),
    runDir: runDirOf(env),
    stopDelayMs: delay.ms,
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

  constructor(cfg: ObserveConfig, log: Logger) {
    this.cfg = cfg;
    this.log = log;
    this.files = fileSource(cfg.serviceDir);
    // Until the built-in supervisor runs (or when stage 2 is a user's
    // runsvdir in other processes): the supervise files.
    this.source = this.files;
  }

  get stopDelayMs(): number {
    return this.cfg.stopDelayMs;
  }

  /** Start what is configured; failures are warnings, never fatal to PID 1. */
  async start(opts: { http: boolean }): Promise<void> {
    if (this.cfg.logJson) logEvents(this.log);
    clearStopping(this.cfg.runDir);
    if (this.cfg.eventsSocket !== null) {
      try {
        this.events = await startEventsServer(this.cfg.eventsSocket, (e) => this.log.warn(`events socket: ${errstrOf(e)}`));
      } catch (e) {
        // Another instance on the default path is no news unless a path was chosen.
        const msg = `unable to serve events on ${this.cfg.eventsSocket}: ${errstrOf(e)}`;
        if (this.cfg.eventsSocketExplicit) this.log.warn(msg);
        else this.log.debug(msg);
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
    const e = markStopping(this.cfg.runDir, this.cfg.serviceDir);
    if (e !== null) this.log.debug(`unable to write ${this.cfg.runDir}/stopping: ${e}`);
  }

  async close(): Promise<void> {
    reaper.orphanTally.flush();
    if (this.currentPhase === 'stopping') clearStopping(this.cfg.runDir);
    this.events?.close();
    this.events = undefined;
    const h = this.http;
    this.http = undefined;
    await h?.close();
  }
}
