// Placeholder until this tool lands (prints "not built yet", exit 100).
import type { ToolContext } from '../tool.ts';
import { err } from '../util/output.ts';

export function main(ctx: ToolContext): number {
  err(`${ctx.argv0}: not built yet\n`);
  return 100;
}
