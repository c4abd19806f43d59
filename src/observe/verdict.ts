// The probe's verdict over every service. Pure.
//  * wanted up: runit's want byte is 'u' (`sv down` makes it 'd': not counted);
//  * up: a process in the run state;
//  * ready: tsinit-status.json's ready, or up when there is no such record
//    (a service run by Debian's runsv, or one without readiness checks);
//  * unhealthy: `health-retries` consecutive ./health checks of the current
//    start failed (the record's healthy is false);
//  * waiting: wanted up but held by dependencies.d/: said as such, not as
//    "down, want up".
import type { ExtStatus } from '../supervise/ext-status.ts';
import { failedChecks } from '../supervise/health.ts';
import { isRecord, sideUp, sideWantedUp, type ServiceSnapshot, type SideRead } from './snapshot.ts';

export interface Failure {
  /** the service, "NAME/log" for a log service */
  name: string;
  reason: string;
}

export interface VerdictOptions {
  /** also require readiness (readyz, `tsinit health --ready`) */
  ready: boolean;
}

function sideFailure(name: string, side: SideRead): Failure | null {
  if (!isRecord(side)) return { name, reason: side.error };
  if (!sideWantedUp(side.st)) return null;
  if (!sideUp(side.st)) {
    const state = side.st[19] === 2 ? 'finishing' : 'down';
    return { name, reason: `${state}, want up` };
  }
  return null;
}

/** Why a service is not ready, when its dependencies say so: "(waiting for db)". */
function dependencyNote(ext: ExtStatus | null): string | null {
  if (!ext) return null;
  if (ext.dependencyError) return ext.dependencyError;
  if (ext.waitingFor.length > 0) return `waiting for ${ext.waitingFor.join(', ')}`;
  return null;
}

function unhealthyReason(ext: ExtStatus): string {
  return `unhealthy (${failedChecks(ext.healthFailures)})`;
}

/** The failures of one service (none when it passes). */
export function serviceFailures(s: ServiceSnapshot, opts: VerdictOptions): Failure[] {
  const out: Failure[] = [];
  const main = sideFailure(s.name, s.main);
  const note = dependencyNote(s.ext);
  if (main) {
    // Down because its first start waits for dependencies (or never can): say why.
    const held = isRecord(s.main) && s.main.st[19] === 0 && note !== null;
    out.push(held ? { name: s.name, reason: `not ready (${note})` } : main);
  } else if (isRecord(s.main) && sideWantedUp(s.main.st)) {
    const ext = s.ext;
    if (ext && ext.healthy === false) {
      out.push({ name: s.name, reason: unhealthyReason(ext) });
    } else if (opts.ready && ext && !ext.ready) {
      out.push({ name: s.name, reason: note !== null ? `not ready (${note})` : 'not ready' });
    }
  }
  if (s.log) {
    const log = sideFailure(`${s.name}/log`, s.log);
    if (log) out.push(log);
  }
  return out;
}

export function failures(all: readonly ServiceSnapshot[], opts: VerdictOptions): Failure[] {
  return all.flatMap((s) => serviceFailures(s, opts));
}

export function failureLine(f: Failure): string {
  return `${f.name}: ${f.reason}`;
}

/** /healthz: only services declared unhealthy (`health-retries` consecutive failed checks). */
export function unhealthy(all: readonly ServiceSnapshot[]): Failure[] {
  const out: Failure[] = [];
  for (const s of all) {
    if (s.ext && s.ext.healthy === false && isRecord(s.main) && sideWantedUp(s.main.st)) {
      out.push({ name: s.name, reason: unhealthyReason(s.ext) });
    }
  }
  return out;
}
