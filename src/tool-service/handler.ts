// The handler half of PID 1's tool service: one call of the thin client ->
// dispatch (as main.ts does) -> the policy -> a ToolContext made of the
// caller's request -> the tool -> the replies. Nothing is thrown out of it:
// a tool that throws answers `tsinit: fatal: ...` and exit 111, as the full
// executable would.
import fs from 'node:fs';
import { statxIdentity } from '../../native/libc.ts';
import { dispatch as dispatchArgv, tools as toolLoaders } from '../dispatch.ts';
import { helpRequest } from '../help.ts';
import type { ToolName } from '../tool-names.ts';
import type { SignalSource, ToolContext, ToolMain } from '../tool.ts';
import { signalNameOf } from '../util/signal-names.ts';
import { versionLine } from '../version.ts';
import { chpstOps, realFiles, type PlanFiles } from './chpst-ops.ts';
import { decide, LONG_RUNNING, ROOT_TOOLS, type CallFacts } from './policy.ts';
import type { CallRequest, Reply } from './protocol.ts';
import type { CallChannel, CallHandler } from './transport.ts';

/**
 * The tools this PID 1 runs for a client: every root tool but utmpset, whose
 * blocking flock() of utmp/wtmp would block PID 1 while anyone holds the
 * lock. svlogd and runsvdir take their signals, title, input and directory
 * from the context (ctx.signals, ctx.setTitle, ctx.stdin, ctx.cwd), so one
 * served inside PID 1 is the same tool as one in a process of its own.
 */
export const SERVED_TOOLS: ReadonlySet<ToolName> = new Set([...ROOT_TOOLS].filter((t) => t !== 'utmpset'));

export interface HandlerDeps {
  /** a shutdown was requested */
  stopping: () => boolean;
  log: { debug(msg: string): void };
  /** default SERVED_TOOLS */
  served?: ReadonlySet<ToolName>;
  /** default dispatch.ts's lazy loaders */
  loaders?: Readonly<Record<ToolName, () => Promise<ToolMain>>>;
  /** default the real file system (chpst's planning) */
  files?: PlanFiles;
  /** PID 1's own `/` (dev/ino, and the id of its mount); default: "/" opened and looked at */
  root?: () => FileAt | undefined;
}

/** A file, and the mount it was reached on (an id unique to that mount, so to one mount namespace). */
interface FileAt {
  dev: number;
  ino: number;
  mnt?: number;
}

const FORWARDED_NO_DEATH = new Set(['SIGCONT']);

function realRoot(): FileAt | undefined {
  // one statx per call, where the kernel reports mount ids (the fdinfo way costs ~8 system calls, 2 of them opens)
  try {
    const id = statxIdentity(undefined, '/');
    if (id) return id;
  } catch {
    return undefined;
  }
  let fd: number | undefined;
  try {
    fd = fs.openSync('/', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    return fdId(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function sameFile(a: FileAt | undefined, b: FileAt | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

function sameMount(a: FileAt | undefined, b: FileAt | undefined): boolean {
  return a?.mnt !== undefined && a.mnt === b?.mnt;
}

/** The mount an open descriptor was reached on: mnt_id in /proc/self/fdinfo (Linux 3.15+). */
function mountOf(fd: number): number | undefined {
  try {
    const m = /^mnt_id:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function fdId(fd: number | undefined): FileAt | undefined {
  if (fd === undefined) return undefined;
  try {
    // a tool call looks at up to three descriptors: one statx each (Linux 5.8+), else fstat + /proc/self/fdinfo
    const id = statxIdentity(fd);
    if (id) return id;
    const st = fs.fstatSync(fd);
    const mnt = mountOf(fd);
    return mnt === undefined ? { dev: st.dev, ino: st.ino } : { dev: st.dev, ino: st.ino, mnt };
  } catch {
    return undefined;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or undefined when they are not. */
function text(b: Buffer): string | undefined {
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}

/** The caller's environment as a tool reads it: NAME=VALUE, the first of a name wins (getenv). */
export function envObject(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq <= 0) continue;
    const name = e.slice(0, eq);
    if (!(name in env)) env[name] = e.slice(eq + 1);
  }
  return env;
}

/**
 * The caller's directory for the context: its own name when that names the
 * directory it holds (a root caller; a non-root caller could swap a link in
 * the name after this check), else the descriptor it sent, through /proc.
 */
export function callerDir(cwd: string | undefined, cwdFd: number, uid: number): string {
  const viaFd = `/proc/self/fd/${cwdFd}`;
  if (uid !== 0 || cwd === undefined || !cwd.startsWith('/')) return viaFd;
  try {
    const st = fs.statSync(cwd);
    return sameFile({ dev: st.dev, ino: st.ino }, fdId(cwdFd)) ? cwd : viaFd;
  } catch {
    return viaFd;
  }
}

/** sv's LSB mode for a root caller: argv0 (at the caller's directory or root) a link to something named sv? Never followed further. */
function linksToSvAt(fds: CallRequest['fds']): (argv0: string) => boolean {
  return (argv0) => {
    const base = argv0.startsWith('/') ? fds.root : fds.cwd;
    if (base === undefined) return false;
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${base}/${argv0.replace(/^\/+/, '')}`);
      return target.slice(target.replace(/\/+$/, '').lastIndexOf('/') + 1).replace(/\/+$/, '') === 'sv';
    } catch {
      return false;
    }
  };
}

/** What the call asks for, before the policy: a tool to run, or a text answer (help, version, usage). */
type Asked =
  | { kind: 'tool'; tool: ToolName; inv: { argv0: string; args: string[]; lsbName?: string } }
  | { kind: 'text'; stream: 1 | 2; text: string; code: number };

function ask(argv: string[], linksToSv: (argv0: string) => boolean): Asked {
  const [argv0 = '', ...args] = argv;
  const d = dispatchArgv(argv0, args, linksToSv);
  if ('error' in d) return { kind: 'text', stream: 2, text: d.error, code: 100 };
  // The caller is never process 1 (PID 1 is this process).
  const help = helpRequest(d.tool, d.ctx.argv0, d.ctx.args, { lsb: d.ctx.lsbName !== undefined, pid1: false });
  if (help) return { kind: 'text', stream: help.stream === 'out' ? 1 : 2, text: help.text, code: help.code };
  if (d.tool === 'tsinit' && d.ctx.args[0] === '--version') return { kind: 'text', stream: 1, text: versionLine(), code: 0 };
  return { kind: 'tool', tool: d.tool, inv: d.ctx };
}

function exitCode(code: number): number {
  return Number.isInteger(code) ? code & 0xff : 111;
}

export function createHandler(deps: HandlerDeps): CallHandler {
  const served = deps.served ?? SERVED_TOOLS;
  const loaders = deps.loaders ?? toolLoaders;
  const files = deps.files ?? realFiles;
  const rootOf = deps.root ?? realRoot;

  function serve(call: CallChannel): Promise<void> | void {
    const { cred, request } = call;
    const send = (r: Reply): void => {
      if (!call.closed) call.send(r);
    };
    const argv = request.argv.map(text);
    const env = request.env.map(text);
    const isText = argv.length > 0 && argv.every((a) => a !== undefined) && env.every((e) => e !== undefined);
    const args = argv as string[];
    let linkUnread = false;
    const linksToSv =
      cred.uid === 0
        ? linksToSvAt(request.fds)
        : (): boolean => {
            linkUnread = true;
            return false;
          };
    const asked: Asked = isText ? ask(args, linksToSv) : { kind: 'text', stream: 2, text: '', code: 0 };
    const callerRoot = fdId(request.fds.root);
    const ourRoot = rootOf();
    const facts: CallFacts = {
      pid: cred.pid,
      uid: cred.uid,
      sameRoot: sameFile(callerRoot, ourRoot),
      sameMounts: sameMount(callerRoot, ourRoot),
      hasDir: request.fds.cwd !== undefined,
      linkUnread,
      text: isText,
      call: asked.kind === 'text' ? { kind: 'text' } : { kind: 'tool', tool: asked.tool, argv0: asked.inv.argv0, args: asked.inv.args },
      stopping: deps.stopping(),
      served,
    };
    const decision = decide(facts);
    if (decision.kind === 'fallback') {
      deps.log.debug(`tool call of pid ${cred.pid} (uid ${cred.uid}): fallback: ${decision.why}`);
      send({ kind: 'fallback' });
      return;
    }
    if (decision.kind === 'run' && asked.kind === 'tool' && LONG_RUNNING.has(asked.tool) && !call.markLongRunning()) {
      // the uid has its most long-running calls in PID 1: this one runs in a process of its own
      deps.log.debug(`tool call of pid ${cred.pid} (uid ${cred.uid}): fallback: ${asked.tool}: the uid's long-running calls are at their bound`);
      send({ kind: 'fallback' });
      return;
    }
    // One line per answered call too: with the fallback lines, a test (or an operator) can count what PID 1 served.
    deps.log.debug(`tool call of pid ${cred.pid} (uid ${cred.uid}): served: ${asked.kind === 'text' ? 'a text answer' : asked.tool}`);
    if (decision.kind === 'refuse') {
      send({ kind: 'out', stream: 2, data: Buffer.from(decision.message) });
      send({ kind: 'exit', code: decision.code });
      return;
    }
    if (asked.kind === 'text') {
      if (asked.text !== '') send({ kind: 'out', stream: asked.stream, data: Buffer.from(asked.text) });
      send({ kind: 'exit', code: asked.code });
      return;
    }
    return runTool(call, asked.tool, asked.inv, env as string[], send);
  }

  async function runTool(call: CallChannel, tool: ToolName, inv: Extract<Asked, { kind: 'tool' }>['inv'], env: string[], send: (r: Reply) => void): Promise<void> {
    const { cred, request } = call;
    const fds = request.fds;
    let ended = false;
    let leave: () => void = () => {};
    const gone = new Promise<void>((resolve) => {
      leave = resolve;
    });
    call.onClose(() => {
      ended = true;
      leave();
    });
    const listeners = new Map<string, Set<() => void>>();
    const signals: SignalSource = {
      on(sig, f) {
        const set = listeners.get(sig) ?? new Set();
        set.add(f);
        listeners.set(sig, set);
        return signals;
      },
      off(sig, f) {
        listeners.get(sig)?.delete(f);
        return signals;
      },
    };
    call.onSignal((signo) => {
      if (ended) return;
      const name = signalNameOf(signo);
      const set = name === undefined ? undefined : listeners.get(name);
      if (set && set.size > 0) {
        for (const f of [...set]) {
          try {
            f();
          } catch (e) {
            deps.log.debug(`tool call of pid ${cred.pid}: ${tool}'s ${name ?? signo} listener threw: ${String(e)}`);
          }
        }
        return;
      }
      // No listener: the tool's own process would have died of it (CONT only continues it).
      if (name !== undefined && FORWARDED_NO_DEATH.has(name)) return;
      ended = true;
      send({ kind: 'die', signal: signo });
      leave();
    });
    const ctx: ToolContext = {
      ...inv,
      env: envObject(env),
      cwd: callerDir(text(request.cwd), fds.cwd as number, cred.uid),
      stdin: fds.stdin ?? -1,
      stdout: fds.stdout ?? -1,
      stderr: fds.stderr ?? -1,
      pid: cred.pid,
      uid: cred.uid,
      gid: cred.gid,
      groups: cred.groups,
      write: (stream, data) => {
        if (!ended) send({ kind: 'out', stream, data: typeof data === 'string' ? Buffer.from(data) : data });
      },
      signals,
      setTitle: (title) => {
        if (!ended) send({ kind: 'title', text: Buffer.from(title) });
      },
      gone,
    };
    let final: Reply;
    let why = '';
    try {
      const main = await loaders[tool]();
      const result = await main(ctx);
      if (typeof result === 'number') final = { kind: 'exit', code: exitCode(result) };
      else {
        const ops = chpstOps(result, { cwd: ctx.cwd, env: request.env, nice: request.nice, limits: request.limits, uid: ctx.uid }, files);
        final = ops.kind === 'exec' ? { kind: 'exec', words: ops.words } : { kind: 'fallback' };
        if (ops.kind === 'fallback') why = ops.why;
      }
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      deps.log.debug(`tool call of pid ${cred.pid}: ${tool} threw: ${message}`);
      if (!ended) send({ kind: 'out', stream: 2, data: Buffer.from(`tsinit: fatal: ${message}\n`) });
      final = { kind: 'exit', code: 111 };
    }
    if (ended) return;
    ended = true;
    if (final.kind === 'fallback') deps.log.debug(`tool call of pid ${cred.pid} (uid ${cred.uid}): fallback: chpst ${why}`);
    send(final);
  }

  return (call) => {
    try {
      const p = serve(call);
      if (p) {
        p.catch((e: unknown) => {
          deps.log.debug(`tool call failed: ${String(e)}`);
          if (!call.closed) call.send({ kind: 'exit', code: 111 });
        });
      }
    } catch (e) {
      deps.log.debug(`tool call failed: ${String(e)}`);
      if (!call.closed) call.send({ kind: 'exit', code: 111 });
    }
  };
}
