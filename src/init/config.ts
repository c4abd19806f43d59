// Settings of tsinit as PID 1, from the environment (declared in
// src/settings.ts). Pure.
import path from 'node:path';
import { readSettings, type LogFormat, type LogLevelName, type Settings } from '../settings.ts';

export interface InitConfig {
  runitDir: string;
  serviceDir: string;
  /** the whole shutdown sequence must fit in this */
  shutdownTimeoutMs: number;
  /** files whose owner-execute bit makes SIGCONT a shutdown request */
  stopitFiles: string[];
  ctrlaltdel: string;
  logFormat: LogFormat;
  logLevel: LogLevelName;
  /** pause before stage 2 is restarted after exit 111 or a crash */
  stage2RestartPauseMs: number;
  /** final exit codes mapped to others (TSINIT_EXIT_REMAP, -e) */
  exitRemap: ReadonlyMap<number, number>;
  /** command mode: leave processes alone that outlive the command */
  keepLeftovers: boolean;
  /** settings not used as given, to be logged once at start */
  warnings: string[];
  /** settings refused: PID 1 does not start */
  errors: string[];
  /** every TSINIT_* value, for the parts that need more than the above */
  settings: Settings;
}

export function readInitConfig(env: NodeJS.ProcessEnv): InitConfig {
  const { values: s, warnings, errors } = readSettings(env);
  return {
    runitDir: s.runitDir,
    serviceDir: s.serviceDir,
    shutdownTimeoutMs: s.shutdownTimeoutMs,
    stopitFiles: [path.join(s.runitDir, 'stopit'), '/run/runit.stopit'],
    ctrlaltdel: path.join(s.runitDir, 'ctrlaltdel'),
    logFormat: s.logFormat,
    logLevel: s.logLevel,
    stage2RestartPauseMs: 5000,
    exitRemap: s.exitRemap,
    keepLeftovers: s.keepLeftovers,
    warnings,
    errors,
    settings: s,
  };
}

export function stagePath(cfg: InitConfig, n: 1 | 2 | 3): string {
  return path.join(cfg.runitDir, String(n));
}
