// Synchronous writes to stdout/stderr: runit's programs print unbuffered
// lines, and a process that exits right after must not lose them.
import fs from 'node:fs';

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
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
  writeAll(1, text);
}

export function err(text: string): void {
  writeAll(2, text);
}
