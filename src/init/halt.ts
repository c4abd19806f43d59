// `tsinit halt [CODE]`: ask the running tsinit to shut down, and set the
// container's exit code (the first code set wins) — s6-overlay's
// exit-code file plus `halt` in one. Meant for finish scripts and any
// process in the container running as tsinit's user (root).
import fs from 'node:fs';
import type { ToolContext } from '../tool.ts';
import { err } from '../util/output.ts';
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

/** Who is asking, as the log will show it: our pid, the parent and where it runs (a service's directory). */
function describeCaller(): string {
  let cwd = '?';
  try {
    cwd = process.cwd();
  } catch {
    // removed directory
  }
  return `tsinit halt (pid ${process.pid}, parent ${process.ppid} ${commOf(process.ppid)}, cwd ${cwd})`;
}

export function main(ctx: ToolContext): number {
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
  const r = sendHalt(runtimePathsFrom(process.env), { code, by: describeCaller() });
  if ('error' in r) {
    err(`tsinit halt: fatal: ${r.error}\n`);
    return 111;
  }
  if (r.written === 'pending' && code !== null) {
    err('tsinit halt: warning: a halt request is already pending; its exit code wins\n');
  }
  return 0;
}
