// `tsinit halt [CODE]`: ask the running tsinit to shut down, and set the
// container's exit code (the first code set wins) — s6-overlay's
// exit-code file plus `halt` in one. Meant for finish scripts and any
// process in the container running as tsinit's user (root).
import fs from 'node:fs';
import { writerOf, type ToolContext } from '../tool.ts';
import { parseExitCodeArg } from './exit-code.ts';
import { sendHalt } from '../runtime/halt-request.ts';
import { runtimePathsFrom } from '../runtime/paths.ts';

const USAGE = 'usage: tsinit halt [CODE]\n';

function commOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** The parent of pid (field 4 of /proc/PID/stat); 0 when unknown. */
function parentOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Who is asking, as the log will show it: the caller's pid, its parent and where it runs (a service's directory). */
function describeCaller(ctx: ToolContext): string {
  // a directory removed meanwhile: main.ts names it /proc/self/cwd
  const cwd = ctx.cwd === '/proc/self/cwd' ? '?' : ctx.cwd;
  const ppid = ctx.pid === process.pid ? process.ppid : parentOf(ctx.pid);
  return `tsinit halt (pid ${ctx.pid}, parent ${ppid} ${commOf(ppid)}, cwd ${cwd})`;
}

export function main(ctx: ToolContext): number {
  const err = writerOf(ctx, 2);
  const args = ctx.args;
  if (args.length > 1 || args[0] === '-h' || args[0] === '--help') {
    err(USAGE);
    return args[0] === '-h' || args[0] === '--help' ? 0 : 100;
  }
  let code: number | null = null;
  if (args[0] !== undefined) {
    code = parseExitCodeArg(args[0]);
    if (code === null) {
      err(`tsinit halt: fatal: not an exit code (0 to 255): ${args[0]}\n${USAGE}`);
      return 100;
    }
  }
  const r = sendHalt(runtimePathsFrom(ctx.env), { code, by: describeCaller(ctx) });
  if ('error' in r) {
    err(`tsinit halt: fatal: ${r.error}\n`);
    return 111;
  }
  if (r.written === 'pending' && code !== null) {
    err('tsinit halt: warning: a halt request is already pending; its exit code wins\n');
  }
  return 0;
}
