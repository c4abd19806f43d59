// Snapshots from the in-process runsv handles: no file is read for runit's
// status (the handle encodes the record it would write), so a probe costs
// PID 1 a fraction of a millisecond even with hundreds of services.
import type { ExtStatus } from '../supervise/ext-status.ts';
import type { RunsvHandle } from '../supervise/runsv.ts';
import type { ServiceSnapshot, SnapshotSource } from './snapshot.ts';

export interface ServiceMap {
  services(): ReadonlyMap<string, RunsvHandle>;
}

export function handleSnapshot(name: string, h: RunsvHandle): ServiceSnapshot {
  const recs = h.statusRecords();
  if (!recs) return { name, main: { error: 'runsv not running' }, log: null, ext: null };
  let ext: ExtStatus | null = null;
  try {
    // The in-process runsv's own record (it writes tsinit-status.json from
    // the same object): never a file read per service and probe.
    ext = h.extStatus();
  } catch {
    ext = null;
  }
  return {
    name,
    main: { st: recs.main, normallyUp: null },
    log: recs.log ? { st: recs.log, normallyUp: null } : null,
    ext,
  };
}

export function inprocessSource(sup: ServiceMap): SnapshotSource {
  return {
    snapshots(): ServiceSnapshot[] {
      const all = [...sup.services()];
      all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return all.map(([name, h]) => handleSnapshot(name, h));
    },
  };
}
