// tsinit's own output to stdout/stderr. By default synchronous: runit's
// programs print unbuffered lines, and a tool that exits right after must not
// lose them. A supervisor (tsinit as init) calls useNonBlockingOutput() first:
// from then on out() and err() never block the event loop (own-output.ts),
// and flushOutputSync() makes a bounded last attempt at exit.
import fs from 'node:fs';
import { OwnOutput, openSink, type DroppedNotice } from './own-output.ts';

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

let own: { 1: OwnOutput; 2: OwnOutput } | undefined;

/** From now on, tsinit's own lines never block (see own-output.ts). Idempotent. */
export function useNonBlockingOutput(notice?: DroppedNotice): void {
  if (own) return;
  const o = new OwnOutput(openSink(1));
  const e = new OwnOutput(openSink(2));
  if (notice) o.notice = e.notice = notice;
  own = { 1: o, 2: e };
}

/** Write to stdout or stderr in the current mode. */
export function writeOut(fd: 1 | 2, data: string | Buffer): void {
  if (own) own[fd].write(data);
  else writeAllSync(fd, data);
}

/**
 * Before exit, from asynchronous code: resolves once everything waiting has
 * been written (a thread-pool write under way included), or after maxMs.
 */
export async function drainOutput(maxMs: number): Promise<void> {
  if (!own) return;
  await Promise.all([own[1].drain(maxMs), own[2].drain(maxMs)]);
}

/** At exit: at most maxMs in all to write what is still waiting. */
export function flushOutputSync(maxMs: number): void {
  if (!own) return;
  const until = performance.now() + maxMs;
  own[2].flushSync(maxMs);
  own[1].flushSync(Math.max(0, until - performance.now()));
}

export function out(text: string | Buffer): void {
  writeOut(1, text);
}

export function err(text: string | Buffer): void {
  writeOut(2, text);
}
