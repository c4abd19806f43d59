// Multi-call dispatch: the basename of argv[0] (or `tsinit TOOL ...`)
// chooses the tool. Tools are loaded lazily so `sv status` does not pay for
// the supervisor's start-up. The choice is pure: the one question that needs
// the file system (is argv[0] a link to sv?) is asked through the caller.
import path from 'node:path';
import type { Executor, ExecPlan, ToolInvocation, ToolMain } from './tool.ts';
import { chpstAliases, isChpstAlias, isToolName, prefixedTool, subcommandsOnly, toolNames, type ToolName } from './tool-names.ts';

type Loader = () => Promise<ToolMain>;

export const tools: Record<ToolName, Loader> = {
  tsinit: async () => (await import('./init/main.ts')).main,
  runit: async () => (await import('./init/runit-main.ts')).main,
  'runit-init': async () => (await import('./init/runit-init.ts')).main,
  sv: async () => (await import('./sv/main.ts')).main,
  runsv: async () => (await import('./supervise/runsv-main.ts')).main,
  runsvdir: async () => (await import('./supervise/runsvdir-main.ts')).main,
  chpst: async () => (await import('./chpst/main.ts')).main,
  svlogd: async () => (await import('./svlogd/main.ts')).main,
  runsvchdir: async () => (await import('./tools/runsvchdir.ts')).main,
  utmpset: async () => (await import('./tools/utmpset.ts')).main,
  health: async () => (await import('./observe/health-main.ts')).main,
  events: async () => (await import('./events/client-main.ts')).main,
  halt: async () => (await import('./init/halt.ts')).main,
  check: async () => (await import('./check/main.ts')).main,
};

/** The executors of exec plans, loaded only when a plan is carried out. */
export const executors: Record<ExecPlan['tool'], () => Promise<Executor>> = {
  chpst: async () => (await import('./chpst/main.ts')).become,
};

export function usage(): string {
  return (
    `usage: tsinit [-- CMD ARGS... | TOOL ARGS... | install DIR | --version]\n` +
    `tools: ${toolNames.filter((t) => t !== 'tsinit').join(' ')}\n`
  );
}

export interface Dispatch {
  tool: ToolName;
  ctx: ToolInvocation;
}

/**
 * The tool for argv0 and args. sv's LSB mode (/etc/init.d/NAME -> .../sv ->
 * tsinit: the link's own name is unknown, but what it points at is named sv)
 * is asked through linksToSv, only when the name itself decides nothing.
 */
export function dispatch(argv0: string, args: string[], linksToSv: (argv0: string) => boolean): Dispatch | { error: string } {
  const base = path.basename(argv0);
  // Invoked by name: argv0 stays as given, since runit's usage lines print it so.
  if (isToolName(base) && base !== 'tsinit' && !subcommandsOnly.has(base)) return { tool: base, ctx: { argv0, args } };
  if (isChpstAlias(base)) return { tool: 'chpst', ctx: { argv0, args } };
  // tsinit-health and its kind: the subcommand, as `tsinit health` runs it.
  const prefixed = prefixedTool(base);
  if (prefixed !== undefined) return { tool: prefixed, ctx: { argv0: prefixed, args } };
  if (base !== 'tsinit' && !base.startsWith('tsinit') && !base.startsWith('node') && linksToSv(argv0)) {
    return { tool: 'sv', ctx: { argv0, args, lsbName: base } };
  }
  // tsinit itself: `tsinit TOOL ARGS...` selects a tool by name.
  const first = args[0];
  if (first !== undefined && !first.startsWith('-') && first !== 'install') {
    if (isToolName(first) && first !== 'tsinit') return { tool: first, ctx: { argv0: first, args: args.slice(1) } };
    if (chpstAliases.includes(first)) return { tool: 'chpst', ctx: { argv0: first, args: args.slice(1) } };
    return { error: `tsinit: fatal: unknown tool: ${first}\n${usage()}` };
  }
  return { tool: 'tsinit', ctx: { argv0: 'tsinit', args } };
}
