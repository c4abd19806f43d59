// The contract between the multi-call dispatcher and each tool: a tool is a
// function of its context (what it was invoked with, the environment, the
// working directory, the three standard descriptors, the caller's
// credentials) to an exit code, or to an exec plan when the caller must
// become another program (chpst). The executable's dispatcher (main.ts) is
// one caller; a unit test, or PID 1 serving a thin client, can be another.
import { writeAllSync, writeOut } from './util/output.ts';
import type { NextTurn } from './util/pace.ts';

/** What the dispatcher decides from argv alone. */
export interface ToolInvocation {
  /**
   * argv[0] as the tool should print it: as invoked ("/usr/bin/sv",
   * "/etc/init.d/web" in LSB mode), or the tool name after `tsinit TOOL`
   */
  argv0: string;
  /** the arguments after argv[0] */
  args: string[];
  /** LSB init-script mode of sv: the service name (basename of the link) */
  lsbName?: string;
}

export interface ToolContext extends ToolInvocation {
  /** the caller's environment */
  env: Readonly<Record<string, string | undefined>>;
  /** the caller's working directory (absolute); relative paths are taken from here */
  cwd: string;
  /** the caller's standard descriptors */
  stdin: number;
  stdout: number;
  stderr: number;
  /** the caller's credentials (as SO_PEERCRED gives them: pid, uid, gid) */
  pid: number;
  uid: number;
  gid: number;
  /** the caller's supplementary groups (SO_PEERGROUPS); absent: this process's own */
  groups?: readonly number[];
  /**
   * Where the tool's own text for its stdout (1) and stderr (2) goes. Absent:
   * written to ctx.stdout / ctx.stderr (writerTo). PID 1 serving a client
   * relays it over the client's socket instead: never blocking, bounded.
   * ctx.stdout/ctx.stderr stay the caller's descriptors, for children.
   */
  write?: (stream: 1 | 2, text: string | Buffer) => void;
  /**
   * The signals a long-running tool (svlogd, runsvdir) listens to. Absent:
   * this process's own (process.on). PID 1 serving a client: the ones the
   * client forwards.
   */
  signals?: SignalSource;
  /** runsvdir's proctitle log. Absent: process.title */
  setTitle?: (title: string) => void;
  /**
   * Settles when the caller is gone (PID 1 serving a client: the client's
   * connection closed before the tool ended). A long-running tool then ends
   * as if killed: nothing more reaches the caller. Absent: never.
   */
  gone?: Promise<void>;
  /**
   * Ends the current event-loop turn: a tool whose work grows with its
   * input (sv, check, health over many services) awaits it every few items
   * (util/pace.ts), so PID 1 serving it never loops over the whole list in
   * one turn. Absent: setImmediate. A test counts the turns through it.
   */
  nextTurn?: NextTurn;
}

/** Signals as a tool receives them: process.on's shape, so `process` is one. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/**
 * What the calling process must become: chpst changes the process itself
 * (session, root, directory, ids, limits, descriptors) and then execs its
 * program, which only that process can do. The tool validates its command
 * line and answers with this plan; the caller carries it out with the tool's
 * executor (dispatch.ts: executors). Data only: it can cross a socket.
 */
export interface ExecPlan {
  /** whose executor carries the plan out */
  readonly tool: 'chpst';
  /** the validated command line: the state it names, then its program */
  readonly argv0: string;
  readonly args: readonly string[];
}

export type ToolResult = number | ExecPlan;

/** A tool's entry point; resolves to the process exit code or an exec plan. */
export type ToolMain = (ctx: ToolContext) => Promise<ToolResult> | ToolResult;

/** Carries an exec plan out in this process: returns only when the exec failed (the exit code). */
export type Executor = (plan: ExecPlan, ctx: ToolContext) => number;

/** The writer of a tool's own text on its stdout (1) or stderr (2): ctx.write, or the descriptor. */
export function writerOf(ctx: Pick<ToolContext, 'write' | 'stdout' | 'stderr'>, stream: 1 | 2): (text: string | Buffer) => void {
  const relay = ctx.write;
  if (relay) return (text) => relay(stream, text);
  return writerTo(stream === 1 ? ctx.stdout : ctx.stderr);
}

/**
 * A writer for one of the context's descriptors. This process's own 1 and 2
 * go through util/output.ts (its mode: synchronous, or never blocking for the
 * init); any other descriptor is written synchronously.
 */
export function writerTo(fd: number): (text: string | Buffer) => void {
  if (fd === 1 || fd === 2) return (text) => writeOut(fd, text);
  return (text) => writeAllSync(fd, text);
}
