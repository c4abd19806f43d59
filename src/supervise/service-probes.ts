// The effect side of readiness and health for one service: the notification
// pipe (s6's notification-fd), polling ./check until it passes, and running
// ./health periodically once ready. Decisions come from readiness.ts and
// health.ts (pure); this module owns the pipes, timers and probe processes.
// Probes are started with posix_spawn (spawn.ts): never a Node process.
import fs from 'node:fs';
import net from 'node:net';
import * as libc from '../../native/libc.ts';
import { spawnChild } from '../process/spawn.ts';
import type { ExitStatus } from '../process/wait-status.ts';
import { errstrOf } from '../util/errstr.ts';
import { healthKillAfterMs, healthRestarted, healthResult, initialHealth, type HealthState } from './health.ts';
import { CHECK_TIMEOUT_MS, checkDelay, notificationSaysReady, readinessMode, type ReadinessMode } from './readiness.ts';
import type { ServiceSpec } from './service-spec.ts';
import { MAX_TIMER_MS } from '../util/timers.ts';

export interface ProbeHost {
  /** the service directory (real path): probes run there */
  readonly base: string;
  warn(msg: string): void;
  /** where a probe's stderr goes (the service's own stderr) */
  stderrFd(): number | undefined;
  /** readiness of the current ./run changed */
  onReady(ready: boolean): void;
  /** a health verdict was recorded */
  onHealth(state: HealthState, event: 'healthy' | 'unhealthy' | null): void;
  /** restart ./run as `sv t` does (the machine's stop path) */
  restart(): void;
  /** the pid ./run currently has according to the machine (0: none) */
  currentPid(): number;
  kill(pid: number, signal: 'KILL'): void;
  /** probes get a session of their own, as the service's other children (runsvdir -P) */
  readonly ownSession?: boolean;
}

const clampTimer = (ms: number): number => Math.max(0, Math.min(MAX_TIMER_MS, ms));

interface Notify {
  readFd: number;
  writeFd: number;
  socket: net.Socket | undefined;
}

interface Probe {
  pid: number;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
}

export class ServiceProbes {
  readonly mode: ReadinessMode;
  private readonly spec: ServiceSpec;
  private readonly host: ProbeHost;
  private runPid = 0;
  private ready = false;
  private notify: Notify | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private checkAttempt = 0;
  private check: Probe | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthProbe: Probe | undefined;
  private health: HealthState = initialHealth();
  private killTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(spec: ServiceSpec, host: ProbeHost) {
    this.spec = spec;
    this.host = host;
    this.mode = readinessMode(spec);
  }

  get isReady(): boolean {
    return this.ready;
  }

  get healthState(): HealthState {
    return this.health;
  }

  /**
   * Before ./run is spawned: with notification-fd, a fresh pipe whose write
   * end becomes descriptor N in the child. Returns spawn's extraFds.
   */
  prepareSpawn(): Array<[number, number]> {
    this.closeNotify();
    const n = this.spec.notificationFd;
    if (this.closed || this.mode !== 'notification-fd' || n === null) return [];
    try {
      const [readFd, writeFd] = libc.pipe2(libc.O_CLOEXEC);
      this.notify = { readFd, writeFd, socket: undefined };
      return [[n, writeFd]];
    } catch (e) {
      this.host.warn(`unable to create the notification pipe: ${errstrOf(e)}`);
      return [];
    }
  }

  /** posix_spawn of ./run failed: nothing runs. */
  spawnFailed(): void {
    this.closeNotify();
  }

  /** ./run runs as pid. */
  started(pid: number): void {
    if (this.closed) return;
    this.stopProbes();
    this.runPid = pid;
    const before = this.health;
    this.health = healthRestarted();
    if (this.spec.health && (before.healthy !== null || before.failures !== 0)) this.host.onHealth(this.health, null);
    switch (this.mode) {
      case 'up':
        this.setReady(true);
        break;
      case 'check':
        this.checkAttempt = 0;
        this.scheduleCheck();
        break;
      case 'notification-fd':
        this.listenNotify();
        break;
    }
  }

  /** ./run (pid) ended: not ready, no probes. */
  ended(pid: number): void {
    if (pid !== this.runPid) return;
    this.runPid = 0;
    this.stopProbes();
    this.closeNotify();
    this.setReady(false);
  }

  /** pids of running probes (for shutdown bookkeeping) */
  pids(): number[] {
    const out: number[] = [];
    for (const p of [this.check, this.healthProbe]) if (p && p.pid > 0) out.push(p.pid);
    return out;
  }

  close(): void {
    this.closed = true;
    this.stopProbes();
    this.closeNotify();
  }

  // ---- readiness ------------------------------------------------------

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.host.onReady(ready);
    if (ready) this.scheduleHealth();
  }

  private listenNotify(): void {
    const nt = this.notify;
    if (!nt) return;
    // Only the child keeps the write end: its exit (or close) is our EOF.
    try {
      libc.close(nt.writeFd);
    } catch {
      // already closed
    }
    nt.writeFd = -1;
    try {
      const socket = new net.Socket({ fd: nt.readFd, readable: true, writable: false });
      nt.socket = socket;
      socket.on('data', (chunk: Buffer) => {
        if (this.notify !== nt || !notificationSaysReady(chunk)) return;
        // s6: once ready, the pipe is closed.
        this.closeNotify();
        if (this.runPid !== 0) this.setReady(true);
      });
      socket.on('end', () => {
        if (this.notify === nt) this.closeNotify();
      });
      socket.on('error', () => {
        if (this.notify === nt) this.closeNotify();
      });
    } catch (e) {
      this.host.warn(`unable to read the notification pipe: ${errstrOf(e)}`);
      this.closeNotify();
    }
  }

  private closeNotify(): void {
    const nt = this.notify;
    if (!nt) return;
    this.notify = undefined;
    if (nt.writeFd >= 0) {
      try {
        libc.close(nt.writeFd);
      } catch {
        // already closed
      }
    }
    if (nt.socket) nt.socket.destroy();
    else {
      try {
        libc.close(nt.readFd);
      } catch {
        // already closed
      }
    }
  }

  private scheduleCheck(): void {
    if (this.closed || this.ready || this.runPid === 0) return;
    const delay = checkDelay(this.checkAttempt++);
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      const pid = this.runPid;
      const probe = this.runProbe('check', CHECK_TIMEOUT_MS, (ok) => {
        if (this.check !== probe) return; // a probe of an earlier start
        this.check = undefined;
        if (this.closed || pid !== this.runPid || this.ready) return;
        if (ok) this.setReady(true);
        else this.scheduleCheck();
      });
      this.check = probe;
    }, delay);
  }

  // ---- health ---------------------------------------------------------

  private scheduleHealth(): void {
    const h = this.spec.health;
    if (!h || this.closed || !this.ready || this.runPid === 0 || this.healthTimer || this.healthProbe) return;
    this.healthTimer = setTimeout(() => {
      this.healthTimer = undefined;
      // Not run for a service that is down or not ready.
      if (this.closed || !this.ready || this.runPid === 0) return;
      const pid = this.runPid;
      const probe = this.runProbe('health', h.timeoutMs, (ok) => {
        if (this.healthProbe !== probe) return; // a probe of an earlier start
        this.healthProbe = undefined;
        if (this.closed || pid !== this.runPid || !this.ready) return;
        const d = healthResult(this.health, ok, h);
        this.health = d.state;
        this.host.onHealth(d.state, d.event);
        if (d.restart) this.restartUnhealthy(pid);
        else this.scheduleHealth();
      });
      this.healthProbe = probe;
    }, clampTimer(h.intervalMs));
  }

  /** TERM through the machine's own stop path (as `sv t`), then KILL after the stop timeout. */
  private restartUnhealthy(pid: number): void {
    this.host.restart();
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      this.killTimer = undefined;
      if (!this.closed && this.runPid === pid && this.host.currentPid() === pid) this.host.kill(pid, 'KILL');
    }, clampTimer(healthKillAfterMs(this.spec.timeoutKillMs)));
  }

  // ---- probe processes ------------------------------------------------

  /** Run ./name with stdin and stdout on /dev/null; KILL it after timeoutMs. ok: it exited 0. */
  private runProbe(name: 'check' | 'health', timeoutMs: number, done: (ok: boolean) => void): Probe {
    let devnull: number | undefined;
    const probe: Probe = { pid: 0, timer: undefined, timedOut: false };
    let finished = false;
    const finish = (ok: boolean): void => {
      if (finished) return;
      finished = true;
      if (probe.timer) clearTimeout(probe.timer);
      probe.timer = undefined;
      done(ok);
    };
    try {
      devnull = fs.openSync('/dev/null', fs.constants.O_RDWR);
      const stderr = this.host.stderrFd();
      probe.pid = spawnChild({
        path: `./${name}`,
        argv: [`./${name}`],
        cwd: this.host.base,
        stdin: devnull,
        stdout: devnull,
        ...(stderr !== undefined ? { stderr } : {}),
        ...(this.host.ownSession ? { setsid: true } : {}),
        onExit: (st: ExitStatus) => finish(!probe.timedOut && st.signal === null && st.code === 0),
      });
    } catch (e) {
      this.host.warn(`unable to run ./${name}: ${errstrOf(e)}`);
      // Not a pass; try again at the next interval (queueMicrotask: the caller keeps the probe first).
      queueMicrotask(() => finish(false));
      return probe;
    } finally {
      if (devnull !== undefined) fs.closeSync(devnull);
    }
    probe.timer = setTimeout(() => {
      probe.timer = undefined;
      probe.timedOut = true;
      this.host.kill(probe.pid, 'KILL');
    }, clampTimer(timeoutMs));
    return probe;
  }

  private stopProbes(): void {
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.healthTimer = undefined;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = undefined;
    for (const p of [this.check, this.healthProbe]) {
      if (!p) continue;
      if (p.timer) clearTimeout(p.timer);
      p.timer = undefined;
      p.timedOut = true;
      if (p.pid > 0) this.host.kill(p.pid, 'KILL');
    }
    this.check = undefined;
    this.healthProbe = undefined;
  }
}
