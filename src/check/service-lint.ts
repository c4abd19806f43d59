// `tsinit check`'s findings about one service directory: the scripts runsv
// will exec (present, executable, a #! line the kernel can follow, no CRLF,
// an interpreter that exists), log/run (the usual svlogd line runs inside
// tsinit, anything else as its own process), extension files that do not
// parse (service-spec.ts) and files that look like a misspelled option.
// Reads the directory; the decisions are the pure helpers below.
import fs from 'node:fs';
import path from 'node:path';
import { planInprocessLog } from '../supervise/log-run.ts';
import { readServiceSpec, SPEC_FILES, type ServiceSpec } from '../supervise/service-spec.ts';
import { errstrOf } from '../util/errstr.ts';

export type Severity = 'error' | 'warning';

export interface Finding {
  /** the service (scan directory entry); null for findings about the whole directory */
  service: string | null;
  /** the file concerned, relative to the service directory */
  file: string | null;
  severity: Severity;
  message: string;
}

/** Names runit, s6 and tsinit give meaning to in a service directory. */
export const KNOWN_FILES: readonly string[] = [
  'run', 'finish', 'down', 'log', 'supervise', 'control', 'check', 'conf', 'env',
  'health', 'dependencies.d', 'data', 'lock', 'README', 'readme',
  ...SPEC_FILES,
];

/** Options a misspelling is measured against (runit's usual names are too common to guess at). */
const OPTION_NAMES: readonly string[] = [...SPEC_FILES, 'dependencies.d', 'finish', 'health', 'control'];

const SCRIPT_HEAD_BYTES = 4096;

/** Damerau-Levenshtein (optimal string alignment) distance; small strings only. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[i - 2] as number[])[j - 2] as number + 1);
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The option a file name looks like a misspelling of, or null. */
export function misspelledOption(name: string): string | null {
  if (KNOWN_FILES.includes(name) || name.startsWith('.')) return null;
  const norm = name.toLowerCase().replace(/[_ ]/g, '-');
  for (const opt of OPTION_NAMES) if (norm === opt || norm === opt.replace(/\.d$/, '')) return opt;
  if (norm.length < 4) return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const opt of OPTION_NAMES) {
    const dist = editDistance(norm, opt);
    const limit = opt.length <= 6 ? 1 : 2;
    if (dist <= limit && dist < bestD) {
      best = opt;
      bestD = dist;
    }
  }
  return best;
}

/** What is wrong with a script's first bytes for exec(): pure. */
export function scriptProblems(head: Buffer): { severity: Severity; message: string; interpreter?: string[] }[] {
  if (head.length >= 4 && head[0] === 0x7f && head.subarray(1, 4).toString('latin1') === 'ELF') return [];
  const text = head.toString('latin1');
  const out: { severity: Severity; message: string; interpreter?: string[] }[] = [];
  if (!text.startsWith('#!')) {
    const bom = text.startsWith('\xef\xbb\xbf#!');
    out.push({
      severity: 'error',
      message: bom
        ? 'starts with a UTF-8 byte order mark before #!: exec fails (exec format error)'
        : 'no #! line and not a binary: exec fails (exec format error)',
    });
    return out;
  }
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  if (first.endsWith('\r')) {
    out.push({ severity: 'error', message: 'CRLF line endings: the kernel looks for an interpreter whose name ends in a carriage return' });
  } else if (text.includes('\r\n')) {
    out.push({ severity: 'warning', message: 'CRLF line endings: the shell will see a carriage return at the end of each line' });
  }
  const words = first.slice(2).replace(/\r$/, '').trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) out.push({ severity: 'error', message: 'empty #! line' });
  else out.push({ severity: 'error', message: '', interpreter: words });
  return out;
}

function isExecutable(st: fs.Stats): boolean {
  return st.isFile() && (st.mode & 0o111) !== 0;
}

function findInPath(name: string, envPath: string): boolean {
  for (const d of envPath.split(':')) {
    if (d === '') continue;
    try {
      if (isExecutable(fs.statSync(path.join(d, name)))) return true;
    } catch {
      // not here
    }
  }
  return false;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Check a script runsv executes; required: missing is an error. */
function lintScript(dir: string, rel: string, required: boolean, add: (file: string, s: Severity, m: string) => void, env: NodeJS.ProcessEnv): void {
  const file = path.join(dir, rel);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (required) add(rel, 'error', 'missing: runsv cannot start this service');
    } else add(rel, 'error', `unable to stat: ${errstrOf(e)}`);
    return;
  }
  if (!st.isFile()) {
    add(rel, 'error', 'not a regular file');
    return;
  }
  if ((st.mode & 0o111) === 0) {
    // runsv opens ./finish to decide whether it exists; a non-executable one fails to exec.
    add(rel, 'error', 'not executable (chmod +x)');
  }
  let head: Buffer;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(SCRIPT_HEAD_BYTES);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    add(rel, 'error', `unable to read: ${errstrOf(e)}`);
    return;
  }
  for (const p of scriptProblems(head)) {
    if (!p.interpreter) {
      add(rel, p.severity, p.message);
      continue;
    }
    const [interp, arg] = p.interpreter as [string, string | undefined];
    if (!interp.startsWith('/')) {
      add(rel, 'error', `interpreter ${interp} is not an absolute path: the kernel does not search PATH`);
      continue;
    }
    let ist: fs.Stats | undefined;
    try {
      ist = fs.statSync(interp);
    } catch {
      add(rel, 'error', `interpreter ${interp} does not exist`);
      continue;
    }
    if (!isExecutable(ist)) {
      add(rel, 'error', `interpreter ${interp} is not executable`);
      continue;
    }
    if (path.basename(interp) === 'env' && arg !== undefined && !arg.startsWith('-') && !arg.includes('/')) {
      if (!findInPath(arg, env.PATH || DEFAULT_PATH)) add(rel, 'warning', `${interp} ${arg}: ${arg} is not found in PATH`);
    }
  }
}

export interface ServiceLint {
  name: string;
  spec: ServiceSpec;
  findings: Finding[];
  /** the findings that are the extension files' problems: runsv reports these itself at every start */
  fromSpec: ReadonlySet<Finding>;
}

/** Everything `tsinit check` says about one service directory. */
export function lintService(scanDir: string, name: string, env: NodeJS.ProcessEnv = process.env): ServiceLint {
  const dir = path.join(scanDir, name);
  const findings: Finding[] = [];
  const add = (file: string | null, severity: Severity, message: string): void => {
    findings.push({ service: name, file, severity, message });
  };
  lintScript(dir, 'run', true, add, env);
  lintScript(dir, 'finish', false, add, env);
  lintScript(dir, 'check', false, add, env);
  lintScript(dir, 'health', false, add, env);

  let logIsDir = false;
  try {
    logIsDir = fs.statSync(path.join(dir, 'log')).isDirectory();
    if (!logIsDir) add('log', 'warning', 'not a directory: ignored by runsv');
  } catch {
    // no log service
  }
  if (logIsDir) {
    lintScript(dir, 'log/run', true, add, env);
    try {
      const text = fs.readFileSync(path.join(dir, 'log', 'run'), 'utf8').slice(0, SCRIPT_HEAD_BYTES);
      if (!planInprocessLog(text)) {
        add('log/run', 'warning', 'not the usual svlogd line: runs as its own process instead of inside tsinit');
      }
    } catch {
      // reported above
    }
  }

  const { spec, problems } = readServiceSpec(dir, env);
  const fromSpec = new Set<Finding>();
  for (const p of problems) {
    add(p.file, p.severity, p.message);
    fromSpec.add(findings[findings.length - 1] as Finding);
  }

  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    add(null, 'error', `unable to read the directory: ${errstrOf(e)}`);
  }
  for (const e of entries.sort()) {
    const opt = misspelledOption(e);
    if (opt !== null) add(e, 'warning', `unknown file; did you mean ${opt}? (ignored as it is)`);
  }
  return { name, spec, findings, fromSpec };
}
