// A real tsinit as PID 1 of a PID namespace (command mode, `sleep` as its
// command) with the tool client installed by `dist/tsinit install DIR`, and
// callers run inside its namespaces (nsenter --pid --mount: SO_PEERCRED names
// them and their `/` is PID 1's mount of it, so PID 1 serves them) as root or
// as nobody. For the security tests of
// issue 18: PID 1's debug log says which calls fell back, its descriptors and
// RSS are read from the host's /proc.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientWithSlot } from '../../native/tool-client.ts';
import { INSTALL_NAMES } from '../../src/init/install.ts';
import { debianRunit, repoRoot } from '../../testkit/debian.ts';
import { run, tsinit, type Run } from './pidns.ts';
import { binary } from './tsinit.ts';
export { fakeService, type FakeService } from './fake-service.ts';

export const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
/** the fallback slot of the `nowhere` clients: a call PID 1 did not serve shows as this file's absence */
export const NOWHERE = '/nonexistent/tsinit';
export const NOWHERE_ERR = `tsinit: fatal: unable to run ${NOWHERE}: file does not exist\n`;

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface CallOptions {
  nobody?: boolean;
  stdin?: string;
  cwd?: string;
  /** run the client from nowhere/ (slot naming NOWHERE) instead of bin/ */
  nowhere?: boolean;
}

export interface Pid1 {
  dir: string;
  /** the clients as `dist/tsinit install` left them */
  bin: string;
  /** the clients whose slot names NOWHERE */
  nowhere: string;
  runDir: string;
  /** host pid of PID 1 */
  pid: number;
  init: Run;
  /** a tool of bin/ (or nowhere/) by name, inside the namespace */
  call(argv: string[], o?: CallOptions): Promise<Ran>;
  /** any program inside the namespace */
  exec(argv: string[], o?: { nobody?: boolean; stdin?: string; cwd?: string }): Promise<Ran>;
  /** PID 1's debug log so far */
  log(): string;
  fdCount(): number;
  rssKb(): number;
}

/** A scratch directory everyone can search (mkdtemp makes 0700). */
export function scratch(t: { after(fn: () => void): void }, prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o755);
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Runs a program, collecting its output; never throws for its exit. */
export function runProgram(argv: string[], o: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0] as string, argv.slice(1), { cwd: o.cwd, env: o.env ?? { PATH: '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, out, err }));
    p.stdin.on('error', () => {});
    p.stdin.end(o.stdin ?? '');
  });
}

/** Debian's runit tool as nobody, on the host (it reads no TSINIT_ variable, needs no namespace). */
export function debianAsNobody(tool: 'sv' | 'chpst' | 'svlogd', args: string[], o: { stdin?: string; cwd?: string } = {}): Promise<Ran> {
  return runProgram([...NOBODY, debianRunit()[tool], ...args], o);
}

export async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function countFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]);
}

export async function startPid1(t: { after(fn: () => void | Promise<void>): void }): Promise<Pid1> {
  const dir = scratch(t, 'tsinit-sec-');
  const bin = path.join(dir, 'bin');
  const runDir = path.join(dir, 'run');
  // the way: the full executable installs the client under every name
  execFileSync(binary, ['install', bin], { stdio: ['ignore', 'ignore', 'pipe'] });
  fs.chmodSync(bin, 0o755);
  const nowhere = path.join(dir, 'nowhere');
  fs.mkdirSync(nowhere, { mode: 0o755 });
  const client = clientWithSlot(fs.readFileSync(path.join(repoRoot, 'build', 'tsinit-client')), NOWHERE);
  for (const name of INSTALL_NAMES) fs.writeFileSync(path.join(nowhere, name), client, { mode: 0o755 });
  const init = run([tsinit(), '--', 'sleep', '100000'], { TSINIT_RUN_DIR: runDir, TSINIT_LOG_LEVEL: 'debug' });
  t.after(async () => {
    // tsinit itself (the command goes with it); unshare and its child are killed only if that hangs
    await init.signal('SIGTERM').catch(() => {});
    const killer = setTimeout(() => init.proc.kill('SIGKILL'), 30_000);
    await init.exit;
    clearTimeout(killer);
  });
  const pid = await init.initPid();
  await init.waitFor('tool service listening');
  const env = { PATH: `${bin}:/usr/bin:/bin`, TSINIT_RUN_DIR: runDir };
  const exec = (argv: string[], o: { nobody?: boolean; stdin?: string; cwd?: string } = {}): Promise<Ran> =>
    runProgram(['nsenter', '-t', String(pid), '-p', '-m', '--', ...(o.nobody ? NOBODY : []), ...argv], { stdin: o.stdin, cwd: o.cwd ?? dir, env });
  return {
    dir, bin, nowhere, runDir, pid, init, exec,
    call: (argv, o = {}) => exec([path.join(o.nowhere ? nowhere : bin, argv[0] as string), ...argv.slice(1)], o),
    log: () => init.output(),
    fdCount: () => countFds(pid),
    rssKb: () => rss(pid),
  };
}

