// Shared by the runsv integration and interop tests: service folders in a
// temp dir, runsv processes that are always cleaned up, control writes and
// status reads done the way sv does them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeStatus, type DecodedStatus } from '../../src/supervise/status-file.ts';

export interface ServiceSpec {
  run?: string;
  finish?: string;
  log?: string;
  down?: boolean;
  control?: Record<string, string>;
}

export function tempRoot(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function script(file: string, body: string, mode = 0o755): void {
  fs.writeFileSync(file, body, { mode });
  fs.chmodSync(file, mode);
}

export function makeService(root: string, name: string, spec: ServiceSpec): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  if (spec.run !== undefined) script(path.join(dir, 'run'), spec.run);
  if (spec.finish !== undefined) script(path.join(dir, 'finish'), spec.finish);
  if (spec.down) fs.writeFileSync(path.join(dir, 'down'), '');
  if (spec.log !== undefined) {
    fs.mkdirSync(path.join(dir, 'log'), { recursive: true });
    script(path.join(dir, 'log', 'run'), spec.log);
  }
  if (spec.control) {
    fs.mkdirSync(path.join(dir, 'control'), { recursive: true });
    for (const [c, body] of Object.entries(spec.control)) script(path.join(dir, 'control', c), body);
  }
  return dir;
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const procs = new Set<ChildProcess>();

export function startProc(cmd: string, args: string[], cwd: string): Proc {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(child);
  let out = '';
  let errText = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (errText += d.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      procs.delete(child);
      resolve(code);
    });
  });
  return { child, stdout: () => out, stderr: () => errText, exited };
}

// The timeout only bounds a wait that failed (a condition met returns at
// once): generous, so that a loaded 2-core CI machine never trips it.
export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = fn();
    } catch {
      v = undefined;
    }
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function readStatus(dir: string, log = false): DecodedStatus | undefined {
  try {
    const b = fs.readFileSync(path.join(dir, log ? 'log/supervise/status' : 'supervise/status'));
    return b.length === 20 ? decodeStatus(b) : undefined;
  } catch {
    return undefined;
  }
}

/** Write command bytes to supervise/control the way sv does (O_WRONLY|O_NONBLOCK, one write). */
export function control(dir: string, chars: string, log = false): void {
  const fd = fs.openSync(path.join(dir, log ? 'log/supervise/control' : 'supervise/control'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    fs.writeSync(fd, chars);
  } finally {
    fs.closeSync(fd);
  }
}

/** Is a runsv holding supervise/ok open (sv's liveness test)? */
export function runsvAlive(dir: string): boolean {
  try {
    fs.closeSync(fs.openSync(path.join(dir, 'supervise/ok'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

/** Alive, and running in (or below) dir: never kill a recycled pid. */
function ownedBy(pid: number, dir: string): boolean {
  try {
    const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    return cwd.startsWith(fs.realpathSync(dir));
  } catch {
    return false;
  }
}

/** Stop everything a test started: x to each service, then SIGKILL leftovers. */
export async function cleanup(dirs: string[], root?: string): Promise<void> {
  const pids: number[] = [];
  for (const d of dirs) {
    for (const log of [false, true]) {
      const st = readStatus(d, log);
      if (st && st.pid > 0) pids.push(st.pid);
    }
    try {
      control(d, 'x');
    } catch {
      // no runsv there
    }
  }
  const end = Date.now() + 5000;
  while (procs.size > 0 && Date.now() < end) await sleep(50);
  for (const p of procs) p.kill('SIGKILL');
  for (const d of dirs) {
    for (const log of [false, true]) {
      const st = readStatus(d, log);
      if (st && st.pid > 0) pids.push(st.pid);
    }
    for (const pid of pids) if (ownedBy(pid, d)) process.kill(pid, 'SIGKILL');
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
}
