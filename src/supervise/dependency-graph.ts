// Dependencies between services (dependencies.d/), as a pure graph: which
// services cannot start (a missing dependency, a cycle, or depending on such a
// service), the start order in waves, and the stop order (the reverse: a
// service stops before what it depends on; each wave stops in parallel).
// Used by the supervisor at boot and shutdown and by `tsinit check`.

export interface DependencyProblem {
  kind: 'missing' | 'cycle' | 'blocked';
  /** the service that cannot start */
  service: string;
  /** missing: the absent dependency; cycle: the services of the cycle in order; blocked: the chain to the cause */
  names: string[];
}

export interface DependencyPlan {
  /** start waves: every service of wave n depends only on services of earlier waves */
  startWaves: string[][];
  /** stop waves: the start waves reversed */
  stopWaves: string[][];
  /** services that cannot start, with why; they appear in no wave */
  problems: DependencyProblem[];
}

/** Text for a problem, in runit's message style (without the "NAME: " prefix). */
export function problemText(p: DependencyProblem): string {
  switch (p.kind) {
    case 'missing':
      return `dependency ${p.names[0] ?? '?'} does not exist`;
    case 'cycle':
      return `dependency cycle: ${[...p.names, p.names[0] ?? ''].join(' -> ')}`;
    case 'blocked':
      return `depends on ${p.names.join(' -> ')}, which cannot start`;
  }
}

/** deps: service name -> the names in its dependencies.d/ (services absent from the map are missing). */
export function planDependencies(deps: ReadonlyMap<string, readonly string[]>): DependencyPlan {
  const problems: DependencyProblem[] = [];
  const bad = new Map<string, DependencyProblem>();
  const names = [...deps.keys()].sort();

  for (const s of names) {
    for (const d of deps.get(s) ?? []) {
      if (!deps.has(d) && !bad.has(s)) {
        const p: DependencyProblem = { kind: 'missing', service: s, names: [d] };
        bad.set(s, p);
        problems.push(p);
      }
    }
  }

  // Cycles: Tarjan's strongly connected components, iteratively (no recursion
  // depth limit with thousands of services).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  for (const root of names) {
    if (idx.has(root)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: root, i: 0 }];
    idx.set(root, index);
    low.set(root, index++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1] as { v: string; i: number };
      const edges = (deps.get(top.v) ?? []).filter((d) => deps.has(d));
      if (top.i < edges.length) {
        const w = edges[top.i++] as string;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(top.v, Math.min(low.get(top.v) as number, idx.get(w) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(top.v) as number));
      if (low.get(top.v) === idx.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        const selfLoop = comp.length === 1 && (deps.get(top.v) ?? []).includes(top.v);
        if (comp.length > 1 || selfLoop) {
          const cycle = orderCycle(comp, deps);
          for (const s of comp.sort()) {
            if (bad.has(s)) continue;
            const p: DependencyProblem = { kind: 'cycle', service: s, names: cycle };
            bad.set(s, p);
            problems.push(p);
          }
        }
      }
    }
  }

  // Waves: Kahn's algorithm; whatever depends (transitively) on a bad service is blocked.
  const startWaves: string[][] = [];
  const done = new Set<string>();
  let pending = names.filter((s) => !bad.has(s));
  while (pending.length > 0) {
    const wave: string[] = [];
    const rest: string[] = [];
    for (const s of pending) {
      const ds = deps.get(s) ?? [];
      const blocker = ds.find((d) => bad.has(d));
      if (blocker !== undefined) {
        const cause = bad.get(blocker) as DependencyProblem;
        const chain = cause.kind === 'blocked' ? [blocker, ...cause.names.slice(0)] : [blocker];
        const p: DependencyProblem = { kind: 'blocked', service: s, names: dedupe(chain) };
        bad.set(s, p);
        problems.push(p);
      } else if (ds.every((d) => done.has(d))) wave.push(s);
      else rest.push(s);
    }
    if (wave.length === 0) {
      // Only services that wait on blocked ones remain: go round again to mark them.
      if (rest.length === pending.length) break;
    } else {
      for (const s of wave) done.add(s);
      startWaves.push(wave);
    }
    pending = rest.filter((s) => !bad.has(s));
  }
  return { startWaves, stopWaves: [...startWaves].reverse(), problems };
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** The members of a strongly connected component as one cycle path, starting at the smallest name. */
function orderCycle(comp: string[], deps: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(comp);
  const start = [...comp].sort()[0] as string;
  const pathOut = [start];
  const seen = new Set([start]);
  let cur = start;
  for (;;) {
    const next = (deps.get(cur) ?? []).filter((d) => members.has(d)).sort();
    const back = next.find((d) => d === start);
    const fresh = next.find((d) => !seen.has(d));
    if (fresh === undefined || (back !== undefined && pathOut.length === comp.length)) break;
    pathOut.push(fresh);
    seen.add(fresh);
    cur = fresh;
  }
  return pathOut;
}
