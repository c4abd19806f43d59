// runit's runsvchdir and utmpset print argv[0] exactly as invoked (a full
// path stays a full path). The dispatcher hands tools the basename; when the
// process was started under that very name, process.argv0 still has the rest.
import path from 'node:path';
import type { ToolContext } from '../tool.ts';

export function invokedAs(ctx: ToolContext): string {
  const a0 = process.argv0;
  return a0 !== ctx.argv0 && path.basename(a0) === ctx.argv0 ? a0 : ctx.argv0;
}
