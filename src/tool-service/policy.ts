// PID 1's policy for a call of the thin tool client (issue 18): run the tool
// here, answer FALLBACK (the client execs the full tsinit, which the kernel
// then judges as the caller, exactly as without the service), or refuse.
// Pure: the handler gathers the facts, this decides. (TSINIT_TOOLS=off has no
// socket at all: the client falls back when it cannot connect.)
//
// In-process work is done by root (PID 1) for the caller, so only what the
// caller could do itself, judged by tsinit, runs here: every tool for a root
// caller; for anyone else only chpst (whose plan the client carries out with
// its own rights; reading an envdir would be PID 1 reading files for it, so
// that falls back) and svlogd (which acts as the caller).
import { parseCommandLine } from '../chpst/options.ts';
import { IN_PROCESS_LOG_DIRS_MAX, logDirCount } from '../svlogd/options.ts';
import type { ToolName } from '../tool-names.ts';

/** What a root caller may have run in-process. */
export const ROOT_TOOLS: ReadonlySet<ToolName> = new Set<ToolName>([
  'sv',
  'chpst',
  'svlogd',
  'runsvdir',
  'runsvchdir',
  'utmpset',
  'health',
  'events',
  'halt',
  'check',
]);

/** What a non-root caller may have run in-process (chpst without an envdir). */
export const NON_ROOT_TOOLS: ReadonlySet<ToolName> = new Set<ToolName>(['chpst', 'svlogd']);

/** Tools that would start services: refused outright while tsinit stops (a fallback one would start them). */
export const STARTS_SERVICES: ReadonlySet<ToolName> = new Set<ToolName>(['runsvdir', 'runsv']);

/**
 * Tools that stay for the caller's lifetime: the transport does not count
 * them against the uid's bound on calls in flight (64 for a non-root uid,
 * calls without a request included: the transport answers FALLBACK beyond).
 */
export const LONG_RUNNING: ReadonlySet<ToolName> = new Set<ToolName>(['svlogd', 'runsvdir', 'events']);

export interface CallFacts {
  /** the caller's pid from SO_PEERCRED: 0 when it is outside our PID namespace */
  pid: number;
  uid: number;
  /** the caller's root directory (the root fd) is PID 1's `/` */
  sameRoot: boolean;
  /**
   * the caller's `/` is on PID 1's own mount of it: a caller in another mount
   * namespace (unshare -m) has copies of every mount, under other ids, and
   * paths that PID 1 would resolve in its own namespace, not the caller's
   */
  sameMounts: boolean;
  /**
   * argv0 could be sv's LSB link (/etc/init.d/NAME), which is read for root
   * callers only: what dispatch made of it is then not certain
   */
  linkUnread: boolean;
  /** the caller sent its directory (a descriptor) */
  hasDir: boolean;
  /** argv, environment and directory are UTF-8 text (tools take strings; other bytes go to the full tsinit) */
  text: boolean;
  /**
   * What dispatch made of argv: a tool, or an answer that is only text
   * (--help, tsinit --version, an unknown tool's usage) printed through the
   * call's own output, the same for everyone.
   */
  call: { kind: 'tool'; tool: ToolName; argv0: string; args: readonly string[] } | { kind: 'text' };
  /** a shutdown was requested */
  stopping: boolean;
  /** tools this PID 1 can run for a client (context-driven); others fall back */
  served: ReadonlySet<ToolName>;
}

export type Decision =
  | { kind: 'run' }
  | { kind: 'fallback'; why: string }
  /** answered here with this message on stderr and exit code: never a fallback */
  | { kind: 'refuse'; code: number; message: string };

const fallback = (why: string): Decision => ({ kind: 'fallback', why });

/** Does this chpst command line make chpst read files (an envdir) before it changes ids? */
export function chpstReadsFiles(argv0: string, args: readonly string[]): boolean {
  const parsed = parseCommandLine(argv0, args);
  return parsed.kind === 'run' && parsed.plan.envDir !== undefined;
}

export function decide(f: CallFacts): Decision {
  if (f.pid === 0) return fallback('caller outside our PID namespace');
  if (!f.sameRoot) return fallback('caller in another root directory');
  if (!f.sameMounts) return fallback('caller in another mount namespace');
  if (!f.hasDir) return fallback('no directory descriptor');
  if (!f.text) return fallback('arguments, environment or directory not UTF-8');
  if (f.linkUnread) return fallback('argv0 may be a link to sv (not read for a non-root caller)');
  if (f.call.kind === 'text') return { kind: 'run' };
  const { tool } = f.call;
  if (f.stopping && STARTS_SERVICES.has(tool)) return { kind: 'refuse', code: 111, message: 'tsinit: fatal: tsinit is stopping\n' };
  if (!ROOT_TOOLS.has(tool)) return fallback(`${tool} does not run in-process`);
  if (!f.served.has(tool)) return fallback(`${tool} is not served to clients by this tsinit`);
  if (tool === 'svlogd' && logDirCount(f.call.argv0, [...f.call.args]) > IN_PROCESS_LOG_DIRS_MAX) {
    return fallback(`svlogd with more than ${IN_PROCESS_LOG_DIRS_MAX} log directories`);
  }
  if (f.uid === 0) return { kind: 'run' };
  if (!NON_ROOT_TOOLS.has(tool)) return fallback(`${tool} for uid ${f.uid}: the kernel judges it`);
  if (tool === 'chpst' && chpstReadsFiles(f.call.argv0, f.call.args)) return fallback('envdir read for a non-root caller');
  return { kind: 'run' };
}
