// runsvdir inside the one Node process: watches a service directory and keeps
// one in-process runsv (startRunsv) per service sub-directory (reference spec 5.2).
//
// When it scans: at start; on every periodic wake-up (every 5 s, every 1 s
// while a re-check is pending, as runsvdir wakes); after a runsv ended (so it
// is restarted); after rescan(). runsvdir itself rescans at a wake-up only if
// the directory's dev/ino/mtime changed or a check is pending, and only those
// scans print warnings here. Beyond runit: an fs.watch on the directory makes
// new and removed services show up within a fraction of a second instead of
// up to 5 s. The decisions are scanner.ts's; this module does the I/O and owns
// the runsv handles.
import fs from 'node:fs';
import path from 'node:path';
import { startRunsv as realStartRunsv, type RunsvHandle, type RunsvOptions } from './runsv.ts';
import { identityOf, planScan, warningText, type Identity, type ListingEntry, type SlotView } from './scanner.ts';
import { errstr, errstrOf } from '../util/errstr.ts';
import { err } from '../util/output.ts';
import { tai64nLabel, wallNow } from '../util/tai64n.ts';

export interface SupervisorOptions {
  /** the service directory, as given (messages quote it as is) */
  dir: string;
  /** one diagnostic line, without its newline; default: stderr */
  report?: (line: string) => void;
  /** the per-service engine; injectable for tests */
  startRunsv?: typeof realStartRunsv;
  /** periodic check interval (runsvdir: 5 s) */
  scanIntervalMs?: number;
  /** watch the directory with fs.watch (default true) */
  watch?: boolean;
  /** an essential service ended (see RunsvOptions.onEssentialEnded) */
  onEssentialEnded?: (service: string, code: number, reason: string) => void;
}

export interface Supervisor {
  start(): void;
  /** Debian's forced rescan (SIGALRM): scan now, then write DIR/.forced-rescan */
  rescan(): void;
  /** stop every service in parallel (terminate() each), resolve when every runsv has finished */
  stopAll(): Promise<void>;
  /** services currently tracked: name -> handle */
  services(): ReadonlyMap<string, RunsvHandle>;
  /** all pids of supervised processes */
  pids(): number[];
}

/** Pause after a scan was asked for by fs.watch, so `mkdir x; cp run x/` lands in one scan. */
const WATCH_DEBOUNCE_MS = 200;
/** Scans never follow each other closer than this (runsvdir: 1 s; we allow a quicker pick-up). */
const MIN_SCAN_GAP_MS = 200;
/** runsvdir's wait while a re-check is pending. */
const RECHECK_MS = 1000;

/** Monotonic milliseconds: a wall-clock step (runsvdir's "time warp") cannot stall the timers. */
const now = (): number => performance.now();

interface Slot {
  id: Identity;
  name: string;
  /** undefined when its runsv is not running (ended, or could not be started) */
  handle: RunsvHandle | undefined;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const dir = opts.dir;
  const absDir = path.resolve(dir);
  const report = opts.report ?? ((line: string) => err(`${line}\n`));
  const start = opts.startRunsv ?? realStartRunsv;
  const interval = opts.scanIntervalMs ?? 5000;
  const useWatch = opts.watch ?? true;
  const warn = (text: string): void => report(`runsvdir ${dir}: warning: ${text}`);

  const slots = new Map<Identity, Slot>();
  /** runsv's told to stop (removed services, stopAll) that have not finished yet */
  const draining = new Set<RunsvHandle>();
  let started = false;
  let stopping: Promise<void> | undefined;
  let check = false;
  let forced = false;
  /** when a runsv that failed to start is due to be tried again */
  let retryAt = Infinity;
  let lastDirIdentity: string | undefined;
  let lastScanAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  let watcher: fs.FSWatcher | undefined;
  let watchedIdentity: string | undefined;

  function schedule(delayMs: number): void {
    if (stopping) return;
    const due = now() + Math.max(0, delayMs);
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(tick, Math.max(0, due - now()));
  }

  /** One wake-up: stat the directory and scan when it changed or a check is pending. */
  function tick(): void {
    timer = undefined;
    timerDue = Infinity;
    if (stopping) return;
    if (now() >= retryAt) {
      retryAt = Infinity;
      check = true;
    }
    try {
      let st: fs.BigIntStats;
      try {
        st = fs.statSync(absDir, { bigint: true });
      } catch (e) {
        warn(`unable to stat ${dir}: ${errstrOf(e)}`);
        closeWatcher();
        return;
      }
      const ident = `${st.dev}:${st.ino}`;
      ensureWatcher(ident);
      const full = `${ident}:${st.mtimeNs}`;
      const gap = lastScanAt + MIN_SCAN_GAP_MS - now();
      if (gap > 0) {
        schedule(gap);
        return;
      }
      // runsvdir scans only when its directory changed or a check is pending;
      // tsinit also scans on every periodic wake-up (a symlink's target that
      // appeared, a missed watch event), but keeps quiet about what runsvdir
      // would not have looked at, so a dangling link is not warned every 5 s.
      const runitWouldScan = check || full !== lastDirIdentity;
      lastDirIdentity = full;
      scan(!runitWouldScan);
    } catch (e) {
      // Whatever went wrong, the supervisor keeps running and tries again.
      warn(`unable to scan ${dir}: ${errstrOf(e)}`);
      check = true;
    } finally {
      schedule(Math.min(check ? RECHECK_MS : interval, retryAt - now()));
    }
  }

  function readListing(): ListingEntry[] {
    const entries: ListingEntry[] = [];
    for (const name of fs.readdirSync(absDir)) {
      if (name.startsWith('.')) continue; // never a service: not even stat'ed
      try {
        const st = fs.statSync(path.join(absDir, name), { bigint: true });
        entries.push(st.isDirectory() ? { name, kind: 'dir', id: identityOf(st.dev, st.ino) } : { name, kind: 'other' });
      } catch (e) {
        const code = e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
        entries.push({ name, kind: 'error', code });
      }
    }
    return entries;
  }

  function scan(quiet: boolean): void {
    lastScanAt = now();
    let listing: ListingEntry[];
    try {
      listing = readListing();
    } catch (e) {
      if (!quiet) warn(`unable to read directory ${dir}: ${errstrOf(e)}`);
      check = true;
      return;
    }
    check = false;
    // This scan retries every slot without a runsv; failures below re-arm it.
    retryAt = Infinity;
    const views: SlotView[] = [...slots.values()].map((s) => ({ id: s.id, name: s.name, running: s.handle !== undefined }));
    const plan = planScan(views, listing);
    if (!quiet) for (const w of plan.warnings) warn(warningText(w, errstr));
    for (const r of plan.renamed) {
      const s = slots.get(r.id);
      if (s) s.name = r.to;
    }
    for (const s of plan.start) {
      let slot = slots.get(s.id);
      if (!slot) {
        slot = { id: s.id, name: s.name, handle: undefined };
        slots.set(s.id, slot);
      }
      startSlot(slot);
    }
    for (const s of plan.stop) {
      const slot = slots.get(s.id);
      slots.delete(s.id);
      if (slot?.handle) stopHandle(slot.handle);
    }
    if (plan.recheck) check = true;
    if (forced) {
      forced = false;
      writeForcedRescan();
    }
  }

  function startSlot(slot: Slot): void {
    let handle: RunsvHandle;
    try {
      // As runsvdir runs `runsv NAME` from inside DIR: messages say `runsv NAME:`.
      // runsv resolves the path itself (it works from the real directory).
      const ropts: RunsvOptions = { name: `runsv ${slot.name}` };
      if (opts.report) ropts.report = opts.report;
      const essentialEnded = opts.onEssentialEnded;
      if (essentialEnded) ropts.onEssentialEnded = (code, reason) => essentialEnded(slot.name, code, reason);
      handle = start(path.join(absDir, slot.name), ropts);
    } catch (e) {
      warn(`unable to start runsv ${slot.name}: ${errstrOf(e)}`);
      retryLater();
      return;
    }
    slot.handle = handle;
    const ended = (code: number | undefined): void => {
      draining.delete(handle);
      // A removed service's runsv finishing is no reason to scan again.
      if (slot.handle !== handle || slots.get(slot.id) !== slot) return;
      slot.handle = undefined;
      if (code === 111) {
        // Start-up failure (broken supervise/, lock held...): runsvdir, which
        // only notices dead runsv's every 5 s, retries at that pace; so do we,
        // rather than repeat the same fatal line every second.
        retryLater();
        return;
      }
      // Ended on request (`sv exit`): started again at the next scan, which
      // comes within a second here (runsvdir: at its next wake-up, <= 5 s).
      check = true;
      schedule(RECHECK_MS);
    };
    handle.done.then(ended, () => ended(undefined));
  }

  function retryLater(): void {
    retryAt = Math.min(retryAt, now() + interval);
    schedule(retryAt - now());
  }

  function stopHandle(handle: RunsvHandle): void {
    draining.add(handle);
    try {
      handle.terminate();
    } catch (e) {
      warn(`unable to stop runsv ${path.basename(handle.dir)}: ${errstrOf(e)}`);
    }
  }

  function writeForcedRescan(): void {
    const file = path.join(absDir, '.forced-rescan');
    let fd: number;
    try {
      fd = fs.openSync(file, 'w', 0o644);
    } catch (e) {
      warn(`failed to open ${dir}/.forced-rescan: ${errstrOf(e)}`);
      return;
    }
    try {
      fs.writeSync(fd, tai64nLabel(wallNow()));
    } catch (e) {
      warn(`failed to write ${dir}/.forced-rescan: ${errstrOf(e)}`);
    } finally {
      fs.closeSync(fd);
    }
  }

  function ensureWatcher(ident: string): void {
    if (!useWatch) return;
    if (watcher && watchedIdentity === ident) return;
    // The directory was replaced (e.g. runsvchdir): watch the new one.
    closeWatcher();
    try {
      const w = fs.watch(absDir, (_event, filename) => {
        if (typeof filename === 'string' && filename.startsWith('.')) return; // .forced-rescan, hidden entries
        check = true;
        schedule(WATCH_DEBOUNCE_MS);
      });
      w.on('error', () => {
        // e.g. the directory went away; the periodic check re-creates the watch.
        if (watcher === w) closeWatcher();
      });
      watcher = w;
      watchedIdentity = ident;
    } catch {
      // No inotify (limits, odd filesystems): the periodic check still works.
      watcher = undefined;
      watchedIdentity = undefined;
    }
  }

  function closeWatcher(): void {
    const w = watcher;
    watcher = undefined;
    watchedIdentity = undefined;
    try {
      w?.close();
    } catch {
      // already closed
    }
  }

  return {
    start(): void {
      if (started || stopping) return;
      started = true;
      check = true;
      tick();
    },
    rescan(): void {
      if (stopping) return;
      forced = true;
      check = true;
      schedule(0);
    },
    stopAll(): Promise<void> {
      if (stopping) return stopping;
      if (timer) clearTimeout(timer);
      timer = undefined;
      closeWatcher();
      const all: RunsvHandle[] = [...draining];
      for (const s of slots.values()) {
        if (!s.handle) continue;
        all.push(s.handle);
        stopHandle(s.handle);
      }
      slots.clear();
      stopping = Promise.all(all.map((h) => h.done.then(noop, noop))).then(noop);
      return stopping;
    },
    services(): ReadonlyMap<string, RunsvHandle> {
      const m = new Map<string, RunsvHandle>();
      for (const s of slots.values()) if (s.handle) m.set(s.name, s.handle);
      return m;
    },
    pids(): number[] {
      const out: number[] = [];
      const collect = (h: RunsvHandle): void => {
        try {
          out.push(...h.pids());
        } catch {
          // a handle that cannot tell has nothing to add
        }
      };
      for (const s of slots.values()) if (s.handle) collect(s.handle);
      for (const h of draining) collect(h);
      return out;
    },
  };
}

function noop(): void {}
