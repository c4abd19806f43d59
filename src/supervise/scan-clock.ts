// When the in-process runsvdir (supervisor.ts) looks at its directory: the
// periodic wake-up (every 5 s, every 1 s while a re-check is pending, as
// runsvdir wakes), the retry of a runsv that failed to start, the gap between
// scans, and the fs.watch that brings new and removed services within a
// fraction of a second. It decides when to scan; ClockHost.scan reads.
import fs from 'node:fs';
import { clampDelay } from '../util/timers.ts';
import { errstrOf } from '../util/errstr.ts';

/** Pause after a scan was asked for by fs.watch, so `mkdir x; cp run x/` lands in one scan. */
const WATCH_DEBOUNCE_MS = 200;
/** Scans never follow each other closer than this (runsvdir: 1 s; we allow a quicker pick-up). */
const MIN_SCAN_GAP_MS = 200;
/** runsvdir's wait while a re-check is pending. */
export const RECHECK_MS = 1000;

/** Monotonic milliseconds: a wall-clock step (runsvdir's "time warp") cannot stall the timers. */
const now = (): number => performance.now();

/** What the clock needs from its supervisor. */
export interface ClockHost {
  /** the service directory, as given (messages quote it as is) */
  readonly dir: string;
  /** the same, absolute */
  readonly absDir: string;
  warn(text: string): void;
  /** a listing is being read (its stat calls spread over turns) */
  scanning(): boolean;
  /** read the directory now; quiet: runsvdir would not have looked, so no warnings */
  scan(quiet: boolean): void;
}

export class ScanClock {
  /** a scan is due at the next wake-up (runsvdir's check flag) */
  check = false;
  private readonly host: ClockHost;
  private readonly interval: number;
  private readonly useWatch: boolean;
  private stopped = false;
  /** when a runsv that failed to start is due to be tried again */
  private retryAt = Infinity;
  private lastDirIdentity: string | undefined;
  private lastScanAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private watcher: fs.FSWatcher | undefined;
  private watchedIdentity: string | undefined;

  constructor(host: ClockHost, intervalMs: number, useWatch: boolean) {
    this.host = host;
    this.interval = intervalMs;
    this.useWatch = useWatch;
  }

  schedule(delayMs: number): void {
    if (this.stopped) return;
    const due = now() + Math.max(0, delayMs);
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.tick(), clampDelay(due - now()));
  }

  /** One wake-up: stat the directory and scan when it changed or a check is pending. */
  tick(): void {
    const host = this.host;
    const { dir, absDir } = host;
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.stopped) return;
    if (now() >= this.retryAt) {
      this.retryAt = Infinity;
      this.check = true;
    }
    try {
      let st: fs.BigIntStats;
      try {
        st = fs.statSync(absDir, { bigint: true });
      } catch (e) {
        host.warn(`unable to stat ${dir}: ${errstrOf(e)}`);
        this.closeWatcher();
        return;
      }
      const ident = `${st.dev}:${st.ino}`;
      this.ensureWatcher(ident);
      const full = `${ident}:${st.mtimeNs}`;
      const gap = this.lastScanAt + MIN_SCAN_GAP_MS - now();
      if (host.scanning()) {
        // The listing being read goes on; look again after it.
        this.check = true;
        return;
      }
      if (gap > 0) {
        this.schedule(gap);
        return;
      }
      // runsvdir scans only when its directory changed or a check is pending;
      // tsinit also scans on every periodic wake-up (a symlink's target that
      // appeared, a missed watch event), but keeps quiet about what runsvdir
      // would not have looked at, so a dangling link is not warned every 5 s.
      const runitWouldScan = this.check || full !== this.lastDirIdentity;
      this.lastDirIdentity = full;
      this.lastScanAt = now();
      host.scan(!runitWouldScan);
    } catch (e) {
      // Whatever went wrong, the supervisor keeps running and tries again.
      host.warn(`unable to scan ${dir}: ${errstrOf(e)}`);
      this.check = true;
    } finally {
      this.schedule(Math.min(this.check ? RECHECK_MS : this.interval, this.retryAt - now()));
    }
  }

  /** A listing is being acted on: it retries every slot without a runsv (failures re-arm it). */
  scanned(): void {
    this.check = false;
    this.retryAt = Infinity;
  }

  /** Scan again within a second (runsvdir: at its next wake-up, <= 5 s). */
  recheck(): void {
    this.check = true;
    this.schedule(RECHECK_MS);
  }

  /** A runsv could not start: try again at runsvdir's pace (one interval). */
  retryLater(): void {
    this.retryAt = Math.min(this.retryAt, now() + this.interval);
    this.schedule(this.retryAt - now());
  }

  /** No wake-up any more. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.closeWatcher();
  }

  private ensureWatcher(ident: string): void {
    if (!this.useWatch) return;
    if (this.watcher && this.watchedIdentity === ident) return;
    // The directory was replaced (e.g. runsvchdir): watch the new one.
    this.closeWatcher();
    try {
      const w = fs.watch(this.host.absDir, (_event, filename) => {
        if (typeof filename === 'string' && filename.startsWith('.')) return; // .forced-rescan, hidden entries
        this.check = true;
        this.schedule(WATCH_DEBOUNCE_MS);
      });
      w.on('error', () => {
        // e.g. the directory went away; the periodic check re-creates the watch.
        if (this.watcher === w) this.closeWatcher();
      });
      this.watcher = w;
      this.watchedIdentity = ident;
    } catch {
      // No inotify (limits, odd filesystems): the periodic check still works.
      this.watcher = undefined;
      this.watchedIdentity = undefined;
    }
  }

  private closeWatcher(): void {
    const w = this.watcher;
    this.watcher = undefined;
    this.watchedIdentity = undefined;
    try {
      w?.close();
    } catch {
      // already closed
    }
  }
}
