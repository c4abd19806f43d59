// tsinit's own log lines, through pino, to stderr via util/output (which,
// for the init, never blocks the event loop and flushes, bounded, at exit). Human format by default, in runit's
// style ("- tsinit: warning: ..."); JSON lines with TSINIT_LOG_FORMAT=json.
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { writeAllSync, writeOut } from './util/output.ts';

import type { LogFormat } from './settings.ts';

export type { LogFormat };

const levelNames: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** Render one pino JSON record as a runit-style line. */
export function humanLine(prefix: string, record: string): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return record;
  }
  const level = typeof obj.level === 'number' ? obj.level : 30;
  const msg = typeof obj.msg === 'string' ? obj.msg : '';
  const tag = level === 30 ? '' : `${levelNames[level] ?? 'info'}: `;
  const extra: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'level' || k === 'msg' || k === 'time' || k === 'name') continue;
    extra.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return `- ${prefix}: ${tag}${msg}${extra.length ? ` (${extra.join(' ')})` : ''}\n`;
}

export interface LogOptions {
  format: LogFormat;
  level: LevelWithSilent;
  /** program name in human lines */
  prefix?: string;
  fd?: number;
}

export function createLog(opts: LogOptions): Logger {
  const fd = opts.fd ?? 2;
  const prefix = opts.prefix ?? 'tsinit';
  const stream = {
    write(record: string): void {
      const line = opts.format === 'json' ? record : humanLine(prefix, record);
      // through util/output: non-blocking once the init has switched it
      if (fd === 1 || fd === 2) writeOut(fd, line);
      else writeAllSync(fd, line);
    },
  };
  return pino(
    {
      level: opts.level,
      base: opts.format === 'json' ? { name: prefix } : null,
      timestamp: opts.format === 'json' ? pino.stdTimeFunctions.isoTime : false,
      formatters: { level: (label, number) => (opts.format === 'json' ? { level: label } : { level: number }) },
    },
    stream,
  );
}
