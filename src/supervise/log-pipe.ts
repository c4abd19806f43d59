// The pipe between ./run (stdout) and ./log/run (stdin). runsv creates it
// once and holds both ends, so it survives restarts of either side without
// losing buffered lines; it is closed only when runsv exits with a log (the
// logger then reads EOF). Both ends are close-on-exec: only the children
// that get it as fd 0 or 1 through spawn's dup2 inherit it.
import * as libc from '../../native/libc.ts';
import { errstrOf } from '../util/errstr.ts';

export class LogPipe {
  readonly readFd: number;
  readonly writeFd: number;
  private openFlag = true;

  private constructor(fds: [number, number]) {
    this.readFd = fds[0];
    this.writeFd = fds[1];
  }

  /** Throws LibcError when no pipe can be made. */
  static create(): LogPipe {
    return new LogPipe(libc.pipe2(libc.O_CLOEXEC));
  }

  get isOpen(): boolean {
    return this.openFlag;
  }

  /** Close both ends: write end first, as runsv does; failures go to warn. */
  close(warn: (msg: string) => void): void {
    if (!this.openFlag) return;
    this.openFlag = false;
    try {
      libc.close(this.writeFd);
    } catch (err) {
      warn(`unable to close logpipe[1]: ${errstrOf(err)}`);
    }
    try {
      libc.close(this.readFd);
    } catch (err) {
      warn(`unable to close logpipe[0]: ${errstrOf(err)}`);
    }
  }
}
