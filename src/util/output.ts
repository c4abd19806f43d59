// Synchronous writes to stdout/stderr: runit's programs print unbuffered
// lines, and a process that exits right after must not lose them.
import fs from 'node:fs';

/** Write all of data to fd, synchronously; EAGAIN (an inherited non-blocking fd) is retried, other errors end it quietly. */
export function writeAllSync(fd: number, data: string | Buffer): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return; // a closed stdout/stderr must not crash the caller
    }
  }
}

export function out(text: string): void {
  writeAllSync(1, text);
}

export function err(text: string): void {
  writeAllSync(2, text);
}
