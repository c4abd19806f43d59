// Which log/run scripts the supervisor may replace by an in-process svlogd.
// Only the usual one-liner qualifies:
//
//   #!/bin/sh
//   exec svlogd -tt ./main
//   exec chpst -u log svlogd -tt /var/log/web     (or chpst -ulog:adm, setuidgid log)
//
// (the one-liner rules are run-script.ts's). Anything else means "run it as
// a process". Pure.
import { IN_PROCESS_LOG_DIRS_MAX, logDirCount } from '../svlogd/options.ts';
import { parseExecOneLiner } from './run-script.ts';

export interface InprocessLogPlan {
  /** svlogd's arguments (options and directories) */
  args: string[];
  /** chpst -u / setuidgid account spec, if any: files are created owned by it */
  user?: string;
  /** `exec 2>&1` came first: svlogd's own messages go to stdout */
  stderrToStdout: boolean;
}

export function planInprocessLog(script: string): InprocessLogPlan | undefined {
  const one = parseExecOneLiner(script);
  if (!one) return undefined;
  const { stderrToStdout } = one;
  const command = ['exec', ...one.words];
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
  // each line goes to every directory: a logger of many runs as its own process
  if (logDirCount('svlogd', args) > IN_PROCESS_LOG_DIRS_MAX) return undefined;
  return { args, ...(user !== undefined ? { user } : {}), stderrToStdout };
}
