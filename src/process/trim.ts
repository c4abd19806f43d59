// Giving back the pages an idle init does not use. Most of tsinit's memory is
// the Node binary itself (machine code, read-only data such as ICU tables)
// faulted in at start-up and then left mapped. For a private file mapping that
// holds no anonymous (copy-on-write) page, MADV_DONTNEED only drops our page
// table entries: the pages stay in the page cache, nothing is lost, and what
// is used again faults back in. Mappings with written pages (relocated
// RELRO data, .data, .bss) are never touched.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import { fullGc } from '../util/full-gc.ts';
import { clampDelay } from '../util/timers.ts';
import { FIRST_TRIM_MS, runQuietTrims } from './quiet-trim.ts';

export interface CleanMapping {
  start: bigint;
  end: bigint;
  file: string;
}

/** File-backed, non-writable mappings without any anonymous page, from /proc/PID/smaps text. */
export function cleanFileMappings(smaps: string): CleanMapping[] {
  const out: CleanMapping[] = [];
  let cur: (CleanMapping & { anon: number | undefined }) | undefined;
  const flush = (): void => {
    if (cur && cur.anon === 0) out.push({ start: cur.start, end: cur.end, file: cur.file });
    cur = undefined;
  };
  for (const line of smaps.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (r-xp|r--p) [0-9a-f]+ [0-9a-f:]+ (\d+)\s+(\/.*)$/.exec(line);
    if (head) {
      flush();
      if (head[4] !== '0') cur = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), file: head[5] as string, anon: undefined };
      continue;
    }
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      flush();
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon && cur) cur.anon = Number(anon[1]);
  }
  flush();
  return out;
}

/** Drop this process's clean file-backed pages; returns how many bytes were advised. */
export function trimCleanPages(): bigint {
  let total = 0n;
  for (const m of cleanFileMappings(fs.readFileSync('/proc/self/smaps', 'utf8'))) {
    try {
      libc.madvise(m.start, m.end - m.start, libc.MADV_DONTNEED);
      total += m.end - m.start;
    } catch {
      // a mapping that went away meanwhile
    }
  }
  return total;
}

/** How often freed malloc memory is given back (malloc_trim walks the free lists: well under a millisecond here). */
export const HEAP_TRIM_MS = 60_000;

/**
 * For long-running tools: trim once start-up is over (2 s), then every 5
 * minutes; and give freed malloc pages back every minute. Node's native side
 * (libuv, V8's worker threads, Buffers' backing stores) frees into glibc's
 * arenas, which keep the pages: under churn (a crash-looping service) PID 1's
 * anonymous memory crept up by fragmentation although nothing was live.
 * Timers are unref'd: they never keep a process alive.
 */
export function scheduleTrim(onError: (e: unknown) => void = () => {}): void {
  const trim = (): void => {
    try {
      trimCleanPages();
    } catch (e) {
      onError(e);
    }
  };
  const trimHeap = (): void => {
    try {
      libc.mallocTrim();
    } catch (e) {
      onError(e);
    }
  };
  setTimeout(trim, 2000).unref();
  setInterval(trim, 300_000).unref();
  setInterval(trimHeap, HEAP_TRIM_MS).unref();
}

let soon = false;

/** Event-loop utilization above which a window counts as busy (an idle init's scans: well under 1%). */
const BUSY_UTILIZATION = 0.05;

/**
 * Trim once a start-up inside this process is over: a runsvdir served inside
 * PID 1 (Debian's stage 2) starts every service after the init's own 2 s
 * trim, and faults in the pages of the tools it serves meanwhile. First a
 * full collection that gives the boot's heap back (V8 otherwise keeps the
 * pages its old generation grew to), then, once V8's helper threads are done
 * with it (they run the same code concurrently), malloc_trim and the
 * clean-page trim; once more 10 s later, past V8's memory reducer. Each waits
 * for a quiet second (process/quiet-trim.ts). One schedule at a time: calls
 * while one runs change nothing.
 */
export function trimSoon(delayMs = FIRST_TRIM_MS): void {
  if (soon) return;
  soon = true;
  let last = performance.eventLoopUtilization();
  runQuietTrims(
    {
      after: (ms, fn) => void setTimeout(fn, clampDelay(ms)).unref(),
      busySinceLastAsk: () => {
        const now = performance.eventLoopUtilization();
        const busy = performance.eventLoopUtilization(now, last).utilization > BUSY_UTILIZATION;
        last = now;
        return busy;
      },
      collect: () => {
        try {
          fullGc();
        } catch {
          // trimmed all the same
        }
      },
      trim: () => {
        try {
          libc.mallocTrim();
          trimCleanPages();
        } catch {
          // the next periodic trim tries again
        }
      },
    },
    () => {
      soon = false;
    },
    delayMs,
  );
}
