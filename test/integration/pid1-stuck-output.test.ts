// Issue 8, item 1: a stdout/stderr pipe that nobody reads must not freeze
// PID 1. tsinit's own lines go through its own non-blocking open of the pipe:
// supervision goes on, nothing is lost while the backlog has room, and
// SIGTERM still ends everything within the budget.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runitDir, tsinit } from '../helpers/pidns.ts';
import { serviceDir } from '../helpers/services.ts';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;

/** Write into the pipe until it is full (the test's own non-blocking writer). */
function fill(fd: number): void {
  const chunk = Buffer.alloc(4096, 'x');
  for (;;) {
    try {
      fs.writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw e;
    }
  }
}

/** Everything readable now. */
function drain(fd: number): string {
  const buf = Buffer.alloc(65536);
  let out = '';
  for (;;) {
    try {
      const n = fs.readSync(fd, buf);
      if (n <= 0) return out;
      out += buf.subarray(0, n).toString('latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return out;
      throw e;
    }
  }
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 30000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Host pid of the process that is nsPid in the pid namespace of hostInit. */
function hostPid(nsPid: number, hostInit: number): number | undefined {
  const ns = fs.readlinkSync(`/proc/${hostInit}/ns/pid`);
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readlinkSync(`/proc/${e}/ns/pid`) !== ns) continue;
      const m = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${e}/status`, 'utf8'));
      const ids = (m?.[1] ?? '').trim().split(/\s+/).map(Number);
      if (ids[ids.length - 1] === nsPid) return Number(e);
    } catch {
      // gone
    }
  }
  return undefined;
}

function initOf(unsharePid: number): number | undefined {
  try {
    const kids = fs.readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    return kids ? Number(kids.split(' ')[0]) : undefined;
  } catch {
    return undefined;
  }
}

test('PID 1 with a full, unread stderr pipe keeps supervising and stops within the budget', { timeout: 120000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-stuck-'));
  const fifo = path.join(tmp, 'out');
  execFileSync('mkfifo', [fifo]);
  const reader = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
  const writer = fs.openSync(fifo, O_WRONLY); // what tsinit gets as stdout and stderr: blocking
  const filler = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
  const pids = path.join(tmp, 'pids');
  const svc = serviceDir({ a: { run: `echo $$ >> ${pids}\nexec sleep 1000` } });
  const budgetS = 3;
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', tsinit()], {
    stdio: ['ignore', writer, writer],
    env: {
      PATH: process.env.PATH,
      TSINIT_RUNIT_DIR: runitDir({}),
      TSINIT_SERVICE_DIR: svc,
      TSINIT_LOG_LEVEL: 'debug',
      TSINIT_SHUTDOWN_TIMEOUT: String(budgetS),
    },
  });
  fs.closeSync(writer);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let output = '';
  try {
    const started = (): string[] => (fs.existsSync(pids) ? fs.readFileSync(pids, 'utf8').trim().split('\n') : []);
    // Let it boot with a pipe that is read, then stop reading and fill the pipe.
    for (const end = Date.now() + 30000; started().length < 1 && Date.now() < end; ) {
      output += drain(reader);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(started().length, 1, output);
    const init = await until('tsinit', () => initOf(child.pid as number));
    output += drain(reader);
    fill(filler);

    // tsinit now has lines to write ("SIGHUP ignored" at debug level) into the full pipe.
    for (let i = 0; i < 20; i++) {
      process.kill(init, 'SIGHUP');
      await new Promise((r) => setTimeout(r, 10));
    }
    // A killed service is restarted all the same.
    const first = Number(started()[0]);
    const host = await until('the service in the namespace', () => hostPid(first, init));
    process.kill(host, 'SIGKILL');
    await until('the service restarted', () => started().length >= 2);

    // Read again: what tsinit could not write meanwhile comes out, none lost.
    const later = await until('the queued lines', () => {
      output += drain(reader).replace(/x+/g, '');
      return (output.match(/SIGHUP ignored/g)?.length ?? 0) >= 1 && output;
    });
    assert.match(later, /SIGHUP ignored/);

    // Full again, then SIGTERM: tsinit must still stop, within the budget
    // (and its bounded final flush), not hang in write(2).
    fill(filler);
    const sent = Date.now();
    process.kill(init, 'SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60000).unref())]);
    assert.notEqual(code, 'hung', 'tsinit did not exit after SIGTERM with a full stderr pipe');
    const elapsed = Date.now() - sent;
    // generous for a loaded machine: the budget, the 1 s flush, and slack
    assert.ok(elapsed < (budgetS + 1) * 1000 + 10000, `exit took ${elapsed} ms`);
  } finally {
    child.kill('SIGKILL');
    for (const fd of [reader, filler]) fs.closeSync(fd);
  }
});
