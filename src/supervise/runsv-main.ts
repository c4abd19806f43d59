// `runsv dir`: supervise one service directory (reference spec 3).
// Exit 1 on usage, 111 on start-up failure, 0 after `x` or SIGTERM.
import { writerOf, type ToolContext } from '../tool.ts';
import { startRunsv } from './runsv.ts';
import { scheduleTrim } from '../process/trim.ts';
import { rawNames } from '../util/raw-argv.ts';

export async function main(ctx: ToolContext): Promise<number> {
  const dir = ctx.args[0];
  if (dir === undefined || ctx.args.length !== 1) {
    writerOf(ctx, 2)(`usage: ${ctx.argv0} dir\n\n`);
    return 1;
  }
  // A directory named with bytes that are not UTF-8 is opened by its bytes.
  const raw = rawNames(ctx.args).get(dir);
  // The handler is in place before the service starts (as in runit): a
  // SIGTERM right after supervise/stat says "run" must stop the service, not
  // kill runsv by the default action and orphan it. Node runs the listener
  // from the event loop, so it never sees `handle` unset.
  let handle: ReturnType<typeof startRunsv> | undefined;
  const onTerm = (): void => handle?.terminate();
  process.on('SIGTERM', onTerm);
  handle = startRunsv(raw ?? dir, {
    name: `runsv ${dir}`,
    ...(raw ? { rawName: Buffer.concat([Buffer.from('runsv '), raw]) } : {}),
  });
  scheduleTrim();
  const code = await handle.done;
  process.removeListener('SIGTERM', onTerm);
  return code;
}
