// `tsinit health [--ready] [SERVICEDIR]`: a Docker HEALTHCHECK / exec probe.
// Exit 0 when every service wanted up is up (and ready, with --ready) and not
// unhealthy; else exit 1 with one line per failing service. Reads only the
// supervise files (no FFI, no supervisor), so it works under any runsv.
import path from 'node:path';
import { writerOf, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { pacedSnapshots } from './file-source.ts';
import { readSetting } from '../settings.ts';
import { stoppingMarked } from '../runtime/stopping.ts';
import { failureLine, failures } from './verdict.ts';

const USAGE = 'usage: tsinit health [--ready] [SERVICEDIR]\n';

export async function main(ctx: ToolContext): Promise<number> {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  let ready = false;
  let svdir: string | undefined;
  for (const a of ctx.args) {
    if (a === '--ready') ready = true;
    else if (a === '-h' || a === '--help') {
      out(USAGE);
      return 0;
    } else if (a.startsWith('-') || svdir !== undefined) {
      err(`tsinit health: fatal: unknown argument: ${a}\n${USAGE}`);
      return 100;
    } else svdir = a;
  }
  const dir = svdir ?? readSetting('serviceDir', ctx.env);
  // read from the caller's directory; messages name the directory as given
  const at = path.resolve(ctx.cwd, dir);
  const lines: string[] = [];
  if (ready && stoppingMarked(readSetting('runDir', ctx.env), at)) lines.push('tsinit: shutting down');
  try {
    for (const f of failures(await pacedSnapshots(at, ctx.nextTurn), { ready })) lines.push(failureLine(f));
  } catch (e) {
    lines.push(`${dir}: unable to read the service directory: ${errstrOf(e)}`);
  }
  if (lines.length === 0) return 0;
  out(`${lines.join('\n')}\n`);
  return 1;
}
