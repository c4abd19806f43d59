// Which log/run scripts the supervisor may replace by an in-process svlogd.
// Only the usual one-liner qualifies:
//
//   #!/bin/sh
//   exec svlogd -tt ./main
//   exec chpst -u log svlogd -tt /var/log/web     (or chpst -ulog:adm, setuidgid log)
//
// plus blank lines, comments, `set -e` and `exec 2>&1`. Any shell syntax
// beyond plain words (quotes, variables, redirections, pipes, globs, several
// commands) means "run it as a process". Pure.

export interface InprocessLogPlan {
  /** svlogd's arguments (options and directories) */
  args: string[];
  /** chpst -u / setuidgid account spec, if any: files are created owned by it */
  user?: string;
  /** `exec 2>&1` came first: svlogd's own messages go to stdout */
  stderrToStdout: boolean;
}

const SHELLS = new Set(['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/sh', '/usr/bin/bash', '/usr/bin/dash']);
// Anything the shell would interpret rather than pass on as a plain word.
const PLAIN_WORD = /^[A-Za-z0-9_@%+,./:=-]+$/;

function shebangOk(line: string): boolean {
  const m = /^#!\s*(\S+)(?:\s+(\S+))?\s*$/.exec(line);
  if (!m) return false;
  const [, interp, arg] = m;
  if (interp === '/usr/bin/env') return arg === 'sh' || arg === 'bash' || arg === 'dash';
  return SHELLS.has(interp as string) && (arg === undefined || arg === '-e');
}

export function planInprocessLog(script: string): InprocessLogPlan | undefined {
  const lines = script.split('\n');
  if (!shebangOk(lines[0] ?? '')) return undefined;
  let stderrToStdout = false;
  let command: string[] | undefined;
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (command) return undefined; // something after the exec never runs, but is not the one-liner
    if (line === 'set -e') continue;
    if (line === 'exec 2>&1') {
      stderrToStdout = true;
      continue;
    }
    const words = line.split(/\s+/);
    if (!words.every((w) => PLAIN_WORD.test(w))) return undefined;
    command = words;
  }
  if (!command || command[0] !== 'exec') return undefined;
  let i = 1;
  let user: string | undefined;
  const prog = (w: string | undefined): string => (w ?? '').slice((w ?? '').lastIndexOf('/') + 1);
  if (prog(command[i]) === 'chpst') {
    i++;
    const opt = command[i];
    if (opt === '-u') {
      user = command[i + 1];
      i += 2;
    } else if (opt !== undefined && opt.startsWith('-u') && opt.length > 2) {
      user = opt.slice(2);
      i += 1;
    } else return undefined; // other chpst options: a real chpst must apply them
    if (user === undefined || user === '') return undefined;
  } else if (prog(command[i]) === 'setuidgid') {
    user = command[i + 1];
    if (user === undefined || user.includes(':')) return undefined;
    i += 2;
  }
  if (prog(command[i]) !== 'svlogd') return undefined;
  const args = command.slice(i + 1);
  if (args.length === 0) return undefined;
  return { args, ...(user !== undefined ? { user } : {}), stderrToStdout };
}
