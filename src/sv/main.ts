// sv: control and report runsv-supervised services (runit 2.1.2 as Debian
// ships it, reference spec section 4), also as an LSB init script when
// reached through /etc/init.d/NAME -> sv. tsinit adds `sv --json status`.
import { writerOf, type ToolContext } from '../tool.ts';
import { parseArgs, scanUlong, usageText } from './args.ts';
import { resolveCommand } from './commands.ts';
import { jsonStatus } from './json-report.ts';
import { capExit, modeOf, usageExit } from './lsb.ts';
import { Session, SvExit } from './session.ts';
import { setRawNames } from './service.ts';
import { rawNames } from '../util/raw-argv.ts';
import { readSetting } from '../settings.ts';

const DEFAULT_WAIT = 7;

export async function main(ctx: ToolContext): Promise<number> {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  const { progname, lsb } = modeOf(ctx.argv0, ctx.lsbName);
  const usage = (stderr = ''): number => {
    err(stderr + usageText(progname, lsb));
    return usageExit(lsb);
  };

  // tsinit: an image that moved its services (TSINIT_SERVICE_DIR in its
  // environment) needs no SVDIR as well for `docker exec C sv status web`;
  // without either, runit's /etc/service (settings.ts's default).
  const svdir = ctx.env.SVDIR ?? readSetting('serviceDir', ctx.env);
  const svwait = ctx.env.SVWAIT;
  const parsed = parseArgs(progname, ctx.args);
  if (parsed.kind === 'usage') return usage(parsed.stderr);
  const opts = parsed.options;
  // LSB mode: the one service is the link's own name; extra words are ignored.
  const services = lsb ? [progname] : opts.services;
  if (services.length === 0) return usage();
  // A service named with bytes that are not UTF-8 is found by its bytes.
  if (!lsb) setRawNames(rawNames(ctx.args));
  const waitSec = opts.waitSec ?? (svwait !== undefined ? scanUlong(svwait) : DEFAULT_WAIT);

  const command = resolveCommand(opts.action, lsb, opts.verbose);
  if (!command) return usage();
  if (opts.json) {
    if (command.act !== 'status') return usage();
    return capExit(await jsonStatus(services, svdir, ctx.cwd, out, ctx.nextTurn));
  }

  const session = new Session({
    command,
    lsb,
    svdir,
    waitSec,
    cwd: ctx.cwd,
    env: ctx.env,
    stdin: ctx.stdin,
    stderr: ctx.stderr,
    out,
    err,
    gone: ctx.gone,
    nextTurn: ctx.nextTurn,
  });
  try {
    return capExit(await session.run(services));
  } catch (e) {
    if (e instanceof SvExit) return e.code;
    throw e;
  }
}
