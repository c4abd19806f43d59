// The names the single executable answers to: which argv[0] (or `tsinit TOOL`)
// selects which tool. A leaf: imports nothing, so any tool may ask "is this
// name chpst?" without pulling in the dispatcher and every tool behind it.

/** Tools by their own name (in usage order). */
export const toolNamesOwn = [
  'tsinit',
  'runit',
  'runit-init',
  'sv',
  'runsv',
  'runsvdir',
  'chpst',
  'svlogd',
  'runsvchdir',
  'utmpset',
  'health',
  'events',
  'halt',
  'check',
] as const;

export type ToolName = (typeof toolNamesOwn)[number];

/** Tools reached only as `tsinit TOOL`: their names are too generic for argv[0]. */
export const subcommandsOnlyNames = ['health', 'events'] as const satisfies readonly ToolName[];
export const subcommandsOnly: ReadonlySet<string> = new Set<string>(subcommandsOnlyNames);

/** chpst's alias names (daemontools compatibility) run chpst with that argv0. */
export const chpstAliasNames = ['envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock'] as const;
export type ChpstAlias = (typeof chpstAliasNames)[number];
export const chpstAliases: readonly string[] = chpstAliasNames;

/** The names a link to the executable may have (argv[0] selects the tool). */
export type LinkName = Exclude<ToolName, (typeof subcommandsOnlyNames)[number]> | ChpstAlias;
export const linkNames: readonly LinkName[] = [
  ...toolNamesOwn.filter((n): n is Exclude<ToolName, (typeof subcommandsOnlyNames)[number]> => !subcommandsOnly.has(n)),
  ...chpstAliasNames,
];

/**
 * Names for tsinit's own subcommands as programs of their own, so that a
 * Docker HEALTHCHECK without a shell can run one (`tsinit install` puts the
 * tool client under these names; the executable answers to them too, which the
 * client's fallback exec needs).
 */
export const prefixedToolNames = ['tsinit-health', 'tsinit-halt', 'tsinit-events', 'tsinit-check'] as const;
export type PrefixedToolName = (typeof prefixedToolNames)[number];
const prefixedTools: Readonly<Record<PrefixedToolName, ToolName>> = {
  'tsinit-health': 'health',
  'tsinit-halt': 'halt',
  'tsinit-events': 'events',
  'tsinit-check': 'check',
};

/** The subcommand a prefixed name (tsinit-health ...) runs, or undefined. */
export function prefixedTool(base: string): ToolName | undefined {
  return (prefixedToolNames as readonly string[]).includes(base) ? prefixedTools[base as PrefixedToolName] : undefined;
}

/** Every name a tool answers to, aliases included. */
export const toolNames: readonly string[] = [...toolNamesOwn, ...chpstAliases];

export function isToolName(name: string): name is ToolName {
  return (toolNamesOwn as readonly string[]).includes(name);
}

/** path.basename without node:path: the last name, trailing slashes ignored. */
function basename(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1);
}

/** An alias name, or one with a single character in front ("-envdir"), as dispatch has always taken. */
export function isChpstAlias(base: string): boolean {
  return chpstAliases.includes(base) || chpstAliases.includes(base.slice(1));
}

/** Whether a program invoked as argv0 is chpst by its name (chpst itself or an alias). */
export function isChpstName(argv0: string): boolean {
  const base = basename(argv0);
  return base === 'chpst' || isChpstAlias(base);
}
