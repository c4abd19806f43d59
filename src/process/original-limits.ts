// The soft RLIMIT_NOFILE tsinit was started with, for its children.
//
// Node raises its own soft open-files limit to the hard limit in
// PlatformInit, before any JavaScript runs (node.cc; only embedders can skip
// it with ProcessInitializationFlags::kNoAdjustResourceLimits: no CLI flag,
// NODE_OPTIONS or SEA setting reaches it). Children inherit the raised value,
// where under runit they get the container's. The value Node overwrote is
// visible to nothing inside this process afterwards, so it is learnt from
// outside, in this order:
//   1. TSINIT_RLIMIT_NOFILE=N in tsinit's environment (set by whoever starts
//      it, e.g. `sh -c 'TSINIT_RLIMIT_NOFILE=$(ulimit -Sn) exec tsinit'`);
//      removed from the environment children get;
//   2. the parent process's soft limit, when the parent is visible, has the
//      same hard limit, and was not raised itself (soft below hard): what we
//      inherited at fork.
// Otherwise (PID 1 of a container whose runtime set soft < hard, with no
// variable) the original is unknown and children keep tsinit's own limit.
// The other limits Node leaves alone.
import fs from 'node:fs';
import { SETTINGS, takeSetting } from '../settings.ts';

export const RLIMIT_NOFILE = 7;
export const NOFILE_ENV = SETTINGS.rlimitNofile.name;
const INFINITY = 0xffffffffffffffffn;

export interface SoftHard {
  soft: bigint;
  hard: bigint;
}

/** "Max open files" of a /proc/PID/limits text. */
export function parseNofile(text: string): SoftHard | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  const num = (s: string): bigint | undefined => (s === 'unlimited' ? INFINITY : /^[0-9]+$/.test(s) ? BigInt(s) : undefined);
  const soft = num(m[1] as string);
  const hard = num(m[2] as string);
  return soft === undefined || hard === undefined ? undefined : { soft, hard };
}

/**
 * The original soft limit, or undefined when it is unknown or equal to the
 * current one. Pure: `own` is our limit now (after Node), `env` the
 * variable's value (settings.ts; null when unset), `parent` the parent's limit.
 */
export function originalSoft(own: SoftHard, env: bigint | 'unlimited' | null, parent: SoftHard | undefined): bigint | undefined {
  let soft: bigint | undefined;
  if (typeof env === 'bigint') {
    soft = env > own.hard ? own.hard : env;
  } else if (env === 'unlimited') {
    soft = own.hard;
  } else if (parent && parent.hard === own.hard && parent.soft < parent.hard && parent.soft <= own.soft) {
    soft = parent.soft;
  }
  return soft === undefined || soft === own.soft ? undefined : soft;
}

let recorded: { soft: bigint; hard: bigint } | undefined | null;

function readLimits(pid: number | 'self'): SoftHard | undefined {
  try {
    return parseNofile(fs.readFileSync(`/proc/${pid}/limits`, 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * Learn the original soft limit (call at start-up, before the parent may
 * have gone). Reads /proc only: no FFI for tools that never start a child.
 */
export function recordOriginalLimits(): void {
  if (recorded !== undefined) return;
  const env = takeSetting('rlimitNofile');
  const own = readLimits('self');
  const ppid = process.ppid;
  const parent = env === null && ppid > 0 ? readLimits(ppid) : undefined;
  const soft = own ? originalSoft(own, env, parent) : undefined;
  recorded = soft !== undefined && own ? { soft, hard: own.hard } : null;
}

/** [resource, soft, hard] each child must be given instead of tsinit's own. */
export function childBaseLimits(): (readonly [number, bigint, bigint])[] {
  if (recorded === undefined) recordOriginalLimits();
  return recorded ? [[RLIMIT_NOFILE, recorded.soft, recorded.hard]] : [];
}

/**
 * For a run script that execs tsinit's own chpst (a Node process, which raises
 * the limit again): the variable that tells it the original. That chpst sets
 * it and removes the variable before it execs the program.
 */
export function slowChpstLimitEnv(): string[] {
  const base = childBaseLimits();
  return base.map(([, soft]) => `${NOFILE_ENV}=${soft}`);
}
