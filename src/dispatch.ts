// Multi-call dispatch: the basename of argv[0] (or `tsinit TOOL ...`)
// chooses the tool. Tools are loaded lazily so `sv status` does not pay for
// the supervisor's start-up.
import fs from 'node:fs';
import path from 'node:path';
import type { ToolContext, ToolMain } from './tool.ts';

type Loader = () => Promise<ToolMain>;

export const tools: Record<string, Loader> = {
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

/** Tools reached only as `tsinit TOOL`: their names are too generic for argv[0]. */
const subcommandsOnly = new Set(['health', 'events']);

/** chpst's alias names (daemontools compatibility) run chpst with that argv0. */
const chpstAliases = ['envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock'];

export const toolNames: readonly string[] = [...Object.keys(tools), ...chpstAliases];

export function usage(): string {
  return (
    `usage: tsinit [-- CMD ARGS... | TOOL ARGS... | install DIR | --version]\n` +
    `tools: ${toolNames.filter((t) => t !== 'tsinit').join(' ')}\n`
  );
}

export interface Dispatch {
  tool: string;
  ctx: ToolContext;
}

/**
 * sv's LSB mode: /etc/init.d/NAME -> .../sv -> tsinit. The link's own name is
 * unknown, but what it points at is named sv.
 */
function lsbTarget(invoked: string): boolean {
  try {
    const target = fs.readlinkSync(invoked);
    return path.basename(target) === 'sv';
  } catch {
    return false;
  }
}

export function dispatch(argv0: string, args: string[]): Dispatch | { error: string } {
  const base = path.basename(argv0);
  // Invoked by name: argv0 stays as given, since runit's usage lines print it so.
  if (base in tools && base !== 'tsinit' && !subcommandsOnly.has(base)) return { tool: base, ctx: { argv0, args } };
  if (chpstAliases.includes(base) || chpstAliases.includes(base.slice(1))) {
    return { tool: 'chpst', ctx: { argv0, args } };
  }
  if (base !== 'tsinit' && !base.startsWith('tsinit') && !base.startsWith('node') && lsbTarget(argv0)) {
    return { tool: 'sv', ctx: { argv0, args, lsbName: base } };
  }
  // tsinit itself: `tsinit TOOL ARGS...` selects a tool by name.
  const first = args[0];
  if (first !== undefined && !first.startsWith('-') && first !== 'install') {
    if (first in tools && first !== 'tsinit') return { tool: first, ctx: { argv0: first, args: args.slice(1) } };
    if (chpstAliases.includes(first)) return { tool: 'chpst', ctx: { argv0: first, args: args.slice(1) } };
    return { error: `tsinit: fatal: unknown tool: ${first}\n${usage()}` };
  }
  return { tool: 'tsinit', ctx: { argv0: 'tsinit', args } };
}
