// The effect side of chpst's fast path: reads the run script, gathers the
// facts fast-plan.ts decides from, and returns what to posix_spawn instead of
// the script: its own shell, told to exec the exec helper with the
// operation list. The shell stays because it is what runit runs too: the
// environment it exports (PWD, SHLVL, order) is then the same by
// construction, and it costs about 1 ms, not a Node start. It lives with
// the supervisor that runs the scripts; chpst's own rules stay in chpst/.
import fs from 'node:fs';
import path from 'node:path';
import { execHelperPath } from '../../native/exec-helper.ts';
import { getpriority, getrlimit, PRIO_PROCESS } from '../../native/libc.ts';
import { readEnvdirAt } from '../chpst/envdir.ts';
import { planFastChpst, shellLookup, type FastPlanSystem } from '../chpst/fast-plan.ts';
import { filesDb } from '../chpst/ids.ts';
import { parseExecOneLiner } from './run-script.ts';

/** The largest run script looked at: the one-liner is a few lines. */
const MAX_SCRIPT = 4096;

export interface FastStart {
  /** what to posix_spawn: the script's interpreter */
  path: string;
  argv: string[];
  /** the script's `exec 2>&1`: the child's stderr is its stdout */
  stderrToStdout: boolean;
}

let self: { dev: number; ino: number } | undefined | null;

function selfId(): { dev: number; ino: number } | undefined {
  if (self === undefined) {
    try {
      const st = fs.statSync(process.execPath);
      self = { dev: st.dev, ino: st.ino };
    } catch {
      self = null;
    }
  }
  return self ?? undefined;
}

/** What a file is to the fast path: executable, this very executable, executable by others (shared with the tool service's chpst). */
export const probeFile: FastPlanSystem['probe'] = (file) => {
  const me = selfId();
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  const executable = st.isFile() && (st.mode & 0o111) !== 0;
  return { executable, tsinit: executable && me !== undefined && st.dev === me.dev && st.ino === me.ino, otherExec: (st.mode & 0o001) !== 0 };
};

function realSystem(cwd: string): FastPlanSystem {
  return {
    cwd,
    probe: probeFile,
    db: filesDb,
    readEnvdir: (base, dir, skipDirs, verbose, warn) => readEnvdirAt(base, dir, { skipDirs, verbose, warn }),
    hardLimit: (res) => getrlimit(res).hard,
    nice: getpriority(PRIO_PROCESS, 0),
    root: (process.geteuid?.() ?? 0) === 0,
  };
}

/**
 * A start script's text when it is worth looking at for a fast or in-process
 * start (a regular, executable file of at most 4096 bytes), else null (the
 * real exec then reports what is wrong). log/run's start reads it once for
 * both looks (runsv-launch.ts).
 */
export function readStartScript(file: string): string | null {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || (st.mode & 0o111) === 0 || st.size > MAX_SCRIPT) return null;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The fast start for script `file` (run, finish, log/run) in directory `cwd`
 * with environment `env` (`text`: the script as readStartScript read it, when
 * the caller did already); 'slow-chpst' when it is the one-liner of tsinit's
 * chpst but the fast path cannot reproduce it (the script runs as usual and
 * execs a Node chpst); undefined: run the script as usual.
 */
export function fastChpstStart(file: string, cwd: string, env: readonly string[], text?: string | null): FastStart | 'slow-chpst' | undefined {
  const script = text === undefined ? readStartScript(file) : text;
  if (script === null) return undefined;
  const one = parseExecOneLiner(script);
  if (!one) return undefined;
  const helper = execHelperPath();
  if (!helper) return undefined;
  const sys = realSystem(path.resolve(cwd));
  const ops = planFastChpst(one.words, env, sys);
  if (!ops) {
    const first = one.words[0] as string;
    const found = shellLookup(first, env, sys);
    return found !== undefined && sys.probe(found)?.tsinit ? 'slow-chpst' : undefined;
  }
  const shell = [one.interpreter, ...(one.interpreterArg !== undefined ? [one.interpreterArg] : [])];
  return {
    path: one.interpreter,
    argv: [...shell, '-c', 'exec "$0" "$@"', helper, ...ops],
    stderrToStdout: one.stderrToStdout,
  };
}
