// What one in-process runsv is given (RunsvOptions) and what its caller
// (the supervisor, runsvdir, tests) holds of it (RunsvHandle): the narrow
// interface between supervisor.ts and runsv.ts.
import type { ExtStatus } from './ext-status.ts';
import type { PolicyStatus } from './ext-record.ts';


export interface RunsvOptions {
  /** prefix for messages, e.g. "runsv web" -> "runsv web: warning: ..." (runit uses argv[1] as given) */
  name: string;
  /** the service's name (scan directory entry) for events and handles; default: the directory's base name */
  service?: string;
  /** where runit-style warnings/fatals go, one line without its newline; default: stderr via src/util/output.ts */
  report?: (line: string) => void;
  /**
   * name as bytes, when they are not UTF-8 (e.g. "runsv caf\xe9"): the
   * default reporter prints these bytes in place of name, as runit does
   */
  rawName?: Buffer;
  /**
   * dependencies.d/: hold the first start of ./run. waitingFor: the
   * dependencies not ready yet (release() when they are); dependencyError:
   * it cannot start (missing dependency, cycle). `sv up` starts it anyway.
   */
  hold?: { waitingFor: string[] } | { dependencyError: string };
  /** called after every change of the extension status record */
  onStatus?: (name: string, status: ExtStatus) => void;
  /**
   * An essential service ended (exit code for the container, why): tsinit as
   * init sets the container's exit code and shuts down. Without it the
   * service just stays down.
   */
  onEssentialEnded?: (code: number, reason: string) => void;
  /**
   * Start every child (./run, ./finish, log/run, control/ scripts, probes)
   * in a session of its own (setsid): runit's runsvdir -P makes each runsv
   * a session leader, so a signal to the caller's process group or the
   * terminal's ^C never reaches a service. There is no runsv process here,
   * so each child leads its own session instead of sharing runsv's.
   */
  ownSession?: boolean;
  /**
   * The descriptors children get as 0, 1 and 2 where runit's would inherit
   * runsv's (absent: this process's own): a runsvdir served to a client
   * inside PID 1 gives its services the client's, as a runsvdir process does.
   */
  stdio?: ChildStdio;
  /**
   * Text for runsv's own stdout (1) and stderr (2), where what runs inside
   * this process in place of a child writes it: the in-process svlogd's
   * messages (svlogd's stderr is its runsv's). Absent: this process's own 1
   * and 2. A runsvdir served to a client: the client's (its proctitle log).
   */
  output?: (stream: 1 | 2, text: string) => void;
}

/** Standard descriptors for children; an absent one is this process's own. */
export interface ChildStdio {
  stdin?: number;
  stdout?: number;
  stderr?: number;
}

export interface RunsvHandle {
  readonly dir: string;
  /** the service's name (scan directory entry) */
  readonly name: string;
  /** resolves with runsv's exit code: 0 after x/terminate, 111 on a start-up failure (message already reported) */
  readonly done: Promise<number>;
  /** exactly what SIGTERM does to runsv: 'x' on the main service (and nothing is started again) */
  terminate(): void;
  /**
   * tsinit's shutdown began: nothing is started again (no restart, no
   * `sv up`), while what runs is left to a later terminate() (services stop
   * in dependency order).
   */
  shutdown(): void;
  /** pids of this service's running processes (main, finish, log, probes), for shutdown bookkeeping */
  pids(): number[];
  /** tsinit's facts beyond runit's status record (also in supervise/tsinit-status.json) */
  extStatus(): ExtStatus;
  /** the dependencies a held first start still waits for (the supervisor's view) */
  setWaiting(names: string[]): void;
  /** the dependencies are ready: a held first start goes ahead */
  release(): void;
  /**
   * The 20-byte records supervise/status holds (main, and log or null), for
   * probes inside PID 1 (no file reads); null until supervise/ is set up.
   */
  statusRecords(): { main: Buffer; log: Buffer | null } | null;
  /** restarts, last exit, the pause in progress, essential; null before the service started */
  policyStatus?(): PolicyStatus | null;
}
