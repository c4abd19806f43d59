// How V8 sizes the heap of a process that runs for months (PID 1, runsvdir,
// svlogd). By default V8 trades memory for speed: the young generation grows
// in steps (to tens of MB) when much survives a scavenge, and the old
// generation may grow to several times its live size before a full
// collection. A crash-looping service makes exactly that pattern (its state
// lives for runit's 1 s pause, then dies), so the anonymous memory of PID 1
// saw-toothed by 20-30 MB with a constant live size. These flags keep the
// young generation at its initial size and start a full collection when the
// old one has grown by 10% over what was live: a few ms of marking every few
// seconds at most, and a flat footprint.
// No Maglev (V8's mid-tier optimizing compiler): it compiles code that ran a
// little while, at any moment - an idle init's 5 s scan got compiled some
// 10-20 s after the boot, on a V8 thread, and the compiler's own machine code
// (megabytes of the executable, faulted in by the folio) came back after the
// trim (process/trim.ts). Measured on bench/tree.ts's tree: PID 1 at rest
// 33 MB instead of 36-38 MB, its boot CPU unchanged; Turbofan still
// optimizes what is really hot (a logger under a flood).
import v8 from 'node:v8';

export const HEAP_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=10', '--no-maglev'];

export function applyHeapPolicy(): void {
  for (const f of HEAP_FLAGS) v8.setFlagsFromString(f);
}
