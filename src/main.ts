// Entry point of the single executable: pick the tool, run it, exit with its code.
// First of all: keep Node from making the shared stdout/stderr non-blocking.
import './util/std-streams.ts';
import fs from 'node:fs';
import path from 'node:path';
import { recordOriginalLimits } from './process/original-limits.ts';
import { applyHeapPolicy } from './util/heap-policy.ts';
import { dispatch, executors, tools, usage } from './dispatch.ts';
import { versionLine } from './version.ts';
import { helpRequest } from './help.ts';
import { invokedAs } from './self.ts';
import type { ToolContext, ToolInvocation } from './tool.ts';
import type { ToolName } from './tool-names.ts';
import { INIT_SIGNALS, initSignals } from './init/signal-inbox.ts';
import { drainOutput, err, flushOutputSync, out } from './util/output.ts';
import { provideToolService } from './init/tool-service-slot.ts';

function originalArgv(): { argv0: string; args: string[] } {
  // Inside the single executable argv[1] repeats the executable and argv[0]
  // names the tool; run by Node (npm package, or `node src/main.ts ...`)
  // argv[1] is the script, which a tool link may name.
  return { argv0: invokedAs(), args: process.argv.slice(2) };
}

/** sv's LSB mode: is argv0 a link (/etc/init.d/NAME) to something named sv? */
function linksToSv(argv0: string): boolean {
  try {
    return path.basename(fs.readlinkSync(argv0)) === 'sv';
  } catch {
    return false;
  }
}

/**
 * This process's directory. A removed one has no path: /proc/self/cwd still
 * reaches it, so relative names mean what they did.
 */
function currentDir(): string {
  try {
    return process.cwd();
  } catch {
    return '/proc/self/cwd';
  }
}

/** The executable's caller: this process's own environment, directory, descriptors and ids. */
function processContext(inv: ToolInvocation): ToolContext {
  return {
    ...inv,
    env: process.env,
    cwd: currentDir(),
    stdin: 0,
    stdout: 1,
    stderr: 2,
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
}

/** Will this run be the init (stage or command mode), whose signals must not be lost? */
function becomesInit(tool: ToolName, args: readonly string[]): boolean {
  if (tool === 'runit' || tool === 'runit-init') return process.pid === 1;
  return tool === 'tsinit' && args[0] !== 'install';
}

// The open-files limit we were started with, before a parent may be gone.
recordOriginalLimits();
// A flat heap for the long-running tools (PID 1 above all), set before it grows.
applyHeapPolicy();

/** Longest wait at exit for a full stdout/stderr to take tsinit's last lines. */
const EXIT_FLUSH_MS = 1000;

async function run(): Promise<number> {
  const { argv0, args } = originalArgv();
  const d = dispatch(argv0, args, linksToSv);
  if ('error' in d) {
    err(d.error);
    return 100;
  }
  const help = helpRequest(d.tool, d.ctx.argv0, d.ctx.args, { lsb: d.ctx.lsbName !== undefined, pid1: process.pid === 1 });
  if (help) {
    (help.stream === 'out' ? out : err)(help.text);
    return help.code;
  }
  if (d.tool === 'tsinit' && d.ctx.args[0] === '--version') {
    out(versionLine());
    return 0;
  }
  // The init listens before it loads anything: a PID 1 drops what it does not catch.
  if (becomesInit(d.tool, d.ctx.args)) {
    initSignals.listen(INIT_SIGNALS);
    // Its tool service runs tools through dispatch.ts, which loads the init: handed over, not imported there.
    provideToolService(async (o) => (await import('./tool-service/serve.ts')).startForInit(o));
  }
  const loader = tools[d.tool];
  if (!loader) {
    err(usage());
    return 100;
  }
  const main = await loader();
  // Signal listeners do not keep Node's event loop alive: a tool waiting only
  // for SIGCHLD would otherwise be left to exit early.
  const keepAlive = setInterval(() => {}, 0x7fffffff);
  try {
    const ctx = processContext(d.ctx);
    const result = await main(ctx);
    if (typeof result === 'number') return result;
    // An exec plan (chpst): this process becomes the program.
    const become = await executors[result.tool]();
    return become(result, ctx);
  } finally {
    clearInterval(keepAlive);
  }
}

run().then(
  async (code) => {
    // The init's own lines may still be on their way (util/own-output.ts).
    await drainOutput(EXIT_FLUSH_MS);
    // Output is written synchronously (or, for the init, flushed here for at
    // most a second: a pipe nobody reads must not keep PID 1 alive); tools
    // that keep handles open (signal listeners, FIFOs) would otherwise linger.
    flushOutputSync(EXIT_FLUSH_MS);
    process.exit(code);
  },
  (e: unknown) => {
    err(`tsinit: fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    flushOutputSync(EXIT_FLUSH_MS);
    process.exitCode = 111;
  },
);
