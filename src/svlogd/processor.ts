// The `!` processor of a log directory: /bin/sh -c CMD in the directory with
// stdin @x.u, stdout @x.t, fd 4 state (created empty if missing), fd 5
// newstate. Spawned through process/spawn.ts, reaped by the reaper.
import fs from 'node:fs';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { spawnChild } from '../process/spawn.ts';
import type { ExitStatus } from '../process/wait-status.ts';

const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_NONBLOCK } = fs.constants;
const OPEN_READ = O_RDONLY | O_NONBLOCK;
const OPEN_TRUNC = O_WRONLY | O_NONBLOCK | O_TRUNC | O_CREAT;
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

/**
 * Start the processor for `dir`/`name` (an @….u file); returns the pid.
 * Throws ProcessorSetupError when a file cannot be opened, LibcError when the
 * spawn fails.
 */
export function startProcessor(dir: string, name: string, command: string, onExit: (st: ExitStatus) => void): number {
  const fds: number[] = [];
  const open = (what: string, file: string, flags: number): number => {
    try {
      const fd = highFd(fs.openSync(path.join(dir, file), flags, 0o644));
      fds.push(fd);
      return fd;
    } catch (e) {
      throw new ProcessorSetupError(what, e);
    }
  };
  try {
    const input = open('unable to open input for processor', name, OPEN_READ);
    const output = open('unable to open output for processor', `${name.slice(0, 26)}t`, OPEN_TRUNC);
    let state: number;
    try {
      state = highFd(fs.openSync(path.join(dir, 'state'), OPEN_READ));
      fds.push(state);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProcessorSetupError('unable to open state for processor', e);
      fs.closeSync(open('unable to create empty state for processor', 'state', OPEN_TRUNC));
      fds.pop();
      state = open('unable to open state for processor', 'state', OPEN_READ);
    }
    const newstate = open('unable to open newstate for processor', 'newstate', OPEN_TRUNC);
    return spawnChild({
      path: '/bin/sh',
      argv: ['sh', '-c', command],
      cwd: dir,
      stdin: input,
      stdout: output,
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
