// Settings of tsinit as PID 1, from the environment. Pure.
import path from 'node:path';
import { parseLogFormat, parseLogLevel, type LogFormat } from '../log.ts';
import type { LevelWithSilent } from 'pino';

export interface InitConfig {
  runitDir: string;
  serviceDir: string;
  /** the whole shutdown sequence must fit in this */
  shutdownTimeoutMs: number;
  /** files whose owner-execute bit makes SIGCONT a shutdown request */
  stopitFiles: string[];
  ctrlaltdel: string;
  logFormat: LogFormat;
  logLevel: LevelWithSilent;
  /** pause before stage 2 is restarted after exit 111 or a crash */
  stage2RestartPauseMs: number;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_S = 9;

export function parseSeconds(v: string | undefined, fallback: number): number {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export function readInitConfig(env: NodeJS.ProcessEnv): InitConfig {
  const runitDir = env.TSINIT_RUNIT_DIR || '/etc/runit';
  return {
    runitDir,
    serviceDir: env.TSINIT_SERVICE_DIR || '/etc/service',
    shutdownTimeoutMs: Math.round(parseSeconds(env.TSINIT_SHUTDOWN_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT_S) * 1000),
    stopitFiles: [path.join(runitDir, 'stopit'), '/run/runit.stopit'],
    ctrlaltdel: path.join(runitDir, 'ctrlaltdel'),
    logFormat: parseLogFormat(env.TSINIT_LOG_FORMAT),
    logLevel: parseLogLevel(env.TSINIT_LOG_LEVEL),
    stage2RestartPauseMs: 5000,
  };
}

export function stagePath(cfg: InitConfig, n: 1 | 2 | 3): string {
  return path.join(cfg.runitDir, String(n));
}
