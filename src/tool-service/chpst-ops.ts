// chpst called through the thin client: its exec plan becomes the exec
// helper's operation words (native/exec-helper/tsinit-exec.c's list), which
// the client carries out on itself and then execs - the operations the
// supervisor's fast path gives the exec helper for the same command line
// (src/chpst/fast-plan.ts decides both). The facts are the caller's: its
// directory, environment (PATH search included), nice value and hard limits
// as the request reports them, and its rights (a non-root caller is planned
// as fast-plan plans a non-root supervisor). What fast-plan cannot plan
// exactly falls back to the full tsinit's chpst.
import { filesDb } from '../chpst/ids.ts';
import { readEnvdirAt } from '../chpst/envdir.ts';
import { planChpst, type FastPlanSystem } from '../chpst/fast-plan.ts';
import { probeFile } from '../supervise/fast-start.ts';
import type { ExecPlan } from '../tool.ts';

/** RLIMIT_CPU .. RLIMIT_RTTIME: the request carries one pair each. */
export const RLIMIT_COUNT = 16;

export interface CallerFacts {
  /** the caller's directory as the tool context names it */
  cwd: string;
  env: readonly Buffer[];
  nice: number;
  /** index = RLIMIT number */
  limits: ReadonlyArray<{ soft: bigint; hard: bigint }>;
  uid: number;
}

export type ChpstOps = { kind: 'exec'; words: Buffer[] } | { kind: 'fallback'; why: string };

/** The file system side of planning (replaced in tests). */
export type PlanFiles = Pick<FastPlanSystem, 'probe' | 'db' | 'readEnvdir'>;

export const realFiles: PlanFiles = {
  probe: probeFile,
  db: filesDb,
  readEnvdir: (base, dir, skipDirs, verbose, warn) => readEnvdirAt(base, dir, { skipDirs, verbose, warn }),
};

/** The planning system for one caller. */
export function callerSystem(caller: CallerFacts, files: PlanFiles = realFiles): FastPlanSystem {
  return {
    ...files,
    cwd: caller.cwd,
    hardLimit: (res) => (caller.limits[res] as { hard: bigint }).hard,
    nice: caller.nice,
    root: caller.uid === 0,
  };
}

export function chpstOps(plan: ExecPlan, caller: CallerFacts, files: PlanFiles = realFiles): ChpstOps {
  if (caller.limits.length < RLIMIT_COUNT) return { kind: 'fallback', why: `${caller.limits.length} limits in the request` };
  const env = caller.env.map((e) => e.toString());
  const ops = planChpst(plan.argv0, plan.args, env, callerSystem(caller, files));
  if (!ops) return { kind: 'fallback', why: 'not planned exactly' };
  return { kind: 'exec', words: ops.map((w) => Buffer.from(w)) };
}
