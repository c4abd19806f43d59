// The usual run-script one-liner, shared by the in-process svlogd (log-run.ts)
// and chpst's fast path (src/chpst/fast-plan.ts):
//
//   #!/bin/sh
//   exec PROGRAM ARGS...
//
// plus blank lines, comments, `set -e` and `exec 2>&1` before the exec. Any
// shell syntax beyond plain words (quotes, variables, redirections, pipes,
// globs, several commands) means "not the one-liner". Pure.

export interface ExecOneLiner {
  /** the shebang's interpreter and its one optional argument */
  interpreter: string;
  interpreterArg?: string;
  /** the words after `exec` */
  words: string[];
  /** `exec 2>&1` came first: stderr is a copy of stdout */
  stderrToStdout: boolean;
}

const SHELLS = new Set(['/bin/sh', '/bin/bash', '/bin/dash', '/usr/bin/sh', '/usr/bin/bash', '/usr/bin/dash']);
// Anything the shell would interpret rather than pass on as a plain word.
const PLAIN_WORD = /^[A-Za-z0-9_@%+,./:=-]+$/;

function shebang(line: string): { interpreter: string; arg?: string } | undefined {
  const m = /^#!\s*(\S+)(?:\s+(\S+))?\s*$/.exec(line);
  if (!m) return undefined;
  const interpreter = m[1] as string;
  const arg = m[2];
  if (interpreter === '/usr/bin/env') {
    return arg === 'sh' || arg === 'bash' || arg === 'dash' ? { interpreter, arg } : undefined;
  }
  if (!SHELLS.has(interpreter) || !(arg === undefined || arg === '-e')) return undefined;
  return arg === undefined ? { interpreter } : { interpreter, arg };
}

export function parseExecOneLiner(script: string): ExecOneLiner | undefined {
  const lines = script.split('\n');
  const sb = shebang(lines[0] ?? '');
  if (!sb) return undefined;
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
  if (!command || command[0] !== 'exec' || command.length < 2) return undefined;
  return {
    interpreter: sb.interpreter,
    ...(sb.arg !== undefined ? { interpreterArg: sb.arg } : {}),
    words: command.slice(1),
    stderrToStdout,
  };
}
