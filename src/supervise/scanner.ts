// runsvdir's scan as a pure decision (reference spec 5.2): given the slots
// already tracked and a listing of the service directory, say which services
// to start, which to stop and what to warn about. The I/O side (readdir, stat)
// lives in scan-listing.ts and supervisor.ts; this module only decides, so every
// quirk is unit-tested.

/** A service's identity: the (st_dev, st_ino) of the directory, as `dev:ino`. */
export type Identity = string;

export function identityOf(dev: bigint | number, ino: bigint | number): Identity {
  return `${dev}:${ino}`;
}

/** One entry of the service directory, after stat (symlinks followed). */
export type ListingEntry =
  | { name: string; kind: 'dir'; id: Identity }
  /** a plain file, fifo, ...: ignored silently */
  | { name: string; kind: 'other' }
  /** stat failed (e.g. a dangling symlink); code is the errno name */
  | { name: string; kind: 'error'; code: string | undefined };

/** What the scanner needs to know about a tracked slot. */
export interface SlotView {
  id: Identity;
  /** the entry name the slot was last seen under */
  name: string;
  /** whether its runsv is still running */
  running: boolean;
}

export type ScanWarning =
  | { kind: 'stat'; name: string; code: string | undefined }
  | { kind: 'too-many'; name: string };

export interface ScanPlan {
  /** runsv to start, in directory order: new slots and known slots whose runsv ended */
  start: Array<{ id: Identity; name: string; isNew: boolean }>;
  /** slots whose directory is gone: terminate their runsv and forget them */
  stop: Array<{ id: Identity; name: string }>;
  /** known slots now seen under another name (same dev/ino: no restart) */
  renamed: Array<{ id: Identity; from: string; to: string }>;
  warnings: ScanWarning[];
  /** runsvdir scans again a second later after adding or removing a slot */
  recheck: boolean;
}

/** runsvdir's fixed limit on tracked services. */
export const MAX_SERVICES = 1000;

export function planScan(slots: Iterable<SlotView>, listing: readonly ListingEntry[], maxServices: number = MAX_SERVICES): ScanPlan {
  const known = new Map<Identity, SlotView>();
  for (const s of slots) known.set(s.id, s);
  const seen = new Set<Identity>();
  const plan: ScanPlan = { start: [], stop: [], renamed: [], warnings: [], recheck: false };
  let count = known.size;

  for (const e of listing) {
    if (e.name.startsWith('.')) continue;
    if (e.kind === 'error') {
      plan.warnings.push({ kind: 'stat', name: e.name, code: e.code });
      continue;
    }
    if (e.kind !== 'dir') continue;
    // Two names for one directory (e.g. a symlink beside its target): the
    // first one in directory order owns the slot, as in runsvdir.
    if (seen.has(e.id)) continue;
    const slot = known.get(e.id);
    if (slot) {
      seen.add(e.id);
      if (slot.name !== e.name) plan.renamed.push({ id: e.id, from: slot.name, to: e.name });
      if (!slot.running) plan.start.push({ id: e.id, name: e.name, isNew: false });
      continue;
    }
    // Slots of removed services still count here: runsvdir forgets them only
    // after the whole listing was read.
    if (count >= maxServices) {
      plan.warnings.push({ kind: 'too-many', name: e.name });
      continue;
    }
    count++;
    seen.add(e.id);
    plan.start.push({ id: e.id, name: e.name, isNew: true });
    plan.recheck = true;
  }

  for (const s of known.values()) {
    if (seen.has(s.id)) continue;
    plan.stop.push({ id: s.id, name: s.name });
    plan.recheck = true;
  }
  return plan;
}

/** A warning's text after `runsvdir DIR: warning: `, as runit words it. */
export function warningText(w: ScanWarning, errstr: (code: string | undefined) => string): string {
  if (w.kind === 'stat') return `unable to stat ${w.name}: ${errstr(w.code)}`;
  return `unable to start runsv ${w.name}: too many services.`;
}
