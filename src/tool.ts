// The contract between the multi-call dispatcher and each tool: a tool is a
// function of its context (what it was invoked with, the environment, the
// working directory, the three standard descriptors, the caller's
// credentials) to an exit code. The executable's dispatcher (main.ts) is one
// caller; a unit test, or PID 1 serving a thin client, can be another.
import { writeAllSync, writeOut } from './util/output.ts';

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
  /** the caller's credentials */
  uid: number;
  gid: number;
}

/** A tool's entry point; resolves to the process exit code. */
export type ToolMain = (ctx: ToolContext) => Promise<number> | number;

/**
 * A writer for one of the context's descriptors. This process's own 1 and 2
 * go through util/output.ts (its mode: synchronous, or never blocking for the
 * init); any other descriptor is written synchronously.
 */
export function writerTo(fd: number): (text: string | Buffer) => void {
  if (fd === 1 || fd === 2) return (text) => writeOut(fd, text);
  return (text) => writeAllSync(fd, text);
}
