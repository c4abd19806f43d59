// Exit-code remapping (tini's -e, TSINIT_EXIT_REMAP): applied once, to the
// final exit code of tsinit in command mode and stage mode alike. Pure.

export type ExitRemap = ReadonlyMap<number, number>;

/** The environment's mapping with the command line's on top (-e CODE is CODE:0). */
export function combineRemaps(env: ExitRemap, exitZero: readonly number[]): ExitRemap {
  const m = new Map(env);
  for (const c of exitZero) m.set(c, 0);
  return m;
}

/** One step, no chains: with 143:1 and 1:0, 143 becomes 1. */
export function remapExitCode(code: number, remap: ExitRemap): number {
  return remap.get(code) ?? code;
}
