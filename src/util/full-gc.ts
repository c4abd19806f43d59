// A full (mark-compact) collection on demand, for the one moment an idle
// init gives memory back. Node exposes no such call without --expose-gc for
// the whole process; V8 installs `gc` in contexts created while the flag is
// set, so one new context lends its function and the flag is cleared again:
// nothing else (no tool, no script) ever sees a global `gc`.
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

/** Collect the whole heap now (a few ms); false when this V8 offers no way to. */
export function fullGc(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const f: unknown = vm.runInNewContext('gc');
      gcFn = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      gcFn = null;
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}
