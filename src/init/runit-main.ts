// `runit`: runit's PID 1 program. Not PID 1 -> runit's fatal message; as PID 1
// it is tsinit's stage mode (/etc/runit/1, 2, 3).
import { writerOf, type ToolContext } from '../tool.ts';
import { main as tsinitMain } from './main.ts';

export async function main(ctx: ToolContext): Promise<number> {
  if (ctx.pid !== 1) {
    writerOf(ctx, 2)('- runit: fatal: must be run as process no 1.\n');
    return 111;
  }
  return tsinitMain({ ...ctx, argv0: 'runit', args: ctx.args.filter((a) => a !== '--') });
}
