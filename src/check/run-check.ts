// `tsinit check` over a whole service directory: every service linted,
// then the dependency plan, start order and shutdown plan.
import fs from 'node:fs';
import path from 'node:path';
import { lintService, type Finding } from './service-lint.ts';
import { planCheck, type PlanSettings, type ShutdownPlan } from './plan.ts';
import type { ServiceSpec } from '../supervise/service-spec.ts';
import { readSettings, stopDelayConflict } from '../settings.ts';
import { errstrOf } from '../util/errstr.ts';
import { pacer, type NextTurn } from '../util/pace.ts';

export interface CheckReport {
  serviceDir: string;
  /** the one service checked (SERVICEDIR was a service directory), else null */
  only: string | null;
  /** the services checked: every one, or the one and its dependencies */
  services: string[];
  findings: Finding[];
  startOrder: string[][];
  shutdown: ShutdownPlan;
  errors: number;
  warnings: number;
}

/** The services of a scan directory, as runsvdir sees them: directories (or links to them), not hidden. */
export async function listServices(scanDir: string, pace: () => Promise<void> = pacer()): Promise<{ names: string[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(scanDir);
  } catch (e) {
    return { names: [], findings: [{ service: null, file: null, severity: 'error', message: `unable to read ${scanDir}: ${errstrOf(e)}` }] };
  }
  const names: string[] = [];
  for (const name of entries.sort()) {
    if (name.startsWith('.')) continue;
    try {
      if (fs.statSync(path.join(scanDir, name)).isDirectory()) names.push(name);
    } catch (e) {
      findings.push({ service: name, file: null, severity: 'warning', message: `unable to stat: ${errstrOf(e)} (runsvdir skips it)` });
    }
    await pace();
  }
  return { names, findings };
}

export function planSettingsFrom(env: NodeJS.ProcessEnv, graceS: number | null): PlanSettings {
  // The same parsers PID 1 uses (a delay PID 1 would refuse counts as none here).
  const s = readSettings(env).values;
  return {
    budgetMs: s.shutdownTimeoutMs,
    stopDelayMs: stopDelayConflict(s) === null ? s.stopDelayMs : 0,
    graceMs: graceS === null ? null : Math.round(graceS * 1000),
  };
}

/** Put the findings and the plans together (shared by the command and the boot check). */
export function finishReport(serviceDir: string, lints: Map<string, { spec: ServiceSpec; findings: Finding[] }>, listFindings: Finding[], settings: PlanSettings): CheckReport {
  const specs = new Map<string, ServiceSpec>();
  const findings: Finding[] = [...listFindings];
  for (const [name, l] of lints) {
    specs.set(name, l.spec);
    findings.push(...l.findings);
  }
  if (lints.size === 0 && listFindings.length === 0) {
    findings.push({ service: null, file: null, severity: 'warning', message: `no service directories in ${serviceDir}` });
  }
  const plan = planCheck(specs, settings);
  findings.push(...plan.findings);
  return {
    serviceDir,
    only: null,
    services: [...lints.keys()],
    findings,
    startOrder: plan.startWaves,
    shutdown: plan.shutdown,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/**
 * Check DIR: a scan directory (its sub-directories are the services) or,
 * when DIR has a ./run, that one service (dependencies looked up beside it).
 */
/**
 * The report for `dir` (a relative one taken from `cwd`, the caller's
 * directory; the report names it as given). A few services per event-loop
 * turn (nextTurn: util/pace.ts), since PID 1 serves it.
 */
export async function runCheck(dir: string, env: NodeJS.ProcessEnv, graceS: number | null, cwd?: string, nextTurn?: NextTurn): Promise<CheckReport> {
  const pace = pacer(nextTurn);
  const settings = planSettingsFrom(env, graceS);
  const at = cwd === undefined ? dir : path.resolve(cwd, dir);
  let scanDir = at;
  let only: string | null = null;
  try {
    if (fs.statSync(path.join(at, 'run')).isFile()) {
      scanDir = path.dirname(path.resolve(at));
      only = path.basename(path.resolve(at));
    }
  } catch {
    // a scan directory
  }
  const listed = await listServices(scanDir, pace);
  const lints = new Map<string, { spec: ServiceSpec; findings: Finding[] }>();
  if (only === null) {
    for (const name of listed.names) {
      lints.set(name, lintService(scanDir, name, env));
      await pace();
    }
    return withSettings(finishReport(dir, lints, listed.findings, settings), env);
  }
  // One service: its lint, and of its siblings only its dependencies (and
  // theirs), whose specs the start order and the shutdown plan need.
  const present = new Set(listed.names);
  const todo = [only];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (lints.has(name)) continue;
    const l = lintService(scanDir, name, env);
    lints.set(name, { spec: l.spec, findings: name === only ? l.findings : [] });
    for (const d of l.spec.dependencies) if (present.has(d) && !lints.has(d)) todo.push(d);
    await pace();
  }
  const sorted = new Map([...lints].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  const report = finishReport(dir, sorted, [], settings);
  report.only = only;
  // What concerns it: its own findings (a dependency problem included) and the plan-wide ones.
  report.findings = report.findings.filter((f) => f.service === only || f.service === null);
  return withSettings(report, env);
}

/** The TSINIT_* values as PID 1 would take them, first (at boot PID 1 prints these itself). */
function withSettings(report: CheckReport, env: NodeJS.ProcessEnv): CheckReport {
  const s = readSettings(env);
  report.findings.unshift(
    ...s.errors.map((message): Finding => ({ service: null, file: null, severity: 'error', message })),
    ...s.warnings.map((message): Finding => ({ service: null, file: null, severity: 'warning', message })),
  );
  report.errors = report.findings.filter((f) => f.severity === 'error').length;
  report.warnings = report.findings.filter((f) => f.severity === 'warning').length;
  return report;
}
