// `tsinit`: the init. Stage mode (runit's /etc/runit/1-2-3) without
// arguments, command mode with `-- CMD ARGS...`, and `install DIR`.
import fs from 'node:fs';
import type { ToolContext } from '../tool.ts';
import * as libc from '../../native/libc.ts';
import { createLog } from '../log.ts';
import { reaper } from '../process/reaper.ts';
import { describeExit } from '../process/wait-status.ts';
import { scheduleTrim } from '../process/trim.ts';
import { err } from '../util/output.ts';
import { errstrOf } from '../util/errstr.ts';
import { CommandMode } from './command-mode.ts';
import { readInitConfig, stagePath } from './config.ts';
import { ExitCode } from './exit-codes.ts';
import { installGuards } from './guard.ts';
import { install } from './install.ts';
import { FORWARDED_SIGNALS } from './signals.ts';
import { StageMode, type BuiltinStage2 } from './stage-mode.ts';
import { realSystem } from './system.ts';
import { controlDirOf, realHaltChannel } from './halt-request.ts';

const USAGE = 'usage: tsinit [-g] [-- CMD [ARGS...]]\n       tsinit TOOL [ARGS...]\n       tsinit install DIR\n       tsinit --version\n\n';

export interface InitArgs {
  mode: 'stages' | 'command' | 'install' | 'help';
  group: boolean;
  command: string[];
  installDir?: string;
}

export function parseInitArgs(args: string[]): InitArgs | { error: string } {
  const r: InitArgs = { mode: 'stages', group: false, command: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') {
      r.command = args.slice(i + 1);
      if (r.command.length === 0) return { error: 'tsinit: fatal: no command after --' };
      r.mode = 'command';
      return r;
    }
    if (a === '-g') r.group = true;
    else if (a === '-h' || a === '--help') return { ...r, mode: 'help' };
    else if (a === 'install' && i === 0) {
      const dir = args[1];
      if (dir === undefined || args.length > 2) return { error: 'usage: tsinit install DIR' };
      return { ...r, mode: 'install', installDir: dir };
    } else return { error: `tsinit: fatal: unknown option: ${a}` };
  }
  return r;
}

function becomeReaper(log: ReturnType<typeof createLog>): boolean {
  const isPid1 = process.pid === 1;
  if (isPid1) return true;
  try {
    libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1);
    log.debug('not PID 1: running as a child subreaper');
  } catch (e) {
    log.warn(`not PID 1 and unable to become a child subreaper (${errstrOf(e)}): orphans will not be reaped by tsinit`);
  }
  return false;
}

interface BuiltinHooks {
  report: (line: string) => void;
  /** an essential service ended: the container's exit code and the shutdown */
  essentialEnded: (service: string, code: number, reason: string) => void;
  /** findings of `tsinit check` at boot */
  finding: (line: string, severity: 'error' | 'warning') => void;
}

async function loadBuiltin(serviceDir: string, hooks: BuiltinHooks): Promise<BuiltinStage2> {
  const { createSupervisor } = await import('../supervise/supervisor.ts');
  const { checkInBackground } = await import('../check/boot.ts');
  // tsinit check's findings, in slices beside the supervisor (never holding up a start).
  checkInBackground(serviceDir, hooks.finding);
  return createSupervisor({ dir: serviceDir, report: hooks.report, onEssentialEnded: hooks.essentialEnded });
}

export async function main(ctx: ToolContext): Promise<number> {
  const parsed = parseInitArgs(ctx.args);
  if ('error' in parsed) {
    err(`${parsed.error}\n${USAGE}`);
    return ExitCode.USAGE;
  }
  if (parsed.mode === 'help') {
    err(USAGE);
    return 0;
  }
  if (parsed.mode === 'install') return install(parsed.installDir as string);

  const cfg = readInitConfig(process.env);
  const log = createLog({ format: cfg.logFormat, level: cfg.logLevel });
  installGuards(process, log);
  try {
    libc.preload();
  } catch (e) {
    err(`tsinit: fatal: unable to load the libc binding: ${String(e)}\n`);
    return ExitCode.FATAL;
  }
  const isPid1 = becomeReaper(log);
  const sys = realSystem(isPid1);
  reaper.onError = (e) => log.error({ err: String(e) }, 'reaper error');
  reaper.onOrphan = (st) => log.debug({ pid: st.pid, status: describeExit(st) }, 'reaped orphan');
  reaper.start();
  // Most of an idle Node process is code it ran once: give it back (process/trim.ts).
  scheduleTrim((e) => log.debug(`unable to trim clean pages: ${errstrOf(e)}`));

  if (parsed.mode === 'command') {
    // Stage 1, if there is one, prepares the container as in stage mode.
    if (fs.existsSync(stagePath(cfg, 1))) {
      const stage1 = new StageMode({ cfg, sys, log, builtin: () => Promise.reject(new Error('no stage 2 in command mode')) });
      const ok = await stage1.runStage1Only();
      if (!ok) log.warn('stage 1 failed; starting the command anyway');
    }
    const cmd = new CommandMode(cfg, sys, log, { argv: parsed.command, group: parsed.group });
    for (const sig of FORWARDED_SIGNALS) process.on(sig, () => cmd.forward(sig));
    const code = await cmd.run();
    return code;
  }

  const stages = new StageMode({
    cfg,
    sys,
    log,
    builtin: (dir) =>
      loadBuiltin(dir, {
        report: (line) => err(line.endsWith('\n') ? line : `${line}\n`),
        essentialEnded: (service, code, reason) => stages.halt(code, `essential service ${service}: ${reason}`),
        finding: (line, severity) => (severity === 'error' ? log.error(`check: ${line}`) : log.warn(`check: ${line}`)),
      }),
    halt: realHaltChannel(controlDirOf(process.env)),
  });
  const handled: NodeJS.Signals[] = ['SIGTERM', 'SIGCONT', 'SIGINT', 'SIGPWR', 'SIGALRM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  for (const sig of handled) process.on(sig, () => stages.handleSignal(sig));
  const code = await stages.run();
  return code;
}
