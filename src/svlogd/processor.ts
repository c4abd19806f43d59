// The `!` processor of a log directory: /bin/sh -c CMD in the directory with
// stdin @x.u, stdout @x.t, fd 4 state (created empty if missing), fd 5
// newstate. Spawned through process/spawn.ts, reaped by the reaper. For an
// in-process `chpst -u USER svlogd` the files are opened as that account
// could (LogDir.openFile) and the shell runs as USER, through chpst.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { spawnChild } from '../process/spawn.ts';
import type { ExitStatus } from '../process/wait-status.ts';
import { numericSpec, type OpenSpec, type Owner } from './owner-access.ts';

const { O_RDONLY, O_WRONLY } = fs.constants;
const F_DUPFD_CLOEXEC = 1030;

/**
 * The child's descriptors are set up by dup2() in order, so a parent
 * descriptor must not be one of the targets (0, 1, 4, 5): move low ones up.
 */
function highFd(fd: number): number {
  if (fd > 5) return fd;
  const hi = libc.fcntl(fd, F_DUPFD_CLOEXEC, 10);
  fs.closeSync(fd);
  return hi;
}

/** Failure before the shell ran, with the text runit's child would print. */
export class ProcessorSetupError extends Error {
  readonly what: string;
  override readonly cause: unknown;
  constructor(what: string, cause: unknown) {
    super(what);
    this.what = what;
    this.cause = cause;
  }
}

/** runit reads the exit status with wait_exitcode(): status >> 8, so a signal counts as 0. */
export function processorExitCode(st: ExitStatus): number {
  return (st.raw >> 8) & 0xff;
}

export interface ProcessorDir {
  /** the log directory: the processor's working directory */
  cwd: string;
  /** opens a file of the log directory (LogDir.openFile: safe when acting for another account) */
  open(name: string, spec: OpenSpec): number;
  /** run the processor as this account (an in-process `chpst -u USER svlogd`) */
  owner?: Owner;
  /** the processor's stderr (svlogd's own: default this process's; -1: closed) */
  stderr?: number;
}

/**
 * How to run one of tsinit's own tools: this executable under the tool's
 * name (multi-call), or from source `node main.ts TOOL`.
 */
export function selfTool(tool: string): { path: string; argv: string[] } {
  const script = process.argv[1];
  if (script !== undefined && /\.(ts|js|mjs)$/.test(script) && script !== process.execPath) {
    return { path: process.execPath, argv: [process.execPath, '--no-warnings', script, tool] };
  }
  return { path: process.execPath, argv: [tool] };
}

/**
 * The command line that runs `sh -c command`: for another account through
 * tsinit's chpst, which drops to its ids before the shell starts (posix_spawn
 * cannot change credentials). That costs a Node start per processor run,
 * once per rotation.
 */
export function processorCommand(command: string, owner?: Owner): { path: string; argv: string[] } {
  if (!owner) return { path: '/bin/sh', argv: ['sh', '-c', command] };
  const chpst = selfTool('chpst');
  return { path: chpst.path, argv: [...chpst.argv, '-u', numericSpec(owner), '/bin/sh', '-c', command] };
}

/**
 * Start the processor for dir/`name` (an @….u file); returns the pid.
 * Throws ProcessorSetupError when a file cannot be opened, LibcError when the
 * spawn fails.
 */
export function startProcessor(dir: ProcessorDir, name: string, command: string, onExit: (st: ExitStatus) => void): number {
  const fds: number[] = [];
  const open = (what: string, file: string, spec: OpenSpec): number => {
    try {
      const fd = highFd(dir.open(file, spec));
      fds.push(fd);
      return fd;
    } catch (e) {
      throw new ProcessorSetupError(what, e);
    }
  };
  const TRUNC: OpenSpec = { flags: O_WRONLY, create: true, truncate: true, mode: 0o644 };
  try {
    const input = open('unable to open input for processor', name, { flags: O_RDONLY });
    const output = open('unable to open output for processor', `${name.slice(0, 26)}t`, { ...TRUNC, chmod: true });
    let state: number;
    try {
      state = highFd(dir.open('state', { flags: O_RDONLY }));
      fds.push(state);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProcessorSetupError('unable to open state for processor', e);
      fs.closeSync(open('unable to create empty state for processor', 'state', TRUNC));
      fds.pop();
      state = open('unable to open state for processor', 'state', { flags: O_RDONLY });
    }
    const newstate = open('unable to open newstate for processor', 'newstate', TRUNC);
    const run = processorCommand(command, dir.owner);
    return spawnChild({
      path: run.path,
      argv: run.argv,
      cwd: dir.cwd,
      stdin: input,
      stdout: output,
      ...(dir.stderr !== undefined && dir.stderr >= 0 ? { stderr: dir.stderr } : {}),
      ...(dir.stderr !== undefined && dir.stderr < 0 ? { closeFds: [2] } : {}),
      extraFds: [
        [4, state],
        [5, newstate],
      ],
      onExit,
    });
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}
