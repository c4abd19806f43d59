// dependencies.d/ at boot and at shutdown, for the supervisor. Pure: the
// supervisor gives it the services it tracks and what they report, and acts
// on the answers (hold a runsv's first start, release it, stop in order).
//  * start: a service's first ./run waits until each of its dependencies is
//    ready; a missing dependency or a cycle (and whatever depends on such a
//    service) is an error and that service is not started;
//  * stop: a service is stopped only once every service that depends on it
//    is down, so a chain stops from the dependant down, and independent
//    branches stop in parallel.
import { planDependencies, problemText, type DependencyPlan } from './dependency-graph.ts';

export interface GateService {
  name: string;
  dependencies: readonly string[];
}

export type Hold = { waitingFor: string[] } | { dependencyError: string };

/** The plan over every service the supervisor knows. */
export function planFor(services: Iterable<GateService>): DependencyPlan {
  const m = new Map<string, readonly string[]>();
  for (const s of services) m.set(s.name, s.dependencies);
  return planDependencies(m);
}

/** Why a service's first start must wait, or undefined when it may start now. */
export function holdFor(s: GateService, plan: DependencyPlan, isReady: (name: string) => boolean): Hold | undefined {
  const problem = plan.problems.find((p) => p.service === s.name);
  if (problem) return { dependencyError: problemText(problem) };
  const waitingFor = notReady(s, isReady);
  return waitingFor.length > 0 ? { waitingFor } : undefined;
}

export function notReady(s: GateService, isReady: (name: string) => boolean): string[] {
  return [...new Set(s.dependencies)].filter((d) => !isReady(d));
}

export interface StopEntry {
  name: string;
  dependencies: readonly string[];
  /** ask it to stop (runsv's terminate) */
  stop(): void;
  /** resolves when it is down (its runsv finished) */
  done: Promise<unknown>;
}

/**
 * Stop each service once all its dependants are down. Services in a cycle
 * (or otherwise unplannable) are stopped at once: they were never started by
 * the plan, and waiting on each other would never end.
 */
export function stopInDependencyOrder(entries: readonly StopEntry[]): Promise<void> {
  const plan = planFor(entries);
  const problem = new Set(plan.problems.map((p) => p.service));
  const byName = new Map(entries.map((e) => [e.name, e]));
  const dependants = new Map<string, StopEntry[]>();
  for (const e of entries) {
    for (const d of new Set(e.dependencies)) {
      if (d === e.name || !byName.has(d)) continue;
      const list = dependants.get(d) ?? [];
      list.push(e);
      dependants.set(d, list);
    }
  }
  const safe = (p: Promise<unknown>): Promise<void> => p.then(noop, noop);
  const all = entries.map((e) => {
    const before = problem.has(e.name) ? [] : (dependants.get(e.name) ?? []);
    const go = (): Promise<void> => {
      try {
        e.stop();
      } catch {
        // the caller's stop reports its own failures
      }
      return safe(e.done);
    };
    if (before.length === 0) return go();
    return Promise.all(before.map((b) => safe(b.done))).then(go);
  });
  return Promise.all(all).then(noop);
}

function noop(): void {}
