// runsvdir inside the one Node process: watches a service directory and keeps
// one in-process runsv (startRunsv) per service sub-directory (reference spec 5.2).
//
// When it scans: at start; on every periodic wake-up (every 5 s, every 1 s
// while a re-check is pending, as runsvdir wakes); after a runsv ended (so it
// is restarted); after rescan(). runsvdir itself rescans at a wake-up only if
// the directory's dev/ino/mtime changed or a check is pending, and only those
// scans print warnings here. Beyond runit: an fs.watch on the directory makes
// new and removed services show up within a fraction of a second instead of
// up to 5 s. The decisions are scanner.ts's, the wake-ups and the watch
// scan-clock.ts's; this module reads the listing and owns the runsv handles.
//
// Starting and stopping runsv's is done in slices (turn-slicer.ts): with a
// thousand services, one turn of the event loop must not start them all, or
// a SIGTERM during the boot waits for the whole batch. Slots waiting for
// their turn count as running for the scanner (no double start); stopAll()
// drops the starts not done yet and stops what has started.
import fs from 'node:fs';
import path from 'node:path';
import { startRunsv as realStartRunsv, type RunsvHandle, type RunsvOptions } from './runsv.ts';
import type { ChildStdio } from './runsv-handle.ts';
import { planScan, warningText, type Identity, type ListingEntry, type SlotView } from './scanner.ts';
import { errstr, errstrOf } from '../util/errstr.ts';
import { err } from '../util/output.ts';
import { TurnSlicer, type SlicerOptions } from '../util/turn-slicer.ts';
import { ScanClock } from './scan-clock.ts';
import { statListing, writeForcedRescan } from './scan-listing.ts';
import { readDependencies } from './service-spec.ts';
import { stopInDependencyOrder, type Hold } from './dependency-gate.ts';
import { DependencyHolds } from './dependency-holds.ts';

export interface SupervisorOptions {
  /** the service directory, as given (messages quote it as is) */
  dir: string;
  /** one diagnostic line, without its newline; default: stderr */
  report?: (line: string) => void;
  /** the per-service engine (given a path, or its bytes when they are not UTF-8); injectable for tests */
  startRunsv?: typeof realStartRunsv;
  /** periodic check interval (runsvdir: 5 s) */
  scanIntervalMs?: number;
  /** watch the directory with fs.watch (default true) */
  watch?: boolean;
  /** how many runsv starts/stops one turn of the event loop may do (tests) */
  slice?: Pick<SlicerOptions, 'maxItems' | 'maxMs'>;
  /** an essential service ended (see RunsvOptions.onEssentialEnded) */
  onEssentialEnded?: (service: string, code: number, reason: string) => void;
  /**
   * runsvdir -P (and the built-in supervisor): every service's processes in
   * sessions of their own (RunsvOptions.ownSession); without it they stay
   * in this process's group, as runsvdir's runsv's do without -P
   */
  sessions?: boolean;
  /** what a relative dir is relative to (default: this process's directory) */
  cwd?: string;
  /** what the services inherit as 0, 1, 2 (RunsvOptions.stdio; default: this process's own) */
  stdio?: ChildStdio;
  /** runsv's stdout and stderr text (RunsvOptions.output; default: this process's own) */
  output?: (stream: 1 | 2, text: string) => void;
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

interface Slot {
  id: Identity;
  name: string;
  /** the entry's bytes when they are not UTF-8 (name then shows U+FFFD for them) */
  raw: Buffer | undefined;
  /** undefined when its runsv is not running (ended, or could not be started) */
  handle: RunsvHandle | undefined;
  /** waiting in the start queue */
  queued: boolean;
  /** dependencies.d/, read when its runsv is first started */
  dependencies: string[];
  /** its ./run is ready (as its runsv last reported) */
  ready: boolean;
  /** its first start waits for these dependencies */
  waiting: boolean;
  /** the hold computed when it was queued (re-checked when its turn comes) */
  hold: Hold | undefined;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const dir = opts.dir;
  const absDir = opts.cwd !== undefined ? path.resolve(opts.cwd, dir) : path.resolve(dir);
  const report = opts.report ?? ((line: string) => err(`${line}\n`));
  const start = opts.startRunsv ?? realStartRunsv;
  const warn = (text: string): void => report(`runsvdir ${dir}: warning: ${text}`);

  const slots = new Map<Identity, Slot>();
  /** runsv's told to stop (removed services, stopAll) that have not finished yet */
  const draining = new Set<RunsvHandle>();
  let started = false;
  let stopping: Promise<void> | undefined;
  let forced = false;
  const holds = new DependencyHolds<Slot>(() => slots.values());
  const clock = new ScanClock(
    { dir, absDir, warn, scanning: () => scanning, scan: (quiet) => scan(quiet) },
    opts.scanIntervalMs ?? 5000,
    opts.watch ?? true,
  );
  const onSliceError = (e: unknown): void => warn(`internal error: ${e instanceof Error ? e.message : String(e)}`);
  const starts = new TurnSlicer<Slot>(
    (slot) => {
      slot.queued = false;
      // Removed meanwhile, or everything is stopping: start nothing more.
      if (stopping || slots.get(slot.id) !== slot || slot.handle) return;
      startSlot(slot, holds.current(slot));
    },
    { ...opts.slice, onError: onSliceError },
  );
  const stops = new TurnSlicer<RunsvHandle>(stopHandle, { ...opts.slice, onError: onSliceError });

  /** names read as bytes that are not UTF-8, by identity, from the last listing */
  let rawById = new Map<Identity, Buffer>();
  /** a listing is being read (its stat calls spread over turns) */
  let scanning = false;

  /**
   * Read the directory, stat its entries (a thousand stat calls take tens of
   * ms on a loaded machine: they are spread over turns, SLICE_MAX_MS each),
   * then act on the whole listing at once.
   */
  function scan(quiet: boolean): void {
    let names: Buffer[];
    try {
      names = fs.readdirSync(absDir, { encoding: 'buffer' });
    } catch (e) {
      if (!quiet) warn(`unable to read directory ${dir}: ${errstrOf(e)}`);
      clock.check = true;
      return;
    }
    scanning = true;
    statListing(
      absDir,
      names,
      () => stopping !== undefined,
      (listing) => {
        scanning = false;
        if (!listing) return;
        rawById = listing.raws;
        try {
          applyListing(listing.entries, quiet);
        } catch (e) {
          warn(`unable to scan ${dir}: ${errstrOf(e)}`);
          clock.recheck();
        }
      },
    );
  }

  function applyListing(listing: ListingEntry[], quiet: boolean): void {
    // This scan retries every slot without a runsv; failures below re-arm it.
    clock.scanned();
    const views: SlotView[] = [...slots.values()].map((s) => ({ id: s.id, name: s.name, running: s.handle !== undefined || s.queued }));
    const plan = planScan(views, listing);
    if (!quiet) for (const w of plan.warnings) warn(warningText(w, errstr));
    for (const r of plan.renamed) {
      const s = slots.get(r.id);
      if (s) {
        s.name = r.to;
        s.raw = rawById.get(r.id);
      }
    }
    const fresh: Slot[] = [];
    for (const s of plan.start) {
      let slot = slots.get(s.id);
      if (!slot) {
        slot = { id: s.id, name: s.name, raw: undefined, handle: undefined, queued: false, dependencies: [], ready: false, waiting: false, hold: undefined };
        slots.set(s.id, slot);
      }
      slot.raw = rawById.get(s.id);
      slot.dependencies = dependenciesOf(slot.name);
      fresh.push(slot);
    }
    // Every slot of this scan exists before any starts: dependencies queued
    // in a later slice are not missing.
    const held = holds.holds(fresh);
    for (const slot of fresh) {
      slot.hold = held.get(slot);
      if (!slot.queued) {
        slot.queued = true;
        starts.push(slot);
      }
    }
    for (const s of plan.stop) {
      const slot = slots.get(s.id);
      slots.delete(s.id);
      if (slot?.handle) {
        draining.add(slot.handle);
        stops.push(slot.handle);
      }
    }
    if (plan.recheck) clock.check = true;
    if (forced) {
      forced = false;
      writeForcedRescan(absDir, dir, warn);
    }
  }

  /** dependencies.d/ (warnings in runsv's name, as runsv reads the rest of the directory) */
  function dependenciesOf(name: string): string[] {
    const r = readDependencies(path.join(absDir, name));
    for (const p of r.problems) report(`runsv ${name}: warning: ${p.file}: ${p.message}`);
    return r.dependencies;
  }

  function startSlot(slot: Slot, hold?: Hold): void {
    let handle: RunsvHandle;
    try {
      // As runsvdir runs `runsv NAME` from inside DIR: messages say `runsv NAME:`.
      // runsv resolves the path itself (it works from the real directory).
      const ropts: RunsvOptions = {
        name: `runsv ${slot.name}`,
        service: slot.name,
        onStatus: (_name, st) => holds.statusChanged(slot, st.ready),
      };
      if (hold) ropts.hold = hold;
      if (opts.sessions) ropts.ownSession = true;
      if (opts.stdio) ropts.stdio = opts.stdio;
      if (opts.output) ropts.output = opts.output;
      slot.ready = false;
      slot.waiting = hold !== undefined && 'waitingFor' in hold;
      if (opts.report) ropts.report = opts.report;
      const essentialEnded = opts.onEssentialEnded;
      if (essentialEnded) ropts.onEssentialEnded = (code, reason) => essentialEnded(slot.name, code, reason);
      else if (slot.raw) ropts.rawName = Buffer.concat([Buffer.from('runsv '), slot.raw]);
      handle = start(slot.raw ? Buffer.concat([Buffer.from(`${absDir}/`), slot.raw]) : path.join(absDir, slot.name), ropts);
    } catch (e) {
      warn(`unable to start runsv ${slot.name}: ${errstrOf(e)}`);
      clock.retryLater();
      return;
    }
    slot.handle = handle;
    holds.started(slot);
    const ended = (code: number | undefined): void => {
      draining.delete(handle);
      if (slot.handle === handle) slot.ready = false;
      // A removed service's runsv finishing is no reason to scan again.
      if (slot.handle !== handle || slots.get(slot.id) !== slot) return;
      slot.handle = undefined;
      if (code === 111) {
        // Start-up failure (broken supervise/, lock held...): runsvdir, which
        // only notices dead runsv's every 5 s, retries at that pace; so do we,
        // rather than repeat the same fatal line every second.
        clock.retryLater();
        return;
      }
      // Ended on request (`sv exit`): started again at the next scan, which
      // comes within a second here (runsvdir: at its next wake-up, <= 5 s).
      clock.recheck();
    };
    handle.done.then(ended, () => ended(undefined));
  }

  function stopHandle(handle: RunsvHandle): void {
    try {
      handle.terminate();
    } catch (e) {
      warn(`unable to stop runsv ${path.basename(handle.dir)}: ${errstrOf(e)}`);
    }
  }

  return {
    start(): void {
      if (started || stopping) return;
      started = true;
      clock.check = true;
      clock.tick();
    },
    rescan(): void {
      if (stopping) return;
      forced = true;
      clock.check = true;
      clock.schedule(0);
    },
    stopAll(): Promise<void> {
      if (stopping) return stopping;
      clock.stop();
      // Services not started yet stay unstarted; the started ones are told
      // to stop a slice at a time (each terminate() writes status files).
      starts.clear();
      // Nothing is started again from now on, also by services whose turn
      // to stop comes only after their dependants are down.
      for (const s of slots.values()) s.handle?.shutdown();
      for (const h of draining) h.shutdown();
      const all: RunsvHandle[] = [...draining];
      // A service stops before the services it depends on; independent ones in parallel.
      const entries = [];
      for (const s of slots.values()) {
        s.queued = false;
        const h = s.handle;
        if (!h) continue;
        all.push(h);
        // Counted as draining at once: pids() lists it even while it waits for its dependants.
        draining.add(h);
        entries.push({ name: s.name, dependencies: s.dependencies, stop: () => stops.push(h), done: h.done });
      }
      slots.clear();
      const ordered = stopInDependencyOrder(entries);
      stopping = Promise.all([ordered, ...all.map((h) => h.done.then(noop, noop))]).then(noop);
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
