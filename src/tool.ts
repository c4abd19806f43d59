// The contract between the multi-call dispatcher and each tool.

export interface ToolContext {
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

/** A tool's entry point; resolves to the process exit code. */
export type ToolMain = (ctx: ToolContext) => Promise<number> | number;
