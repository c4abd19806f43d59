// TSINIT_TEST_TOOLS=client: the tests' tool folder holds the thin tool client
// (issue 18) as `tsinit install DIR` leaves it, and a tsinit serving the tool
// socket runs beside the test file for its lifetime, so every tool call of a
// test goes through the client to that tsinit - the tests themselves
// unchanged.
//
// Per test process, under .cache/client-TAG-XXXXXX/ (removed at exit):
//   full/tsinit      a hard link to dist/tsinit (its `install` writes the FFI
//                    addon and the exec helper beside itself: not into dist/)
//   bin/             `full/tsinit install bin`: the client under every name,
//                    then each client's fallback slot pointed at
//   full/fallback-recorder, which notes the call (pid, TSINIT_RUN_DIR, argv)
//                    in fallbacks.log and execs full/tsinit with the same argv
//                    and environment; the other names (tsinit, halt, check)
//                    are links to full/tsinit, as in the default tool folder
//   run/             TSINIT_RUN_DIR of `full/tsinit -p TERM -- sleep ...`, a
//                    plain child of the test process (so in its PID
//                    namespace: a caller in another one is answered FALLBACK),
//                    logging at debug level into serve.log: one line per call
//                    it served, one per FALLBACK it answered
// TSINIT_RUN_DIR is exported to this process's environment, and added to
// every environment a test hands child_process (spawn, spawnSync, execFile,
// execFileSync, exec, execSync) without one: tests pass their own environment
// objects, and the client finds the socket by TSINIT_RUN_DIR (in a container
// by the default /run/tsinit, which a test cannot take). Not to the test's
// own full tsinit (it would claim this run directory) - and a script's
// `env -` still clears it: such a call falls back, and is counted so.
//
// At exit the calls are counted and one line is printed on stderr: served by
// the tool service, FALLBACK by its policy, and calls that never reached it
// (a fallback in fallbacks.log without its FALLBACK in serve.log: no
// TSINIT_RUN_DIR, another one, or another PID namespace). With
// TSINIT_TEST_CLIENT_REPORT=FILE the counts are appended to FILE as one JSON
// line (scripts/test.mjs adds them up).
import childProcess, { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { clientWithSlot } from '../../native/tool-client.ts';
import { INSTALL_NAMES } from '../../src/init/install.ts';
import { repoRoot } from '../../testkit/debian.ts';

export const clientMode = process.env.TSINIT_TEST_TOOLS === 'client';

export interface ClientTools {
  /** the tool folder: clients, and links to the full executable for the names without one */
  bin: string;
  /** the full executable (a hard link to dist/tsinit) */
  full: string;
  /** the serving tsinit's runtime directory (tools.sock) */
  runDir: string;
}

/** What the calls of one test process came to. */
export interface ClientCounts {
  file: string;
  /** served by the tool service, by tool */
  served: Record<string, number>;
  /** answered FALLBACK by its policy, by reason */
  fellBack: Record<string, number>;
  /** fell back without reaching it, by "tool (TSINIT_RUN_DIR=...)" */
  unreached: Record<string, number>;
}

let tools: ClientTools | undefined;

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function add(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Counts the calls from the serving tsinit's log and the fallback recorder's. */
export function countCalls(file: string, serveLog: string, fallbackLog: string, runDir: string): ClientCounts {
  const c: ClientCounts = { file, served: {}, fellBack: {}, unreached: {} };
  // per pid, in order: what tsinit answered (a served chpst whose plan fell back has both lines)
  const answers = new Map<string, Array<{ how: string; what: string }>>();
  for (const line of serveLog.split('\n')) {
    const m = /tool call of pid (\d+) \(uid \d+\): (served|fallback): (.*)$/.exec(line);
    if (!m) continue;
    const [, pid, how, what] = m as unknown as [string, string, string, string];
    const list = answers.get(pid) ?? [];
    const last = list[list.length - 1];
    if (how === 'fallback' && last?.how === 'served' && what.startsWith(`${last.what} `)) list[list.length - 1] = { how, what };
    else list.push({ how, what });
    answers.set(pid, list);
  }
  const pending = new Map<string, Array<{ how: string; what: string }>>();
  for (const [pid, list] of answers) pending.set(pid, [...list]);
  // each recorded fallback consumes the first unmatched FALLBACK tsinit logged for its pid
  for (const line of fallbackLog.split('\n')) {
    if (line === '') continue;
    const [pid = '', dir = '', argv0 = ''] = line.split('\t');
    // a caller in another PID namespace is logged as pid 0
    const list = [pending.get(pid), pending.get('0')].find((l) => dir === runDir && l?.some((a) => a.how === 'fallback'));
    if (list) list.splice(list.findIndex((a) => a.how === 'fallback'), 1);
    else add(c.unreached, `${path.basename(argv0)} (TSINIT_RUN_DIR ${dir === runDir ? "this test's" : dir})`);
  }
  for (const list of answers.values()) {
    for (const a of list) add(a.how === 'served' ? c.served : c.fellBack, a.what);
  }
  return c;
}

const total = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const listed = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');

export function describeCounts(c: ClientCounts): string {
  return (
    `# client mode, ${c.file}: ${total(c.served)} calls served by the tool service (${listed(c.served)}); ` +
    `${total(c.fellBack)} answered FALLBACK (${listed(c.fellBack)}); ` +
    `${total(c.unreached)} fell back without reaching it (${listed(c.unreached)})`
  );
}

type Spawner = (...args: unknown[]) => unknown;
const SPAWNERS = ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync'] as const;

/**
 * Every child_process function given an options object with an environment
 * lacking TSINIT_RUN_DIR adds it (a copy: the test's object is left alone),
 * unless the program is one of `exempt`. ES module imports of node:child_process
 * see the change through syncBuiltinESMExports.
 */
function passRunDir(runDir: string, exempt: ReadonlySet<string>): void {
  const cp = childProcess as unknown as Record<(typeof SPAWNERS)[number], Spawner>;
  for (const name of SPAWNERS) {
    const original = cp[name];
    cp[name] = function (this: unknown, ...args: unknown[]): unknown {
      if (!exempt.has(String(args[0]))) {
        const at = args.findIndex((a, i) => i > 0 && typeof a === 'object' && a !== null && !Array.isArray(a));
        const o = at > 0 ? (args[at] as { env?: NodeJS.ProcessEnv }) : undefined;
        if (o?.env && !('TSINIT_RUN_DIR' in o.env)) args[at] = { ...o, env: { ...o.env, TSINIT_RUN_DIR: runDir } };
      }
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}

/** This process's folder and run directory: made at import, so the environments of calls before the first tool have TSINIT_RUN_DIR too. */
interface Place {
  root: string;
  runDir: string;
}

function makePlace(): Place {
  const tag = createHash('sha256').update(fs.realpathSync(repoRoot)).digest('hex').slice(0, 12);
  fs.mkdirSync(path.join(repoRoot, '.cache'), { recursive: true });
  const root = fs.mkdtempSync(path.join(repoRoot, '.cache', `client-${tag}-`));
  fs.chmodSync(root, 0o755); // tools run as other users (chpst -u nobody) search it
  const place = { root, runDir: path.join(root, 'run') };
  process.env.TSINIT_RUN_DIR = place.runDir;
  passRunDir(place.runDir, new Set([path.join(root, 'full', 'tsinit'), path.join(root, 'bin', 'tsinit'), path.join(repoRoot, 'dist', 'tsinit')]));
  // registered first: the counting (registered when the tools are made) runs before the folder goes
  process.on('exit', () => {
    if (served) finish(served);
    fs.rmSync(root, { recursive: true, force: true });
  });
  return place;
}

const place: Place | undefined = clientMode ? makePlace() : undefined;

interface Served {
  pid: number;
  serveLog: string;
  fallbackLog: string;
}
let served: Served | undefined;

/** Stops the serving tsinit, counts the calls and says so. */
function finish(s: Served): void {
  try {
    process.kill(s.pid, 'SIGTERM');
  } catch {
    // gone already
  }
  const file = path.relative(repoRoot, process.argv[1] ?? 'unknown');
  const counts = countCalls(file, fs.readFileSync(s.serveLog, 'utf8'), fs.readFileSync(s.fallbackLog, 'utf8'), place?.runDir ?? '');
  fs.writeSync(2, `${describeCounts(counts)}\n`);
  const report = process.env.TSINIT_TEST_CLIENT_REPORT;
  if (report) fs.appendFileSync(report, `${JSON.stringify(counts)}\n`);
}

/** The client tool folder and its serving tsinit, made once per test process. */
export function clientTools(binary: string, linkNames: readonly string[]): ClientTools {
  if (tools) return tools;
  if (!place) throw new Error('clientTools: not in client mode (TSINIT_TEST_TOOLS=client)');
  if (!fs.existsSync(binary)) throw new Error(`TSINIT_TEST_TOOLS=client: ${binary} is missing: run \`node build.mjs\` first`);
  const { root, runDir } = place;
  const full = path.join(root, 'full');
  fs.mkdirSync(full, { mode: 0o755 });
  const exe = path.join(full, 'tsinit');
  try {
    fs.linkSync(binary, exe);
  } catch {
    fs.copyFileSync(binary, exe);
    fs.chmodSync(exe, 0o755);
  }
  const bin = path.join(root, 'bin');
  const said = execFileSync(exe, ['install', bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (!said.includes('installed the tool client')) throw new Error(`TSINIT_TEST_TOOLS=client: tsinit install left no clients:\n${said}`);
  fs.chmodSync(bin, 0o755);

  const fallbackLog = path.join(root, 'fallbacks.log');
  fs.writeFileSync(fallbackLog, '');
  fs.chmodSync(fallbackLog, 0o666); // callers of any uid append to it
  const recorder = path.join(full, 'fallback-recorder');
  execFileSync('gcc', [
    '-O1', '-Wall', '-Werror', `-DRECORD_LOG="${fallbackLog}"`, `-DFULL_TSINIT="${exe}"`,
    '-o', recorder, path.join(import.meta.dirname, 'fallback-recorder.c'),
  ]);
  for (const name of INSTALL_NAMES) {
    const p = path.join(bin, name);
    const tmp = `${p}.recorder`;
    fs.writeFileSync(tmp, clientWithSlot(fs.readFileSync(p), recorder), { mode: 0o755 });
    fs.renameSync(tmp, p);
  }
  for (const name of linkNames) {
    if (!INSTALL_NAMES.includes(name)) fs.symlinkSync(exe, path.join(bin, name));
  }

  const serveLog = path.join(root, 'serve.log');
  const logFd = fs.openSync(serveLog, 'a');
  const child: ChildProcess = spawn(exe, ['-p', 'TERM', '--', 'sleep', '2147483647'], {
    env: { PATH: '/usr/bin:/bin', TSINIT_RUN_DIR: runDir, TSINIT_LOG_LEVEL: 'debug' },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  child.unref();
  const pid = child.pid as number;
  served = { pid, serveLog, fallbackLog };
  const socket = path.join(runDir, 'tools.sock');
  for (const end = Date.now() + 60_000; !fs.existsSync(socket); sleepMs(20)) {
    if (!running(pid) || Date.now() > end) {
      throw new Error(`TSINIT_TEST_TOOLS=client: the serving tsinit did not listen on ${socket}:\n${fs.readFileSync(serveLog, 'utf8')}`);
    }
  }
  tools = { bin, full: exe, runDir };
  return tools;
}
