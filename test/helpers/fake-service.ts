// A service directory as a running runsv leaves it, without a runsv: the
// status record, and the ok and control FIFOs held open (read end) by the
// test, so sv finds a supervisor and what it writes can be read back.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { encodeStatus } from '../../src/supervise/status-file.ts';
import { wallNow } from '../../src/util/tai64n.ts';

/** A running service's status record (pid 0: down), wanted up, since now. */
export function runningStatus(pid: number): Buffer {
  return encodeStatus({ since: wallNow(), pid, paused: false, want: 'up', termSent: false, state: pid === 0 ? 'down' : 'run' });
}

/** A service as a running runsv leaves it: status record, ok and control FIFOs held open by the test (read end). */
export interface FakeService {
  dir: string;
  status: Buffer;
  /** what was written into the control FIFO so far (read without waiting) */
  control(): string;
  close(): void;
}

export function fakeService(dir: string, o: { status: Buffer; fifoMode?: number; dirMode?: number }): FakeService {
  fs.mkdirSync(path.join(dir, 'supervise'), { recursive: true, mode: o.dirMode ?? 0o755 });
  fs.chmodSync(dir, o.dirMode ?? 0o755);
  fs.chmodSync(path.join(dir, 'supervise'), o.dirMode ?? 0o755);
  const fifos = ['ok', 'control'].map((n) => path.join(dir, 'supervise', n));
  execFileSync('mkfifo', ['-m', (o.fifoMode ?? 0o600).toString(8), ...fifos]);
  const ok = fs.openSync(fifos[0] as string, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const control = fs.openSync(fifos[1] as string, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  fs.writeFileSync(path.join(dir, 'supervise', 'status'), o.status, { mode: 0o644 });
  let written = '';
  return {
    dir,
    status: o.status,
    control: () => {
      const b = Buffer.alloc(4096);
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(control, b, 0, b.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return written;
          throw e;
        }
        if (n <= 0) return written;
        written += b.subarray(0, n).toString('latin1');
      }
    },
    close: () => {
      fs.closeSync(ok);
      fs.closeSync(control);
    },
  };
}
