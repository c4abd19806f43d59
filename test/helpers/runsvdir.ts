// Shared by the runsvdir-*/supervisor-* integration tests: temp service
// folders, a runsvdir child with its output collected, polling helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from './tsinit.ts';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A service folder with an executable ./run (and optional ./finish) under parent/name. */
export function makeService(parent: string, name: string, run: string, finish?: string): string {
  const d = path.join(parent, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'run'), `#!/bin/sh\n${run}\n`, { mode: 0o755 });
  if (finish !== undefined) fs.writeFileSync(path.join(d, 'finish'), `#!/bin/sh\n${finish}\n`, { mode: 0o755 });
  return d;
}

export function readOr(p: string, dflt = ''): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return dflt;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie is not alive for our purposes
  return !/^\d+ \(.*\) Z /.test(readOr(`/proc/${pid}/stat`));
}

// The timeout only bounds a wait that failed (a condition met returns at
// once): generous, so that a loaded 2-core CI machine never trips it.
export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000, stepMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface Running {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startRunsvdir(args: string[], opts: { cwd?: string; detached?: boolean } = {}): Running {
  const child = spawn(tool('runsvdir'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.detached ? { detached: true } : {}),
  });
  let err = '';
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, stdout: () => out, exited };
}

/** Stop a runsvdir left running by a failed test, and whatever it supervised. */
export async function cleanup(r: Running | undefined, serviceDirs: string[] = []): Promise<void> {
  if (r && r.child.exitCode === null && r.child.signalCode === null) {
    r.child.kill('SIGTERM');
    const t = setTimeout(() => r.child.kill('SIGKILL'), 5000);
    await r.exited;
    clearTimeout(t);
  }
  for (const d of serviceDirs) {
    const pid = Number(readOr(path.join(d, 'supervise', 'pid')).trim());
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

export function statOf(serviceDir: string): string {
  return readOr(path.join(serviceDir, 'supervise', 'stat')).trim();
}

export function pidOf(serviceDir: string): number {
  return Number(readOr(path.join(serviceDir, 'supervise', 'pid')).trim()) || 0;
}
