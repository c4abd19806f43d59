// Every TSINIT_* environment variable, declared once: its name, default and
// parser, and the only place that reads one (test/unit/settings-reader.test.ts
// enforces it). readSettings() returns typed values and one warning for each
// value that is not used as given (invalid, out of range, or an unknown
// TSINIT_* name), saying what is used instead; the init prints them once at
// start. Every duration takes the same syntax, every boolean the same words.
// A leaf: imports only util/. Pure but for readSetting()'s default argument.
//
// Adding a variable: one line in SETTINGS (and a row in docs/reference.md).

import path from 'node:path';
import { parseHttpAddress, type HttpAddress } from './util/http-address.ts';
import { MAX_TIMER_MS, parseBackoff, parseDecimal, type BackoffSpec } from './util/decimal.ts';

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
  /**
   * A bad value is an error (PID 1 does not start) instead of a warning: for
   * what no default can stand in for (a probe server asked for, a drain).
   */
  refuse?: true;
}

function setting<T>(name: string, fallback: T, parse: (raw: string) => Parsed<T>, show?: (v: T) => string): Setting<T> {
  return show ? { name, fallback, parse, show } : { name, fallback, parse };
}

function refused<T>(s: Setting<T>): Setting<T> {
  return { ...s, refuse: true };
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

const BOOL_WORDS: Record<string, boolean> = { '1': true, true: true, yes: true, on: true, '0': false, false: false, no: false, off: false };

/** A switch: 1/true/yes/on or 0/false/no/off, any case, for every boolean variable. */
export function parseBool(raw: string): Parsed<boolean> {
  const v = BOOL_WORDS[raw.trim().toLowerCase()];
  return v !== undefined ? { ok: true, value: v } : { ok: false, why: 'expected 1 or 0 (also true/false, yes/no, on/off)' };
}

const onOff = (v: boolean): string => (v ? 'on' : 'off');

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

/** TSINIT_HTTP: [ADDR:]PORT, or off (also 0/false/no) for no probe server. */
export function parseHttp(raw: string): Parsed<HttpAddress | null> {
  if (BOOL_WORDS[raw.trim().toLowerCase()] === false) return { ok: true, value: null };
  const r = parseHttpAddress(raw);
  return 'error' in r ? { ok: false, why: 'expected [ADDR:]PORT, such as 8080, 0.0.0.0:8080 or [::]:8080, or off' } : { ok: true, value: r };
}

/** TSINIT_RLIMIT_NOFILE: a number of descriptors or "unlimited". */
export function parseNofileSetting(raw: string): Parsed<bigint | 'unlimited'> {
  const t = raw.trim();
  if (t === 'unlimited') return { ok: true, value: 'unlimited' };
  if (/^[0-9]{1,20}$/.test(t)) return { ok: true, value: BigInt(t) };
  return { ok: false, why: 'expected a number of descriptors or unlimited' };
}

/** TSINIT_RESTART_BACKOFF: restart-backoff's "INITIAL FACTOR CAP RESET". */
export function parseBackoffSetting(raw: string): Parsed<BackoffSpec | null> {
  const r = parseBackoff(raw);
  return r.ok ? { ok: true, value: r.value } : { ok: false, why: r.message };
}

/** TSINIT_ESSENTIAL_ATTEMPTS: a whole number 1..1000000. */
export function parseAttempts(raw: string): Parsed<number> {
  const r = parseDecimal(raw, 1, 1_000_000, 'attempts');
  if (r.ok && Number.isInteger(r.value)) return { ok: true, value: r.value };
  return { ok: false, why: r.ok ? 'not a whole number' : r.message };
}

/** TSINIT_EVENTS_SOCKET: a path, or off (also 0/false/no). */
export function parseSocketSetting(raw: string): Parsed<EventsSocketSetting> {
  if (BOOL_WORDS[raw.trim().toLowerCase()] === false) return { ok: true, value: 'off' };
  return { ok: true, value: { path: raw } };
}

/** 'default': RUN_DIR/events.sock; 'off': no socket; else the path given. */
export type EventsSocketSetting = 'default' | 'off' | { path: string };

// ---- the variables ------------------------------------------------------------

export type LogFormat = 'human' | 'json';
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 9000;
export const DEFAULT_RUN_DIR = '/run/tsinit';
export const DEFAULT_ESSENTIAL_ATTEMPTS = 3;
/** Time that must remain of the shutdown budget after TSINIT_STOP_DELAY. */
export const MIN_REST_MS = 1000;
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
  logPrefix: setting('TSINIT_LOG_PREFIX', false, parseBool, onOff),
  inprocessLog: setting('TSINIT_INPROCESS_LOG', true, parseBool, onOff),
  exitRemap: setting<ReadonlyMap<number, number>>('TSINIT_EXIT_REMAP', new Map(), parseExitRemap, () => 'none'),
  keepLeftovers: setting('TSINIT_KEEP_LEFTOVERS', false, parseBool, onOff),
  tmpDir: setting<string | null>('TSINIT_TMPDIR', null, parseString, () => 'none'),
  chpstFastpath: setting('TSINIT_CHPST_FASTPATH', true, parseBool, onOff),
  // Taken by process/original-limits.ts at start (and removed from the environment).
  rlimitNofile: setting<bigint | 'unlimited' | null>('TSINIT_RLIMIT_NOFILE', null, parseNofileSetting, () => "the parent process's limit"),
  http: refused(setting<HttpAddress | null>('TSINIT_HTTP', null, parseHttp, () => 'off')),
  // Also checked against the budget: stopDelayConflict().
  stopDelayMs: refused(setting('TSINIT_STOP_DELAY', 0, parseDuration({ minMs: 0, maxMs: MAX_TIMER_MS }), (v) => (v === 0 ? 'none' : formatMs(v)))),
  runDir: setting('TSINIT_RUN_DIR', DEFAULT_RUN_DIR, parseString),
  eventsSocket: setting<EventsSocketSetting>('TSINIT_EVENTS_SOCKET', 'default', parseSocketSetting, () => 'RUN_DIR/events.sock'),
  // PID 1's tool service (RUN_DIR/tools.sock) for the thin client; off: every client execs the full tsinit.
  tools: setting('TSINIT_TOOLS', true, parseBool, onOff),
  restartBackoff: setting<BackoffSpec | null>('TSINIT_RESTART_BACKOFF', null, parseBackoffSetting, () => "runit's 1 s rule"),
  essentialAttempts: setting('TSINIT_ESSENTIAL_ATTEMPTS', DEFAULT_ESSENTIAL_ATTEMPTS, parseAttempts),
} as const;

/** TSINIT_* names that are not settings of tsinit (the test suite's). */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['TSINIT_FROM_SOURCE']);

export type Settings = { -readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

export interface SettingsResult {
  values: Settings;
  /** one line per value not used as given, in runit's style without the prefix */
  warnings: string[];
  /** values refused (Setting.refuse, and a stop delay longer than the budget allows): PID 1 does not start */
  errors: string[];
}

function readOne<T>(s: Setting<T>, raw: string | undefined, warnings: string[], errors: string[] = warnings): T {
  // unset and empty both mean "the default", as for runit's own variables
  if (raw === undefined || raw === '') return s.fallback;
  const p = s.parse(raw);
  if (p.ok) {
    if (p.note !== undefined) warnings.push(`${s.name}=${raw}: ${p.note}`);
    return p.value;
  }
  if (s.refuse) {
    errors.push(`${s.name}=${raw}: invalid (${p.why})`);
    return s.fallback;
  }
  const show = s.show ?? String;
  warnings.push(`${s.name}=${raw}: invalid (${p.why}): using the default, ${show(s.fallback)}`);
  return s.fallback;
}

/** The events socket's path as the settings give it; null when turned off. */
export function eventsSocketPath(s: Pick<Settings, 'eventsSocket' | 'runDir'>): string | null {
  if (s.eventsSocket === 'off') return null;
  return s.eventsSocket === 'default' ? path.join(s.runDir, 'events.sock') : s.eventsSocket.path;
}

/**
 * TSINIT_STOP_DELAY against TSINIT_SHUTDOWN_TIMEOUT: a delay that leaves the
 * services no time to stop is refused (PID 1 does not start). Error text or null.
 */
export function stopDelayConflict(s: Pick<Settings, 'stopDelayMs' | 'shutdownTimeoutMs'>): string | null {
  const { stopDelayMs: ms, shutdownTimeoutMs: budgetMs } = s;
  if (ms === 0 || budgetMs - ms >= MIN_REST_MS) return null;
  return (
    `TSINIT_STOP_DELAY=${ms / 1000} leaves ${Math.max(0, budgetMs - ms)} ms of the ${budgetMs} ms shutdown budget ` +
    `(TSINIT_SHUTDOWN_TIMEOUT) to stop the services; at least ${MIN_REST_MS} ms must remain`
  );
}

export function readSettings(env: NodeJS.ProcessEnv): SettingsResult {
  const warnings: string[] = [];
  const errors: string[] = [];
  const values = {} as Record<string, unknown>;
  const known = new Set<string>();
  for (const [key, s] of Object.entries(SETTINGS) as Array<[string, Setting<unknown>]>) {
    known.add(s.name);
    values[key] = readOne(s, env[s.name], warnings, errors);
  }
  const conflict = stopDelayConflict(values as Settings);
  if (conflict !== null) errors.push(conflict);
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('TSINIT_') && !known.has(name) && !NOT_SETTINGS.has(name)) warnings.push(`${name}: unknown variable, ignored`);
  }
  return { values: values as Settings, warnings, errors };
}

/** One setting alone, for code that needs just it (no warnings: the init prints those; a refused value gives the default). */
export function readSetting<K extends keyof typeof SETTINGS>(key: K, env: NodeJS.ProcessEnv = process.env): Settings[K] {
  const s = SETTINGS[key] as Setting<Settings[K]>;
  return readOne(s, env[s.name], []);
}

/** Read one setting and remove it from the environment (children must not inherit it). */
export function takeSetting<K extends keyof typeof SETTINGS>(key: K, env: NodeJS.ProcessEnv = process.env): Settings[K] {
  const v = readSetting(key, env);
  delete env[SETTINGS[key].name];
  return v;
}
