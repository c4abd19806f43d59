// The start order and the shutdown plan `tsinit check` prints, and whether
// the plan fits the budget. Pure: specs and settings in, plan and findings out.
import { planDependencies, problemText, type DependencyPlan } from '../supervise/dependency-graph.ts';
import type { ServiceSpec } from '../supervise/service-spec.ts';
import { shutdownDeadlines } from '../init/budget.ts';
import type { Finding } from './service-lint.ts';

export interface PlanSettings {
  /** TSINIT_SHUTDOWN_TIMEOUT in ms */
  budgetMs: number;
  /** a pause before the services are stopped (TSINIT_STOP_DELAY), ms; 0 when none */
  stopDelayMs: number;
  /** --grace: the runtime's grace period (Kubernetes terminationGracePeriodSeconds), ms */
  graceMs: number | null;
}

export interface StopWave {
  services: { name: string; downSignal: string; timeoutKillMs: number | null }[];
  /** the longest timeout-kill of the wave: it ends by then; null: until the services' KILL */
  boundMs: number | null;
}

export interface ShutdownPlan {
  budgetMs: number;
  graceMs: number | null;
  phases: { phase: string; ms: number; what: string }[];
  stopWaves: StopWave[];
  /** services that can never start (cycle, missing dependency): nothing to stop, in no wave */
  neverStarted: string[];
  /** stop delay plus the longest timeout-kill of every wave in turn */
  chainMs: number;
}

export interface CheckPlan {
  startWaves: string[][];
  shutdown: ShutdownPlan;
  findings: Finding[];
}

const sec = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

export function planCheck(specs: ReadonlyMap<string, ServiceSpec>, settings: PlanSettings): CheckPlan {
  const deps = new Map<string, readonly string[]>();
  for (const [name, spec] of specs) deps.set(name, spec.dependencies);
  const graph: DependencyPlan = planDependencies(deps);
  const findings: Finding[] = [];
  for (const p of graph.problems) {
    findings.push({ service: p.service, file: 'dependencies.d', severity: 'error', message: problemText(p) });
  }
  // Services that can never start are never running at a shutdown: they
  // belong to no stop wave (nor to the chain of timeout-kill).
  const neverStarted = [...new Set(graph.problems.map((p) => p.service))].sort();
  const stopWaves: StopWave[] = graph.stopWaves.map((names) => {
    const services = names.map((name) => {
      const s = specs.get(name) as ServiceSpec;
      return { name, downSignal: s.downSignal ?? 'TERM', timeoutKillMs: s.timeoutKillMs };
    });
    const bounds = services.map((s) => s.timeoutKillMs);
    const boundMs = bounds.length > 0 && bounds.every((b) => b !== null) ? Math.max(...(bounds as number[])) : null;
    return { services, boundMs };
  });

  const d = shutdownDeadlines(0, settings.budgetMs);
  const servicesMs = Math.max(0, d.stage2Kill - settings.stopDelayMs);
  const chainMs =
    settings.stopDelayMs +
    stopWaves.reduce((sum, w) => sum + Math.max(0, ...w.services.map((s) => s.timeoutKillMs ?? 0)), 0);
  const phases = [
    ...(settings.stopDelayMs > 0 ? [{ phase: 'stop delay', ms: settings.stopDelayMs, what: 'services keep running' }] : []),
    { phase: 'stop services', ms: servicesMs, what: `down signal to each wave in turn; KILL to what still runs at ${sec(d.stage2Kill)}` },
    { phase: 'stage 3', ms: d.stage3Kill - d.stage2Kill, what: '/etc/runit/3, KILLed at the end' },
    { phase: 'TERM all', ms: d.finalKill - d.stage3Kill, what: 'TERM and CONT to every remaining process' },
    { phase: 'KILL all', ms: d.exit - d.finalKill, what: 'KILL to every remaining process, then exit' },
  ];

  const budget = `TSINIT_SHUTDOWN_TIMEOUT=${settings.budgetMs / 1000}`;
  if (chainMs > settings.budgetMs) {
    findings.push({
      service: null,
      file: null,
      severity: 'error',
      message: `the shutdown plan needs ${sec(chainMs)} (stop delay and the longest chain of timeout-kill), more than the whole budget (${budget})`,
    });
  } else if (chainMs > d.stage2Kill) {
    findings.push({
      service: null,
      file: null,
      severity: 'warning',
      message: `the shutdown plan needs ${sec(chainMs)} (stop delay and the longest chain of timeout-kill), more than the ${sec(d.stage2Kill)} the services get of the budget (${budget}): the last ones get KILL early`,
    });
  }
  if (settings.graceMs !== null) {
    if (settings.budgetMs >= settings.graceMs) {
      findings.push({
        service: null,
        file: null,
        severity: 'error',
        message: `the budget (${budget}) is not below the grace period (${sec(settings.graceMs)}): the runtime KILLs everything before tsinit is done`,
      });
    } else if (settings.budgetMs + 1000 > settings.graceMs) {
      findings.push({
        service: null,
        file: null,
        severity: 'warning',
        message: `the budget (${budget}) leaves less than 1 s of the grace period (${sec(settings.graceMs)})`,
      });
    }
  }
  return {
    startWaves: graph.startWaves,
    shutdown: { budgetMs: settings.budgetMs, graceMs: settings.graceMs, phases, stopWaves, neverStarted, chainMs },
    findings,
  };
}
