// svlogd: read the context's stdin, log to the directories named on the
// command line. The run itself is svlogd/session.ts's LogSession, the same
// one runsv runs for a log/run's `exec svlogd` inside the supervisor; this
// entry point only says where its signals come from and what ending means:
//  * in its own process (no ctx.signals): the process's TERM/HUP/ALRM, reads
//    of a terminal may wait, the start-up pages are trimmed;
//  * served to a client inside PID 1 (ctx.signals, ctx.write, ctx.gone): the
//    client's forwarded signals, every message relayed through ctx.write,
//    nothing that could block PID 1, and for a client that is not root the
//    rules of an in-process `chpst -u USER svlogd` (owner-access.ts) with the
//    client's ids. The client gone: ended as the in-process logger is by KILL.
// Every complete line read is written before exit: input is read on the
// event loop, never ahead in a thread that TERM cannot stop.
import fs from 'node:fs';
import { scheduleTrim } from '../process/trim.ts';
import { writerOf, type SignalSource, type ToolContext } from '../tool.ts';
import { FATAL, INFO, WARNING, sysMessage } from './messages.ts';
import { parseOptions } from './options.ts';
import type { Owner } from './owner-access.ts';
import { inputKind, LogSession } from './session.ts';

/** The signals svlogd acts on. */
const SIGNALS = ['SIGTERM', 'SIGHUP', 'SIGALRM'] as const;

/**
 * The account svlogd acts for: the caller's, when this process has more
 * rights than the caller (root serving a non-root client). A process of the
 * caller's own is judged by the kernel, as runit's svlogd is.
 */
export function actingFor(ctx: Pick<ToolContext, 'uid' | 'gid' | 'groups'>, euid: number): Owner | undefined {
  if (ctx.uid === 0 || euid !== 0) return undefined;
  return { uid: ctx.uid, gid: ctx.gid, gids: ctx.groups ?? [ctx.gid] };
}

/** A wait status as the exit code the caller sees. */
function exitCodeOf(wstat: number): number {
  const sig = wstat & 0x7f;
  return sig !== 0 ? 128 + sig : (wstat >> 8) & 0xff;
}

export async function main(ctx: ToolContext): Promise<number> {
  const err = writerOf(ctx, 2);
  const parsed = parseOptions(ctx.argv0, ctx.args);
  if (!parsed.ok) {
    err(parsed.stderr);
    return 111;
  }
  const o = parsed.options;
  const served = ctx.signals !== undefined;
  try {
    fs.closeSync(fs.openSync(ctx.cwd, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  } catch (e) {
    err(sysMessage(FATAL, 'unable to open current working directory', undefined, e));
    return 111;
  }
  // Inside PID 1 a read that may wait (a terminal, a device) would stop the
  // init: only pipes, sockets and files are read there.
  if (served && inputKind(ctx.stdin) === 'other') {
    err(`${FATAL}unable to read standard input: not a pipe, socket or file (inside tsinit; run tsinit svlogd to read a terminal)\n`);
    return 111;
  }
  // A long-lived process of its own: give back the start-up pages (process/trim.ts).
  // Inside PID 1 the init does that once for everyone.
  if (!served) scheduleTrim();
  const signals: SignalSource = ctx.signals ?? process;
  const listening: Array<[NodeJS.Signals, () => void]> = [];
  const listen = (sig: NodeJS.Signals, f: () => void): void => {
    signals.on(sig, f);
    listening.push([sig, f]);
  };
  const owner = actingFor(ctx, process.geteuid?.() ?? ctx.uid);
  let onGone: (() => void) | undefined;
  try {
    // Before the reaper's listener, so the message precedes the processor's results.
    if (!served && o.verbose > 0) listen('SIGCHLD', () => err(`${INFO}sigchild received.\n`));
    return await new Promise<number>((resolve) => {
      const session = new LogSession({
        fd: ctx.stdin,
        cwd: ctx.cwd,
        options: o,
        ...(owner ? { owner } : {}),
        inprocess: served,
        report: err,
        failed: (what, e) => {
          if (what === 'read') err(sysMessage(WARNING, 'unable to read standard input', undefined, e));
          else err(`${FATAL}${e.message}\n`);
        },
        ...(served ? { processorStderr: ctx.stderr } : {}),
        onExit: (wstat) => resolve(exitCodeOf(wstat)),
      });
      for (const sig of SIGNALS) listen(sig, () => session.signal(sig.slice(3)));
      // The caller is gone: what was read is written, nothing more is read.
      if (ctx.gone) {
        let live = true;
        onGone = () => {
          live = false;
        };
        void ctx.gone.then(() => {
          if (live) session.signal('KILL');
        });
      }
      session.start();
    });
  } finally {
    onGone?.();
    for (const [sig, f] of listening) signals.off(sig, f);
  }
}
