// Extra services the e2e tests mount into the image's /etc/service, written
// to temp folders on the host (removed by removeFixtures in after() hooks).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

export interface ServiceFiles {
  run: string;
  finish?: string;
  /** a ./check script (exit 0: the service is available) */
  check?: string;
  /** make supervise/ a symlink to /run/supervise/NAME (for read-only mounts) */
  superviseInRun?: boolean;
  /** further files of the service directory (essential, down-signal, ...): name -> text */
  extra?: Record<string, string>;
}

/** A service folder on the host; returns the `-v` argument mounting it at /etc/service/NAME. */
export function serviceMount(name: string, files: ServiceFiles, opts: { readOnly?: boolean } = {}): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsinit-e2e-${name}-`));
  made.push(dir);
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'run'), `#!/bin/sh\n${files.run}\n`, { mode: 0o755 });
  if (files.finish) fs.writeFileSync(path.join(dir, 'finish'), `#!/bin/sh\n${files.finish}\n`, { mode: 0o755 });
  if (files.check) fs.writeFileSync(path.join(dir, 'check'), `#!/bin/sh\n${files.check}\n`, { mode: 0o755 });
  for (const [f, text] of Object.entries(files.extra ?? {})) fs.writeFileSync(path.join(dir, f), text, { mode: 0o644 });
  if (files.superviseInRun) fs.symlinkSync(`/run/supervise/${name}`, path.join(dir, 'supervise'));
  return ['-v', `${dir}:/etc/service/${name}${opts.readOnly ? ':ro' : ''}`];
}

export function removeFixtures(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** `ps` rows inside a container (busybox ps -o pid,ppid,user,stat,args). */
export interface PsRow {
  pid: number;
  ppid: number;
  user: string;
  stat: string;
  args: string;
}

export const PS_COMMAND = 'ps -o pid,ppid,user,stat,args';

export function parsePs(out: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of out.split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3] as string, stat: m[4] as string, args: m[5] as string });
  }
  return rows;
}

/**
 * The Kubernetes readiness probe of docs/kubernetes.md: fails unless every
 * service (and its log service) is `run` and every running service's ./check,
 * if it has one, passes. `sv check` alone cannot serve: as in runit 2.1.2 it
 * passes for a service that is down.
 */
export const READINESS_PROBE = "! sv status /etc/service/* | grep -Ev '^run: [^;]*(; run: log: .*)?$' && sv -w 2 check /etc/service/* >/dev/null";
/** The liveness probe of docs/kubernetes.md: every supervisor answers, and every running service's ./check passes. */
export const LIVENESS_PROBE = 'sv -w 5 check /etc/service/* >/dev/null';
