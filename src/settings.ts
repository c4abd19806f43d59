// Every TSINIT_* environment variable, declared once: its name, default and
// parser. readSettings() returns the values and one warning for each value
// that is not used as given (unknown, out of range, or an unknown TSINIT_*
// name); the init prints them once at start. Pure.
//
// Adding a variable: one line in SETTINGS (and a row in docs/reference.md).

import { parseHttpAddress } from './observe/http-address.ts';
import { parseBackoff, parseDecimal } from './supervise/service-spec.ts';

/** A parser's verdict on one raw (non-empty) value. */
export type Parsed<T> =
  | { ok: true; value: T; /** set when the value used differs from the one given */ note?: string }
  | { ok: false; why: string };

export interface Setting<T> {
  name: string;
  fallback: T;
  /** how the default is shown in a warning */
  show?: (v: T) => string;
  parse: (raw: string) => Parsed<T>;
}

function setting<T>(name: string, fallback: T, parse: (raw: string) => Parsed<T>, show?: (v: T) => string): Setting<T> {
  return show ? { name, fallback, parse, show } : { name, fallback, parse };
}

// ---- parsers ----------------------------------------------------------------

/** Any non-empty string (paths: bytes are taken as they come). */
export function parseString(raw: string): Parsed<string> {
  return { ok: true, value: raw };
}

/** One of a few words, any case; aliases map obvious spellings to a value. */
export function parseChoice<T extends string>(aliases: Record<string, T>, expected: string): (raw: string) => Parsed<T> {
  return (raw) => {
    const v = aliases[raw.trim().toLowerCase()];
    return v !== undefined ? { ok: true, value: v } : { ok: false, why: `expected ${expected}` };
  };
}

export const parseBool = parseChoice<'1' | '0'>(
  { '1': '1', true: '1', yes: '1', on: '1', '0': '0', false: '0', no: '0', off: '0' },
  '1 or 0 (also true/false, yes/no, on/off)',
);

export interface DurationLimits {
  /** smaller values (0 included) are raised to this, with a warning */
  minMs: number;
  /** larger values are lowered to this, with a warning */
  maxMs: number;
}

const DURATION = /^(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*(ms|s|m|h)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function formatMs(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * A duration: a decimal number of seconds ("9", "2.5", "1e3"), or with a unit
 * ("500ms", "5s", "2m", "1h"). Hex, octal, negatives, "Infinity", NaN are
 * invalid. Values outside [min, max] are clamped.
 */
export function parseDuration(limits: DurationLimits): (raw: string) => Parsed<number> {
  return (raw) => {
    const m = DURATION.exec(raw.trim());
    if (!m) return { ok: false, why: 'expected a number of seconds such as 9 or 2.5 (or with a unit: 500ms, 5s, 2m, 1h)' };
    const n = Number(`${m[1]}e${m[2] ?? '0'}`) * (UNIT_MS[(m[3] ?? 's').toLowerCase()] as number);
    if (!Number.isFinite(n) || n > limits.maxMs) return { ok: true, value: limits.maxMs, note: `more than the maximum, ${formatMs(limits.maxMs)}` };
    if (n < limits.minMs) return { ok: true, value: limits.minMs, note: `less than the minimum, ${formatMs(limits.minMs)}` };
    return { ok: true, value: Math.round(n) };
  };
}

/** Exit-code remapping "FROM:TO[,FROM:TO...]", codes 0..255; bad entries are skipped. */
export function parseExitRemap(raw: string): Parsed<ReadonlyMap<number, number>> {
  const map = new Map<number, number>();
  const bad: string[] = [];
  for (const entry of raw.split(/[,\s]+/).filter((e) => e !== '')) {
    const m = /^(\d{1,3}):(\d{1,3})$/.exec(entry);
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2]) : NaN;
    if (from <= 255 && to <= 255) map.set(from, to);
    else bad.push(entry);
  }
  if (bad.length === 0) return { ok: true, value: map };
  if (map.size === 0) return { ok: false, why: 'expected FROM:TO pairs of exit codes 0..255, separated by commas' };
  return { ok: true, value: map, note: `entries ignored (not FROM:TO with codes 0..255): ${bad.join(' ')}` };
}

/** A value checked by the parser of the module that uses it; kept as given. */
function checkedBy(check: (raw: string) => string | null): (raw: string) => Parsed<string> {
  return (raw) => {
    const why = check(raw);
    return why === null ? { ok: true, value: raw } : { ok: false, why };
  };
}

// ---- the variables ------------------------------------------------------------

export type LogFormat = 'human' | 'json';
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 9000;
/** 0.1 s: time enough to deliver TERM and reap; anything shorter is a typo */
export const MIN_SHUTDOWN_TIMEOUT_MS = 100;
/** 2^31-1 s (68 years): "no limit" for all practical purposes */
export const MAX_SHUTDOWN_TIMEOUT_MS = (2 ** 31 - 1) * 1000;

export const SETTINGS = {
  runitDir: setting('TSINIT_RUNIT_DIR', '/etc/runit', parseString),
  serviceDir: setting('TSINIT_SERVICE_DIR', '/etc/service', parseString),
  shutdownTimeoutMs: setting(
    'TSINIT_SHUTDOWN_TIMEOUT',
    DEFAULT_SHUTDOWN_TIMEOUT_MS,
    parseDuration({ minMs: MIN_SHUTDOWN_TIMEOUT_MS, maxMs: MAX_SHUTDOWN_TIMEOUT_MS }),
    formatMs,
  ),
  logFormat: setting<LogFormat>(
    'TSINIT_LOG_FORMAT',
    'human',
    parseChoice<LogFormat>({ human: 'human', text: 'human', plain: 'human', runit: 'human', json: 'json', jsonl: 'json', ndjson: 'json' }, 'human or json'),
  ),
  logLevel: setting<LogLevelName>(
    'TSINIT_LOG_LEVEL',
    'info',
    parseChoice<LogLevelName>(
      {
        fatal: 'fatal', error: 'error', err: 'error', warn: 'warn', warning: 'warn', info: 'info',
        debug: 'debug', trace: 'trace', silent: 'silent', off: 'silent', none: 'silent',
      },
      'fatal, error, warn, info, debug, trace or silent',
    ),
  ),
  logPrefix: setting('TSINIT_LOG_PREFIX', '0' as '1' | '0', parseBool),
  inprocessLog: setting('TSINIT_INPROCESS_LOG', '1' as '1' | '0', parseBool),
  exitRemap: setting<ReadonlyMap<number, number>>('TSINIT_EXIT_REMAP', new Map(), parseExitRemap, () => 'none'),
  keepLeftovers: setting('TSINIT_KEEP_LEFTOVERS', '0' as '1' | '0', parseBool),
  tmpDir: setting('TSINIT_TMPDIR', '', parseString),
  chpstFastpath: setting('TSINIT_CHPST_FASTPATH', '1' as '1' | '0', parseBool),
  // Read by native/original-limits.ts before anything else (and removed from the environment).
  rlimitNofile: setting('TSINIT_RLIMIT_NOFILE', '', checkedBy((v) => (/^(\d+|unlimited)$/.test(v.trim()) ? null : 'expected a number of descriptors'))),
  http: setting('TSINIT_HTTP', '', checkedBy((v) => {
    const r = parseHttpAddress(v);
    return 'error' in r ? r.error : null;
  })),
  // Checked against the budget by src/init/stop-delay.ts, which refuses a delay that leaves no time.
  stopDelay: setting('TSINIT_STOP_DELAY', '', parseString),
  runDir: setting('TSINIT_RUN_DIR', '/run/tsinit', parseString),
  eventsSocket: setting('TSINIT_EVENTS_SOCKET', '', parseString),
  restartBackoff: setting('TSINIT_RESTART_BACKOFF', '', checkedBy((v) => {
    const r = parseBackoff(v);
    return r.ok ? null : r.message;
  })),
  essentialAttempts: setting('TSINIT_ESSENTIAL_ATTEMPTS', '', checkedBy((v) => {
    const r = parseDecimal(v, 1, 1_000_000, 'attempts');
    return r.ok && Number.isInteger(r.value) ? null : r.ok ? 'not a whole number' : r.message;
  })),
} as const;

/** TSINIT_* names that are not settings of tsinit (the test suite's). */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['TSINIT_FROM_SOURCE']);

export type Settings = { -readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

export interface SettingsResult {
  values: Settings;
  /** one line per value not used as given, in runit's style without the prefix */
  warnings: string[];
}

function readOne<T>(s: Setting<T>, raw: string | undefined, warnings: string[]): T {
  // unset and empty both mean "the default", as for runit's own variables
  if (raw === undefined || raw === '') return s.fallback;
  const p = s.parse(raw);
  if (p.ok) {
    if (p.note !== undefined) warnings.push(`${s.name}=${raw}: ${p.note}`);
    return p.value;
  }
  const show = s.show ?? String;
  warnings.push(`${s.name}=${raw}: invalid (${p.why}): using the default, ${show(s.fallback)}`);
  return s.fallback;
}

export function readSettings(env: NodeJS.ProcessEnv): SettingsResult {
  const warnings: string[] = [];
  const values = {} as Record<string, unknown>;
  const known = new Set<string>();
  for (const [key, s] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    known.add(s.name);
    values[key] = readOne(s, env[s.name], warnings);
  }
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('TSINIT_') && !known.has(name) && !NOT_SETTINGS.has(name)) warnings.push(`${name}: unknown variable, ignored`);
  }
  return { values: values as Settings, warnings };
}

/** One setting alone, for code that needs just it (no warnings: the init prints those). */
export function readSetting<K extends keyof typeof SETTINGS>(key: K, env: NodeJS.ProcessEnv = process.env): Settings[K] {
  const s = SETTINGS[key] as Setting<Settings[K]>;
  return readOne(s, env[s.name], []);
}
