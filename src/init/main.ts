// `tsinit`: the init. Stage mode (runit's /etc/runit/1-2-3) without
// arguments, command mode with `-- CMD ARGS...`, and `install DIR`.
import fs from 'node:fs';
import os from 'node:os';
import { writerOf, type ToolContext } from '../tool.ts';
import * as libc from '../../native/libc.ts';
import { createLog } from '../log.ts';
import { reaper } from '../process/reaper.ts';
import { describeExit } from '../process/wait-status.ts';
import { scheduleTrim } from '../process/trim.ts';
import { err, useNonBlockingOutput } from '../util/output.ts';
import { TSINIT_HELP } from '../help.ts';
import { errstrOf } from '../util/errstr.ts';
import { CommandMode } from './command-mode.ts';
import { readInitConfig, stagePath } from './config.ts';
import { ExitCode } from './exit-codes.ts';
import { installGuards } from './guard.ts';
import { install } from './install.ts';
import { commandModeSignals } from './signals.ts';
import { INIT_SIGNALS, initSignals, type SignalHandler } from './signal-inbox.ts';
import { parseInitArgs, type InitArgs } from './args.ts';
import { combineRemaps, remapExitCode } from './exit-remap.ts';
import { StageMode, type BuiltinStage2 } from './stage-mode.ts';
import { realSystem } from './system.ts';
import { Observability, readObserveConfig } from '../observe/setup.ts';
import { reportSubscriberFailures } from '../events/log-sink.ts';
import type { ServiceMap } from '../observe/inprocess-source.ts';
import { realHaltChannel } from '../runtime/halt-request.ts';
import { claimRuntimeDir } from '../runtime/instance.ts';
import { toolServiceStarter, type RunningToolService } from './tool-service-slot.ts';

const SIG = os.constants.signals;
/** signals that ask the container to stop */
const STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGTERM', 'SIGINT', 'SIGPWR']);

const USAGE =
  'usage: tsinit [-e CODE]... [-p SIG] [-- CMD [ARGS...]]\n' +
  '       tsinit [-g] [-c] [-r FROM:TO]... [-e CODE]... [-p SIG] -- CMD [ARGS...]\n' +
  '       tsinit TOOL [ARGS...]\n       tsinit install DIR\n       tsinit --version\n\n';

export { parseInitArgs, type InitArgs };

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

async function loadBuiltin(serviceDir: string, hooks: BuiltinHooks): Promise<BuiltinStage2 & ServiceMap> {
  const { createSupervisor } = await import('../supervise/supervisor.ts');
  const { checkInBackground } = await import('../check/boot.ts');
  // tsinit check's findings, in slices beside the supervisor (never holding up a start).
  checkInBackground(serviceDir, hooks.finding);
  // As Debian's /etc/runit/2 (runsvdir -P): every service in a session of its own.
  return createSupervisor({ dir: serviceDir, report: hooks.report, onEssentialEnded: hooks.essentialEnded, sessions: true });
}

export async function main(ctx: ToolContext): Promise<number> {
  const parsed = parseInitArgs(ctx.args);
  if ('error' in parsed) {
    writerOf(ctx, 2)(`${parsed.error}\n${USAGE}`);
    return ExitCode.USAGE;
  }
  if (parsed.mode === 'help') {
    writerOf(ctx, 1)(TSINIT_HELP);
    return 0;
  }
  if (parsed.mode === 'install') return install(parsed.installDir as string, ctx);

  const cfg = readInitConfig(ctx.env);
  // A refused setting stops PID 1 before anything starts (settings.ts says which).
  if (cfg.errors.length > 0) {
    writerOf(ctx, 2)(cfg.errors.map((e) => `tsinit: fatal: ${e}\n`).join(''));
    return ExitCode.FATAL;
  }
  const obsCfg = readObserveConfig(cfg.settings, cfg);
  // From here on tsinit supervises: its own lines must never block the loop.
  useNonBlockingOutput(cfg.logFormat === 'json' ? jsonDroppedNotice : undefined);
  const log = createLog({ format: cfg.logFormat, level: cfg.logLevel });
  const obs = new Observability(obsCfg, log);
  installGuards(process, log);
  reportSubscriberFailures(log);
  for (const w of cfg.warnings) log.warn(w);
  const remap = combineRemaps(cfg.exitRemap, parsed.exitZero ?? []);
  const code = await runInit(parsed, cfg, log, obs);
  const final = remapExitCode(code, remap);
  if (final !== code) log.debug(`exit code ${code} remapped to ${final}`);
  return final;
}

function jsonDroppedNotice(lines: number, bytes: number): string {
  const msg = `${lines} line(s), ${bytes} bytes, of tsinit's own output dropped: the output was not being read`;
  return `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), name: 'tsinit', msg })}\n`;
}

function setParentDeathSignal(sig: number | undefined, log: ReturnType<typeof createLog>): void {
  if (sig === undefined) return;
  try {
    libc.prctl(libc.PR_SET_PDEATHSIG, sig);
  } catch (e) {
    log.warn(`unable to set the parent-death signal: ${errstrOf(e)}`);
  }
}

/** The mode takes over the init's signals; those of the start-up are handled first, and said. */
function takeSignals(log: ReturnType<typeof createLog>, handler: SignalHandler): void {
  initSignals.deliverTo(handler, (early) => {
    if (early.signals.length > 0) log.debug(`received during start-up: ${early.signals.join(' ')}`);
    if (early.dropped > 0) log.warn(`${early.dropped} more signal(s) received during start-up not kept`);
  });
}

async function runInit(
  parsed: InitArgs,
  cfg: ReturnType<typeof readInitConfig>,
  log: ReturnType<typeof createLog>,
  obs: Observability,
): Promise<number> {
  try {
    libc.preload();
  } catch (e) {
    err(`tsinit: fatal: unable to load the libc binding: ${String(e)}\n`);
    return ExitCode.FATAL;
  }
  setParentDeathSignal(parsed.pdeathSignal, log);
  const isPid1 = becomeReaper(log);
  const sys = realSystem(isPid1);
  reaper.onError = (e) => log.error({ err: String(e) }, 'reaper error');
  reaper.onOrphan = (st) => log.debug({ pid: st.pid, status: describeExit(st) }, 'reaped orphan');
  reaper.start();
  // Most of an idle Node process is code it ran once: give it back (process/trim.ts).
  scheduleTrim((e) => log.debug(`unable to trim clean pages: ${errstrOf(e)}`));

  // One runtime directory per instance: a second tsinit on the host does not
  // take over the first one's pid file, socket and halt requests.
  const runtime = obs.runtime;
  const claim = claimRuntimeDir(runtime, parsed.mode === 'stages' ? 'stages' : 'command');
  if (!claim.owned) {
    // Command mode replaces tini and dumb-init, which print nothing of their
    // own: there the lost directory matters only to `tsinit events`, so it is
    // said at debug level (a non-root `tsinit -- CMD` cannot use /run/tsinit).
    const say = parsed.mode === 'stages' ? log.warn.bind(log) : log.debug.bind(log);
    say(
      `runtime directory ${runtime.dir} not used: ${claim.why}; tsinit halt, tsinit events and tsinit health --ready ` +
        'will not reach this instance (set TSINIT_RUN_DIR to a directory of its own)',
    );
  }
  const stop: StopState = { requested: () => false, sigioIsOurs: false };
  const tools = claim.owned && cfg.settings.tools ? await startToolService(runtime.dir, log, stop) : undefined;
  stop.sigioIsOurs = tools !== undefined;
  try {
    return await runModes(parsed, cfg, log, obs, sys, claim.owned, stop);
  } finally {
    // The very end: stage 3's `sv` calls were still served.
    tools?.stop();
    if (claim.owned) claim.release();
  }
}

/** What the modes and the tool service tell each other. */
interface StopState {
  /** the running mode began its shutdown (the tool service refuses runsvdir then) */
  requested: () => boolean;
  /** the tool service runs: the kernel raises SIGIO at tsinit for its socket (O_ASYNC) */
  sigioIsOurs: boolean;
}

/** PID 1's tool service for the thin client (TSINIT_TOOLS), in the runtime directory it owns; without it clients fall back. */
async function startToolService(runDir: string, log: ReturnType<typeof createLog>, stop: StopState): Promise<RunningToolService | undefined> {
  const start = toolServiceStarter();
  if (!start) return undefined;
  try {
    const service = await start({
      runDir,
      log: { debug: (m) => log.debug(m), warn: (m) => log.warn(m) },
      stopping: () => stop.requested(),
    });
    log.debug(`tool service listening in ${runDir}`);
    return service;
  } catch (e) {
    log.warn(`tool service not started (thin clients run the full tsinit): ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

async function runModes(
  parsed: InitArgs,
  cfg: ReturnType<typeof readInitConfig>,
  log: ReturnType<typeof createLog>,
  obs: Observability,
  sys: ReturnType<typeof realSystem>,
  ownsRunDir: boolean,
  stop: StopState,
): Promise<number> {
  // The HTTP probe server answers for stage 2's services: stage mode only.
  await obs.start({ http: parsed.mode === 'stages', ownsRunDir });

  if (parsed.mode === 'command') {
    const cmd = new CommandMode(cfg, sys, log, {
      argv: parsed.command,
      group: parsed.group,
      rewrite: parsed.rewrite ?? new Map(),
      keepLeftovers: (parsed.keepLeftovers ?? false) || cfg.keepLeftovers,
    });
    // Stage 1, if there is one, prepares the container as in stage mode; a
    // TERM meanwhile ends it within the budget and the command never starts.
    let stage1: StageMode | undefined;
    stop.requested = () => cmd.shuttingDown() || (stage1?.stopRequested() ?? false);
    // Every --rewrite source too (SYS, TRAP, ABRT): uncaught, it would kill tsinit.
    initSignals.listen(commandModeSignals(parsed.rewrite));
    takeSignals(log, (sig) => {
      // The tool socket's readiness, not a signal for the command (which SIGIO would kill).
      if (sig === 'SIGIO' && stop.sigioIsOurs) return;
      if (!stage1) cmd.forward(sig);
      else if (STOP_SIGNALS.has(sig)) stage1.requestStop(sig);
      else log.debug(`${sig} during stage 1: ignored`);
    });
    // A TERM that came during start-up: nothing is started at all.
    if (cmd.stopRequested()) {
      log.info('shutdown requested during start-up: the command is not started');
      await obs.close();
      return 128 + SIG.SIGTERM;
    }
    if (fs.existsSync(stagePath(cfg, 1))) {
      stage1 = new StageMode({ cfg, sys, log, builtin: () => Promise.reject(new Error('no stage 2 in command mode')) });
      const ok = await stage1.runStage1Only();
      const stopped = stage1.stopRequested();
      stage1 = undefined;
      if (stopped) {
        log.info('shutdown requested during stage 1: the command is not started');
        return 128 + SIG.SIGTERM;
      }
      if (!ok) log.warn('stage 1 failed; starting the command anyway');
    }
    const code = await cmd.run();
    await obs.close();
    return code;
  }

  const stages = new StageMode({
    cfg,
    sys,
    log,
    builtin: async (dir) => {
      const sup = await loadBuiltin(dir, {
        report: (line) => err(line.endsWith('\n') ? line : `${line}\n`),
        essentialEnded: (service, code, reason) => stages.halt(code, `essential service ${service}: ${reason}`),
        finding: (line, severity) => (severity === 'error' ? log.error(`check: ${line}`) : log.warn(`check: ${line}`)),
      });
      obs.attachSupervisor(sup);
      return sup;
    },
    stopDelayMs: obs.stopDelayMs,
    onStopping: () => obs.stopping(),
    onStage2: () => obs.stage2(),
    ...(ownsRunDir ? { halt: realHaltChannel(obs.runtime) } : {}),
  });
  stop.requested = () => stages.stopRequested();
  // Stage mode acts on INIT_SIGNALS (signal-inbox.ts), listened to since start-up.
  initSignals.listen(INIT_SIGNALS);
  takeSignals(log, (sig) => stages.handleSignal(sig));
  const code = await stages.run();
  await obs.close();
  return code;
}
