// `tsinit check [--strict] [--json] [--grace SECONDS] [SERVICEDIR]`: lint
// every service directory, print the start order and the shutdown plan.
// Exit 0 when clean (or warnings only), 1 for warnings with --strict, 2 for errors.
import { readSetting } from '../settings.ts';
import { writerOf, type ToolContext } from '../tool.ts';
import { runCheck } from './run-check.ts';
import { formatReport } from './format.ts';

const USAGE = 'usage: tsinit check [--strict] [--json] [--grace SECONDS] [SERVICEDIR]\n';

export interface CheckArgs {
  strict: boolean;
  json: boolean;
  graceS: number | null;
  dir: string | null;
}

export function parseCheckArgs(args: string[]): CheckArgs | { error: string } {
  const r: CheckArgs = { strict: false, json: false, graceS: null, dir: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--strict') r.strict = true;
    else if (a === '--json') r.json = true;
    else if (a === '--grace' || a.startsWith('--grace=')) {
      const v = a === '--grace' ? args[++i] : a.slice('--grace='.length);
      const n = v !== undefined && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n) || n <= 0 || n > 1e7) return { error: `tsinit check: fatal: --grace needs a number of seconds, got ${v ?? 'nothing'}` };
      r.graceS = n;
    } else if (a === '--') {
      if (args.length > i + 2 || r.dir !== null) return { error: 'tsinit check: fatal: one SERVICEDIR at most' };
      r.dir = args[i + 1] ?? null;
      break;
    } else if (a.startsWith('-')) return { error: `tsinit check: fatal: unknown option: ${a}` };
    else if (r.dir !== null) return { error: 'tsinit check: fatal: one SERVICEDIR at most' };
    else r.dir = a;
  }
  return r;
}

export function checkExitCode(errors: number, warnings: number, strict: boolean): number {
  if (errors > 0) return 2;
  if (warnings > 0 && strict) return 1;
  return 0;
}

export async function main(ctx: ToolContext): Promise<number> {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  const a = parseCheckArgs(ctx.args);
  if ('error' in a) {
    err(`${a.error}\n${USAGE}`);
    return 100;
  }
  const dir = a.dir ?? readSetting('serviceDir', ctx.env);
  const report = await runCheck(dir, ctx.env, a.graceS, ctx.cwd, ctx.nextTurn);
  out(a.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return checkExitCode(report.errors, report.warnings, a.strict);
}
