// A log service's svlogd run inside the supervisor process: it reads the
// service's log pipe and writes the very files svlogd would: it is svlogd's
// own LogSession (src/svlogd/session.ts), the one svlogd's main runs. To runsv
// it looks like a process: it is started, receives signals (runsv's kill()
// routed to signal()), and exits with a wait status. What is particular here:
// the svlogd arguments come from log/run's one-liner (log-run.ts), and a
// `chpst -u USER` in it makes the session act as USER.
import { extendedIds, filesDb } from '../chpst/ids.ts';
import type { Owner } from '../svlogd/owner-access.ts';
import { parseOptions } from '../svlogd/options.ts';
import { LogSession } from '../svlogd/session.ts';
import { err, out } from '../util/output.ts';
import type { InprocessLogPlan } from './log-run.ts';

export interface InprocessLogOptions {
  /** the log pipe's read end; stays open (it belongs to runsv) */
  readFd: number;
  /** the service's log/ folder: svlogd's working directory */
  cwd: string;
  plan: InprocessLogPlan;
  /** called once, with a wait status (0 = exit 0; 111 << 8; or a signal number) */
  onExit: (wstat: number) => void;
  /** runsv-style warnings (e.g. an unknown chpst account) */
  warn: (msg: string) => void;
  /**
   * Its runsv's stdout (1) and stderr (2): where svlogd's and chpst's own
   * messages go, as a log/run process's stderr is its runsv's (its stdout
   * after `exec 2>&1`). Default: this process's own.
   */
  output?: (stream: 1 | 2, text: string) => void;
}

/** The account `chpst -u SPEC` would run as; undefined when SPEC names no account. */
export function ownerOf(spec: string): Owner | undefined {
  try {
    const ids = extendedIds(filesDb, spec);
    return ids ? { uid: ids.uid, gid: ids.gids[0] ?? ids.uid, gids: ids.gids } : undefined;
  } catch {
    return undefined; // unreadable /etc/passwd or /etc/group
  }
}

export class InprocessLog {
  private readonly o: InprocessLogOptions;
  private session: LogSession | undefined;
  private exited = false;

  constructor(o: InprocessLogOptions) {
    this.o = o;
  }

  /** Open the log directories and start reading. Failures end in onExit(111 << 8). */
  start(): void {
    const { plan } = this.o;
    const write = this.o.output ?? ((s: 1 | 2, t: string) => (s === 1 ? out(t) : err(t)));
    const stderr: 1 | 2 = plan.stderrToStdout ? 1 : 2;
    const report = (t: string | Buffer): void => write(stderr, t.toString());
    const parsed = parseOptions('svlogd', plan.args);
    if (!parsed.ok) {
      report(parsed.stderr);
      this.exitSoon(111 << 8);
      return;
    }
    let owner: Owner | undefined;
    if (plan.user !== undefined) {
      owner = ownerOf(plan.user);
      if (!owner) {
        report(`chpst: fatal: unknown user/group: ${plan.user}\n`);
        this.exitSoon(111 << 8);
        return;
      }
    }
    this.session = new LogSession({
      fd: this.o.readFd,
      cwd: this.o.cwd,
      options: parsed.options,
      ...(owner ? { owner } : {}),
      inprocess: true,
      // runsv sees the logger fail (and restarts it)
      readErrorStatus: 111 << 8,
      report,
      failed: (what, e) =>
        this.o.warn(what === 'start' ? `unable to start the in-process svlogd: ${String(e)}` : `unable to read the log pipe: ${e.message}`),
      onExit: (wstat) => this.finish(wstat),
    });
    this.session.start();
  }

  /** A signal runsv would send to the svlogd process. */
  signal(name: string): void {
    if (!this.exited) this.session?.signal(name);
  }

  private exitSoon(wstat: number): void {
    setImmediate(() => this.finish(wstat));
  }

  private finish(wstat: number): void {
    if (this.exited) return;
    this.exited = true;
    this.o.onExit(wstat);
  }
}
