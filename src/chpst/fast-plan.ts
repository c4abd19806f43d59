// chpst's fast path: a run script that is the one-liner `exec chpst OPTIONS
// PROGRAM ARGS...` (or a daemontools alias, or a chain of them) is started
// without a Node process. Every decision is made here, inside the supervisor:
// option parsing (options.ts), account lookup (ids.ts), envdir reading
// (envdir.ts), the limit values (limits.ts), the PATH candidates (process/path-search.ts) and
// the message texts. The result is the operation list for the exec helper
// (native/exec-helper/tsinit-exec.c), which only makes the system calls that
// must happen in the child, in runit's order, and execs the program.
//
// Anything this cannot reproduce exactly yields undefined: the caller then
// runs the script as today (a real chpst). Pure: the system is reached only
// through the FastPlanSystem given.
import { errnoNumber } from '../../native/libc.ts';
import { isChpstName } from '../tool-names.ts';
import { pathCandidates } from '../process/path-search.ts';
import { errstr } from '../util/errstr.ts';
import { applyEnvChanges, envEntry, envGet } from './envdir.ts';
import { ChpstFatal } from './fatal.ts';
import { AccountDbError, accountIds, extendedIds, type AccountDb, type UidGids } from './ids.ts';
import { limitsToApply, softValue } from './limits.ts';
import { parseCommandLine, type Plan, type UserSpec } from './options.ts';

const FATAL = 'chpst: fatal: ';
const WARNING = 'chpst: warning: ';
const LOCK_EX = 2;
const LOCK_NB = 4;
/** dash's and bash's PATH when the environment has none are their own: not ours to guess. */

export interface FastPlanSystem {
  /** the directory the script runs in (absolute) */
  cwd: string;
  /** what a candidate file is: an executable regular file (and whether it is tsinit itself), or not */
  probe(file: string): { executable: boolean; tsinit: boolean; otherExec: boolean } | undefined;
  db: AccountDb;
  /** envdir's changes, read without chdir; throws on any problem; -v's warnings go to warn */
  readEnvdir(base: string, dir: string, skipDirs: boolean, verbose: boolean, warn: (message: string) => void): Buffer[];
  /** the hard limit a child starts with */
  hardLimit(resource: number): bigint;
  /** the nice value a child starts with */
  nice: number;
  /** the supervisor runs as root */
  root: boolean;
}

/** The errno texts as the helper's table: "NUM TEXT" lines. Built once. */
let table: string | undefined;
export function errnoTable(): string {
  if (table !== undefined) return table;
  const names = ['EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD', 'EAGAIN', 'ENOMEM', 'EACCES', 'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG', 'ENOSPC', 'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG', 'ENOLCK', 'ENOSYS', 'ENOTEMPTY', 'ELOOP', 'EUSERS', 'EDQUOT', 'ESTALE', 'EREMOTE', 'ETIMEDOUT', 'EOPNOTSUPP'];
  const lines: string[] = [];
  for (const n of names) {
    const num = errnoNumber(n);
    if (num !== undefined) lines.push(`${num} ${errstr(n)}`);
  }
  table = lines.join('\n');
  return table;
}

/** The file the shell's `exec WORD` runs, or undefined when that is not certain. */
export function shellLookup(word: string, env: readonly string[], sys: FastPlanSystem): string | undefined {
  if (word.includes('/')) return word.startsWith('/') ? word : `${sys.cwd}/${word}`;
  const paths = env.filter((e) => e.startsWith('PATH='));
  if (paths.length !== 1) return undefined; // unset (shell's default) or ambiguous
  for (const c of pathCandidates(Buffer.from(word), Buffer.from((paths[0] as string).slice(5)))) {
    const file = c.toString();
    const abs = file.startsWith('/') ? file : `${sys.cwd}/${file}`;
    if (sys.probe(abs)?.executable) return abs;
  }
  return undefined;
}

function resolveIds(db: AccountDb, user: UserSpec): UidGids | undefined {
  try {
    return user.extended ? extendedIds(db, user.spec) : accountIds(db, user.spec);
  } catch (e) {
    if (e instanceof AccountDbError) return undefined;
    throw e;
  }
}

class Fallback extends Error {}
const fallback = (why: string): never => {
  throw new Fallback(why);
};

interface StageState {
  env: Buffer[];
  uid: number;
  nice: number;
}

/** The operations for one chpst invocation, in runit's order; returns what the next one starts with. */
function stageOps(plan: Plan, st: StageState, sys: FastPlanSystem, ops: string[]): { env: Buffer[]; moved: boolean } {
  const msg = (text: string): void => {
    ops.push('M', '111', `${FATAL}${text}: `);
  };
  const changes: Buffer[] = [];
  let moved = false;
  if (plan.setsid) ops.push('s');
  if (plan.envDir !== undefined) {
    if (st.uid !== 0) fallback('envdir read as another user');
    try {
      const warn = (m: string): void => {
        ops.push('W', `${WARNING}${m}\n`);
      };
      changes.push(...sys.readEnvdir(sys.cwd, plan.envDir, plan.envDirSkipsDirs, plan.verbose, warn));
    } catch {
      fallback('envdir error'); // a real chpst prints it
    }
  }
  if (plan.root !== undefined) {
    msg(`unable to change directory: ${plan.root}`);
    ops.push('c', plan.root);
    msg('unable to change root directory');
    ops.push('r');
    moved = true;
  }
  if (plan.chdir !== undefined) {
    msg(`unable to change directory: ${plan.chdir}`);
    ops.push('c', plan.chdir);
    moved = true;
  }
  if (plan.nice !== 0n) {
    const inc = Number(BigInt.asIntN(32, plan.nice));
    const target = Math.max(-20, Math.min(19, (st.nice + inc) | 0));
    if (target < st.nice && (!sys.root || st.uid !== 0)) fallback('nice needs privilege');
    msg('unable to set nice level');
    ops.push('p', String(target));
    st.nice = target;
  }
  if (plan.envUser) {
    const ids = resolveIds(sys.db, plan.envUser) ?? fallback('account');
    changes.push(envEntry('GID', String(ids.gids[0])), envEntry('UID', String(ids.uid)));
  }
  if (plan.setUser) {
    const ids = resolveIds(sys.db, plan.setUser) ?? fallback('account');
    msg('unable to setgroups');
    ops.push('G', String(ids.gids.length), ...ids.gids.map(String));
    msg('unable to setgid');
    ops.push('g', String(ids.gids[0]));
    msg('unable to setuid');
    ops.push('u', String(ids.uid));
    st.uid = ids.uid;
  }
  const quiet = plan.lock?.quiet === true;
  if (plan.lock) {
    const m = (text: string): void => {
      if (quiet) ops.push('M', '0', '');
      else msg(text);
    };
    m(`unable to open lock: ${plan.lock.file}`);
    ops.push('O', plan.lock.file);
    m(`unable to lock: ${plan.lock.file}`);
    ops.push('F', String(plan.lock.wait ? LOCK_EX : LOCK_EX | LOCK_NB));
  }
  const closes: [boolean, number, string][] = [
    [plan.closeStdin, 0, 'stdin'],
    [plan.closeStdout, 1, 'stdout'],
    [plan.closeStderr, 2, 'stderr'],
  ];
  for (const [on, fd, name] of closes) {
    if (!on) continue;
    msg(`unable to close ${name}`);
    ops.push('x', String(fd));
  }
  const limits = limitsToApply(plan.limits);
  if (limits.length > 0) msg('unable to setrlimit()');
  for (const [res, value] of limits) {
    const hard = sys.hardLimit(res);
    ops.push('l', String(res), String(softValue(value, hard)), String(hard));
  }
  for (const c of changes) {
    // argv words travel as UTF-8 strings: other bytes (an envdir value in
    // Latin-1) go hex-encoded
    const text = c.toString();
    if (Buffer.from(text).equals(c)) ops.push('e', text);
    else ops.push('h', c.toString('hex'));
  }
  return { env: applyEnvChanges(st.env, changes), moved };
}

/**
 * The exec helper's arguments (after its own argv[0]) for the one-liner
 * `exec WORDS...` run in `sys.cwd` with environment `env`, or undefined when
 * the first word is not tsinit's chpst (or an alias) or the fast path cannot
 * reproduce the result exactly.
 */
export function planFastChpst(words: readonly string[], env: readonly string[], sys: FastPlanSystem): string[] | undefined {
  const first = words[0];
  if (first === undefined || !isChpstName(first)) return undefined;
  const file = shellLookup(first, env, sys);
  if (file === undefined || !sys.probe(file)?.tsinit) return undefined;
  return planChpst(first, words.slice(1), env, sys);
}

/**
 * The exec helper's arguments for tsinit's chpst invoked as `argv0 ARGS...`
 * (known to be ours: the fast path's one-liner, or a thin client's call) in
 * `sys.cwd` with environment `env`, or undefined when they cannot reproduce
 * the result exactly.
 */
export function planChpst(first: string, rest: readonly string[], env: readonly string[], sys: FastPlanSystem): string[] | undefined {
  const ops: string[] = ['T', errnoTable()];
  const st: StageState = { env: env.map((e) => Buffer.from(e)), uid: sys.root ? 0 : -1, nice: sys.nice };
  let argv0 = first;
  let args = rest.slice();
  try {
    for (let depth = 0; ; depth++) {
      if (depth > 16) fallback('chain too long');
      const parsed = parseCommandLine(argv0, args);
      if (parsed.kind === 'exit') fallback('usage'); // a real chpst prints it
      if (parsed.kind !== 'run') return undefined;
      const plan = parsed.plan;
      const stageEnv = st.env;
      const { env: nextEnv, moved } = stageOps(plan, st, sys, ops);
      st.env = nextEnv;
      const prog = args.slice(plan.progIndex);
      const progFile = prog[0] as string;
      const nextArgv0 = plan.argv0 ?? progFile;
      // runit searches the PATH of chpst's own environment, before its changes
      const pathValue = envGet(stageEnv, 'PATH');
      const candidates = pathCandidates(Buffer.from(progFile), pathValue).map((c) => c.toString());
      // The file execve would run: the first executable candidate.
      const runs = candidates.find((c) => {
        const p = sys.probe(c.startsWith('/') ? c : `${sys.cwd}/${c}`);
        return p?.executable === true && (st.uid === 0 || p.otherExec);
      });
      const runsChpst = runs !== undefined && sys.probe(runs.startsWith('/') ? runs : `${sys.cwd}/${runs}`)?.tsinit === true && isChpstName(nextArgv0);
      if (runsChpst) {
        if (moved) fallback('chain after chroot/chdir');
        argv0 = nextArgv0;
        args = prog.slice(1);
        continue;
      }
      if (plan.lock?.quiet) ops.push('M', '0', '');
      else ops.push('M', '111', `${FATAL}unable to run: ${nextArgv0}: `);
      for (const c of candidates) ops.push('X', c);
      ops.push('--', nextArgv0, ...prog.slice(1));
      return ops;
    }
  } catch (e) {
    if (e instanceof Fallback || e instanceof ChpstFatal) return undefined;
    throw e;
  }
}
