// The extension files of a service directory, parsed in one place into one
// typed spec. runit ignores files it does not know, so every one of these is
// opt-in: a directory without them yields DEFAULT_SPEC and behaves as under
// runit. Names and meanings follow s6 where s6 has them (notification-fd,
// down-signal, timeout-kill, dependencies.d/).
//
// parseServiceSpec() is pure (file contents in, spec and problems out) so the
// supervisor, `tsinit check` and tests share it; readServiceSpec() does the I/O.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_ESSENTIAL_ATTEMPTS, readSetting } from '../settings.ts';
import { signalNameOf, signalNumberOf } from '../util/signal-names.ts';
import { MAX_TIMER_MS, parseBackoff, parseDecimal, type BackoffSpec, type Parsed } from '../util/decimal.ts';

export { parseBackoff, parseDecimal, type BackoffSpec };

/** Signals a service may name in down-signal (without the SIG prefix). */
export type SignalName = string;

export interface HealthSpec {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
}


export type Essential = 'always' | 'on-failure';

export interface ServiceSpec {
  /** notification-fd: the descriptor on which the service writes a newline when ready */
  notificationFd: number | null;
  /** ./check exists and is executable: readiness by polling it (when no notification-fd) */
  hasCheck: boolean;
  /** dependencies.d/: names of services (in the same scan directory) this one needs ready */
  dependencies: string[];
  /** ./health is executable: periodic health checks with these settings */
  health: HealthSpec | null;
  /** essential: the container stops when this service ends */
  essential: Essential | null;
  /** TSINIT_ESSENTIAL_ATTEMPTS: an essential service dying within 1 s this many times in a row ends the container */
  essentialAttempts: number;
  /** restart-backoff (or TSINIT_RESTART_BACKOFF); null: runit's 1 s rule */
  restartBackoff: BackoffSpec | null;
  /** down-signal: sent instead of TERM to stop the service; null: TERM */
  downSignal: SignalName | null;
  /** timeout-kill: ms after the down signal before KILL; null: never (runit) */
  timeoutKillMs: number | null;
}

export const DEFAULT_SPEC: Readonly<ServiceSpec> = Object.freeze({
  notificationFd: null,
  hasCheck: false,
  dependencies: [],
  health: null,
  essential: null,
  essentialAttempts: DEFAULT_ESSENTIAL_ATTEMPTS,
  restartBackoff: null,
  downSignal: null,
  timeoutKillMs: null,
});

/** Does the service use any of tsinit's extensions (./check counts: it makes readiness polled)? */
export function usesExtensions(spec: ServiceSpec): boolean {
  return (
    spec.notificationFd !== null ||
    spec.hasCheck ||
    spec.dependencies.length > 0 ||
    spec.health !== null ||
    spec.essential !== null ||
    spec.restartBackoff !== null ||
    spec.downSignal !== null ||
    spec.timeoutKillMs !== null
  );
}

export const HEALTH_DEFAULTS: Readonly<HealthSpec> = Object.freeze({ intervalMs: 10_000, timeoutMs: 5_000, retries: 3 });

export interface SpecProblem {
  /** the file the problem is in, relative to the service directory */
  file: string;
  severity: 'error' | 'warning';
  message: string;
}

/** What parseServiceSpec() needs to know about a service directory. */
export interface SpecInput {
  /** contents of the small extension files that exist (name -> text) */
  files: Partial<Record<SpecFile, string>>;
  /** entries of dependencies.d/, or null when there is no such directory */
  dependencyEntries: string[] | null;
  /** ./check is an executable file */
  checkExecutable: boolean;
  /** ./health is an executable file */
  healthExecutable: boolean;
  /** TSINIT_RESTART_BACKOFF (settings.ts), applied when the service has no restart-backoff file */
  defaultBackoff?: BackoffSpec | null;
  /** TSINIT_ESSENTIAL_ATTEMPTS (settings.ts) */
  essentialAttempts?: number;
}

export const SPEC_FILES = [
  'notification-fd',
  'health-interval',
  'health-timeout',
  'health-retries',
  'essential',
  'restart-backoff',
  'down-signal',
  'timeout-kill',
] as const;
export type SpecFile = (typeof SPEC_FILES)[number];

export { MAX_TIMER_MS };
/** Descriptors a notification-fd may name: not stdio, below the usual soft limit. */
const FD_MIN = 3;
const FD_MAX = 1023;
/** Files larger than this are not a setting (a mistake, or an attempt to eat memory). */
export const SPEC_FILE_MAX_BYTES = 4096;
/** At most this many dependencies are read from dependencies.d/. */
export const MAX_DEPENDENCIES = 1000;

/** First line, without surrounding white space (s6 reads these files the same way). */
function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

/** Signal name (QUIT, SIGQUIT, sigquit) or number to the canonical name without SIG. */
export function parseSignalName(text: string): Parsed<SignalName> {
  const t = firstLine(text);
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    const name = signalNameOf(n);
    if (name) return { ok: true, value: name.slice(3) };
    return { ok: false, message: `unknown signal number: ${t}` };
  }
  const upper = t.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (signalNumberOf(name) !== undefined) return { ok: true, value: name.slice(3) };
  return { ok: false, message: `unknown signal: ${JSON.stringify(t)}` };
}

/** What a service runs with instead of a file's value that cannot be used. */
export function usedInstead(file: string, checkExecutable = false): string {
  switch (file) {
    case 'notification-fd':
      return checkExecutable ? 'no notification-fd: readiness by ./check' : 'no notification-fd: ready once up';
    case 'health-interval':
      return `the default, ${HEALTH_DEFAULTS.intervalMs / 1000} s`;
    case 'health-timeout':
      return `the default, ${HEALTH_DEFAULTS.timeoutMs / 1000} s`;
    case 'health-retries':
      return `the default, ${HEALTH_DEFAULTS.retries}`;
    case 'essential':
      return 'none: the service is not essential';
    case 'restart-backoff':
      return "runit's 1 s rule";
    case 'down-signal':
      return 'TERM';
    case 'timeout-kill':
      return 'none: no KILL after the down signal (as runit)';
    case 'dependencies.d':
      return 'no dependencies';
    default:
      return 'nothing (ignored)';
  }
}

/** A dependency name: a plain entry of the scan directory. */
function validDependencyName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

export function parseServiceSpec(input: SpecInput): { spec: ServiceSpec; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const spec: ServiceSpec = { ...DEFAULT_SPEC, dependencies: [] };
  const bad = (file: string, message: string, severity: 'error' | 'warning' = 'error'): void => {
    problems.push({ file, severity, message });
  };
  const f = input.files;

  if (f['notification-fd'] !== undefined) {
    const r = parseDecimal(firstLine(f['notification-fd']), FD_MIN, FD_MAX, 'descriptor');
    if (r.ok && Number.isInteger(r.value)) spec.notificationFd = r.value;
    else bad('notification-fd', `${r.ok ? `not a whole number: ${firstLine(f['notification-fd'])}` : r.message}; using ${usedInstead('notification-fd', input.checkExecutable)}`);
  }
  spec.hasCheck = input.checkExecutable;

  if (input.dependencyEntries) {
    const names = [...input.dependencyEntries].filter((n) => !n.startsWith('.')).sort();
    if (names.length > MAX_DEPENDENCIES) {
      bad('dependencies.d', `more than ${MAX_DEPENDENCIES} entries; only the first ${MAX_DEPENDENCIES} are used`, 'warning');
    }
    for (const n of names.slice(0, MAX_DEPENDENCIES)) {
      if (validDependencyName(n)) spec.dependencies.push(n);
      else bad('dependencies.d', `not a service name: ${JSON.stringify(n)}; ignored`);
    }
  }

  const healthFiles = (['health-interval', 'health-timeout', 'health-retries'] as const).filter((k) => f[k] !== undefined);
  if (input.healthExecutable) {
    const h: HealthSpec = { ...HEALTH_DEFAULTS };
    const secs = (file: 'health-interval' | 'health-timeout', min: number): number | undefined => {
      const text = f[file];
      if (text === undefined) return undefined;
      const r = parseDecimal(firstLine(text), min, MAX_TIMER_MS / 1000, 'seconds');
      if (r.ok) return Math.round(r.value * 1000);
      bad(file, `${r.message}; using ${usedInstead(file)}`);
      return undefined;
    };
    h.intervalMs = secs('health-interval', 0.1) ?? h.intervalMs;
    h.timeoutMs = secs('health-timeout', 0.1) ?? h.timeoutMs;
    if (f['health-retries'] !== undefined) {
      const r = parseDecimal(firstLine(f['health-retries']), 1, 1_000_000, 'retries');
      if (r.ok && Number.isInteger(r.value)) h.retries = r.value;
      else bad('health-retries', `${r.ok ? 'not a whole number' : r.message}; using ${usedInstead('health-retries')}`);
    }
    spec.health = h;
  } else {
    for (const k of healthFiles) bad(k, 'there is no executable ./health: ignored', 'warning');
  }

  if (f.essential !== undefined) {
    const v = firstLine(f.essential).toLowerCase();
    if (v === '' || v === 'always' || v === 'yes' || v === 'any') spec.essential = 'always';
    else if (v === 'on-failure') spec.essential = 'on-failure';
    else bad('essential', `expected nothing, "always" or "on-failure", got ${JSON.stringify(v)}; using ${usedInstead('essential')}`);
  }

  if (input.essentialAttempts !== undefined) spec.essentialAttempts = input.essentialAttempts;

  // The file wins over TSINIT_RESTART_BACKOFF (already parsed, and warned about, by settings.ts).
  const envBackoff = input.defaultBackoff ?? null;
  spec.restartBackoff = envBackoff;
  if (f['restart-backoff'] !== undefined) {
    const r = parseBackoff(f['restart-backoff']);
    if (r.ok) spec.restartBackoff = r.value;
    else bad('restart-backoff', `${r.message}; using ${envBackoff ? 'TSINIT_RESTART_BACKOFF' : usedInstead('restart-backoff')}`);
  }

  if (f['down-signal'] !== undefined) {
    const r = parseSignalName(f['down-signal']);
    if (r.ok) spec.downSignal = r.value;
    else bad('down-signal', `${r.message}; using ${usedInstead('down-signal')}`);
  }

  if (f['timeout-kill'] !== undefined) {
    // s6: milliseconds; 0 means never.
    const r = parseDecimal(firstLine(f['timeout-kill']), 0, Number.MAX_SAFE_INTEGER, 'milliseconds');
    if (r.ok && Number.isInteger(r.value)) spec.timeoutKillMs = r.value === 0 ? null : Math.min(r.value, MAX_TIMER_MS);
    else bad('timeout-kill', `${r.ok ? `not a whole number of milliseconds: ${firstLine(f['timeout-kill'])}` : r.message}; using ${usedInstead('timeout-kill')}`);
  }

  return { spec, problems };
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Read a small file; undefined when absent, a problem when unreadable or too big. */
function readSmall(p: string, file: string, problems: SpecProblem[]): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : '';
    if (code !== 'ENOENT') problems.push({ file, severity: 'error', message: `unable to open: ${code || String(e)}` });
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      problems.push({ file, severity: 'error', message: 'not a regular file' });
      return undefined;
    }
    const buf = Buffer.alloc(SPEC_FILE_MAX_BYTES + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n > SPEC_FILE_MAX_BYTES) {
      problems.push({ file, severity: 'error', message: `larger than ${SPEC_FILE_MAX_BYTES} bytes` });
      return undefined;
    }
    return buf.subarray(0, n).toString('utf8');
  } catch (e) {
    problems.push({ file, severity: 'error', message: `unable to read: ${e instanceof Error ? e.message : String(e)}` });
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Read and parse the extension files of the service directory dir. */
export function readServiceSpec(
  dir: string,
  env: NodeJS.ProcessEnv = process.env,
): { spec: ServiceSpec; problems: SpecProblem[] } {
  const ioProblems: SpecProblem[] = [];
  const files: Partial<Record<SpecFile, string>> = {};
  // One readdir instead of eleven failing opens and stats: a thrown ENOENT
  // costs ~0.1 ms in Node, and a service directory usually has none of these.
  const present = listing(dir);
  const has = (name: string): boolean => present === null || present.has(name);
  for (const name of SPEC_FILES) {
    if (!has(name)) continue;
    const text = readSmall(path.join(dir, name), name, ioProblems);
    if (text !== undefined) files[name] = text;
  }
  let dependencyEntries: string[] | null = null;
  if (has('dependencies.d')) {
    try {
      dependencyEntries = fs.readdirSync(path.join(dir, 'dependencies.d'));
    } catch (e) {
      const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : '';
      if (code !== 'ENOENT') ioProblems.push({ file: 'dependencies.d', severity: 'error', message: `unable to read: ${code}` });
    }
  }
  const { spec, problems } = parseServiceSpec({
    files,
    dependencyEntries,
    checkExecutable: has('check') && isExecutableFile(path.join(dir, 'check')),
    healthExecutable: has('health') && isExecutableFile(path.join(dir, 'health')),
    defaultBackoff: readSetting('restartBackoff', env),
    essentialAttempts: readSetting('essentialAttempts', env),
  });
  // A file that cannot be read counts as absent: say what is used instead.
  const io = ioProblems.map((p) => ({ ...p, message: `${p.message}; using ${usedInstead(p.file, spec.hasCheck)}` }));
  return { spec, problems: [...io, ...problems] };
}

/** Names in the service directory; null when it cannot be listed (then every file is tried). */
function listing(dir: string): Set<string> | null {
  try {
    return new Set(fs.readdirSync(dir));
  } catch {
    return null;
  }
}

/**
 * Only dependencies.d/ of the service directory dir: what the supervisor
 * needs before it starts a service's runsv.
 */
export function readDependencies(dir: string): { dependencies: string[]; problems: SpecProblem[] } {
  let entries: string[] | null = null;
  const problems: SpecProblem[] = [];
  const present = listing(dir);
  if (present !== null && !present.has('dependencies.d')) return { dependencies: [], problems };
  try {
    entries = fs.readdirSync(path.join(dir, 'dependencies.d'));
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : '';
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      problems.push({ file: 'dependencies.d', severity: 'error', message: `unable to read: ${code}; using ${usedInstead('dependencies.d')}` });
    }
  }
  if (entries === null) return { dependencies: [], problems };
  const r = parseServiceSpec({ files: {}, dependencyEntries: entries, checkExecutable: false, healthExecutable: false });
  return { dependencies: r.spec.dependencies, problems: [...problems, ...r.problems] };
}
