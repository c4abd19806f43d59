// The tool client as `tsinit install` leaves it (copies of build/tsinit-client
// whose slot names dist/tsinit, made here with install's own clientWithSlot:
// running dist/tsinit install would write the addon and the helper into dist/),
// and the fake PID 1 of fake-tool-server.c, for the client's tests. The copies
// go into a folder of the caller's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { clientWithSlot } from '../../native/tool-client.ts';
import { INSTALL_NAMES } from '../../src/init/install.ts';
import { repoRoot } from '../../testkit/debian.ts';
import { binary } from './tsinit.ts';
import { within } from './within.ts';

/** The client under every name `tsinit install` uses, in dir, falling back to dist/tsinit. */
export function installClients(dir: string): string {
  const client = clientWithSlot(fs.readFileSync(path.join(repoRoot, 'build', 'tsinit-client')), binary);
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  for (const name of INSTALL_NAMES) fs.writeFileSync(path.join(dir, name), client, { mode: 0o755 });
  return dir;
}

/** fake-tool-server.c compiled into dir (the system's gcc, as the build uses). */
export function buildFakeServer(dir: string): string {
  const out = path.join(dir, 'fake-tool-server');
  execFileSync('gcc', ['-O1', '-Wall', '-Werror', '-o', out, path.join(import.meta.dirname, 'fake-tool-server.c')]);
  return out;
}

/** The message bytes of one answer: u32 words and byte strings, in order. */
export function message(...parts: Array<number | Buffer | string>): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (typeof p === 'number') {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(p >>> 0);
        return b;
      }
      return typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    }),
  );
}

export interface FakeServer {
  proc: ChildProcess;
  /** its exit code */
  done: Promise<number | null>;
  stderr(): string;
  /** the log lines written so far */
  log(): string[];
}

/** Starts the fake server on dir/tools.sock with the steps; resolves once it listens. */
export async function fakeServer(server: string, dir: string, steps: string[]): Promise<FakeServer> {
  const logFile = path.join(dir, 'server.log');
  fs.rmSync(logFile, { force: true });
  const proc = spawn(server, [path.join(dir, 'tools.sock'), logFile, ...steps], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve) =>
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    }),
  );
  const r = await within(Promise.race([ready.then(() => 'ready' as const), done.then(() => 'exited' as const)]), 60000, 'timeout' as const);
  if (r !== 'ready') {
    proc.kill('SIGKILL');
    throw new Error(`the fake server did not start (${r}): ${err}`);
  }
  return {
    proc,
    done,
    stderr: () => err,
    log: () => {
      try {
        return fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
  };
}

export interface ClientRun {
  proc: ChildProcess;
  stdout: Buffer[];
  stderr: Buffer[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a client file with argv[0] and args, the given environment, collecting its output. */
export function runClient(file: string, argv0: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): ClientRun {
  const proc = spawn(file, args, { argv0, env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  proc.stdout?.on('data', (d: Buffer) => stdout.push(d));
  proc.stderr?.on('data', (d: Buffer) => stderr.push(d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { proc, stdout, stderr, exit };
}

/** Polls `check` (no fixed sleeps: each turn waits for the event loop) until it holds or ms pass. */
export async function waitUntil(check: () => boolean, ms = 60000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
