// Running tsinit as PID 1 of a fresh PID namespace (unshare --pid --fork
// --mount-proc), with its output captured and its host pid at hand.
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from './tsinit.ts';

export interface Run {
  proc: ChildProcess;
  /** host pid of tsinit (PID 1 inside) */
  initPid(): Promise<number>;
  output(): string;
  /** resolves when output contains text */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
  /** send a signal to tsinit itself */
  signal(sig: NodeJS.Signals): Promise<void>;
  startedAt: number;
}

/**
 * What run() started and is still running. A test that fails before its own
 * cleanup leaves its tsinit behind, whose pipes would keep the file's process
 * (and the whole test run) waiting forever: once every test of the file is
 * done, what is left is killed (with unshare's --kill-child, the namespace
 * goes with it).
 */
const live = new Set<ChildProcess>();
after(() => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
});

export function run(cmd: string[], env: NodeJS.ProcessEnv = {}, opts: { pidns?: boolean } = {}): Run {
  const pidns = opts.pidns ?? true;
  const argv = pidns ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...cmd] : cmd;
  const startedAt = Date.now();
  // Each tsinit its own runtime directory unless the test names one: the
  // host's /run/tsinit belongs to whichever tsinit of a parallel test file
  // came first (the pid file, the events socket, halt requests).
  const runDir = 'TSINIT_RUN_DIR' in env ? {} : { TSINIT_RUN_DIR: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-run-')), 'run') };
  const proc = spawn(argv[0] as string, argv.slice(1), {
    env: { PATH: process.env.PATH, ...runDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  proc.on('exit', () => live.delete(proc));
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of [...waiters]) w();
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>((resolve) => {
    // The last lines may still be in the pipes at 'exit': wait for 'close' too,
    // but not forever (a leftover process may hold the pipes open).
    proc.on('exit', (code, signal) => {
      const st = { code, signal, elapsedMs: Date.now() - startedAt };
      const t = setTimeout(() => resolve(st), 2000);
      proc.on('close', () => {
        clearTimeout(t);
        resolve(st);
      });
    });
  });
  const initPid = async (): Promise<number> => {
    if (!pidns) return proc.pid as number;
    for (const end = Date.now() + 60_000; Date.now() < end; ) {
      try {
        const kids = fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim();
        if (kids) return Number(kids.split(' ')[0]);
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('tsinit did not start');
  };
  return {
    proc,
    initPid,
    output: () => out,
    exit,
    startedAt,
    waitFor: (text, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const matches = (): boolean => (typeof text === 'string' ? out.includes(text) : text.test(out));
        if (matches()) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(text)}; output:\n${out}`)), timeoutMs);
        const check = (): void => {
          if (matches()) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve();
          }
        };
        waiters.push(check);
      }),
    signal: async (sig) => {
      process.kill(await initPid(), sig);
    },
  };
}

/** A temp runit dir with the given stage scripts (shell bodies). */
export function runitDir(stages: Partial<Record<'1' | '2' | '3' | 'ctrlaltdel', string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-runit-'));
  for (const [name, body] of Object.entries(stages)) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

export const tsinit = (): string => tool('tsinit');

/**
 * How long tsinit's shutdown took by its own clock ("exit after N ms."): the
 * budget is tsinit's promise; the test's clock adds process start and exit
 * latencies of a loaded machine that say nothing about it.
 */
export function shutdownMs(output: string): number {
  const m = /exit after (\d+) ms\./.exec(output);
  if (!m) throw new Error(`no "exit after N ms." line in:\n${output}`);
  return Number(m[1]);
}

/** Slack for timers firing late on a loaded machine; the budget itself is the claim. */
export const TIMER_SLACK_MS = 1000;
