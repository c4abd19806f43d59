// In-process supervisors for integration tests (the supervisor of
// src/supervise/ driven from the test process): temp roots, supervisors that
// report into an array, and one bounded clean-up after the file's tests.
import { after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { reaper } from '../../src/process/reaper.ts';
import { createSupervisor, type Supervisor } from '../../src/supervise/supervisor.ts';
import { tempDir } from './runsvdir.ts';
import { within } from './within.ts';

const tmp: string[] = [];
const sups: Supervisor[] = [];
let cleanupRegistered = false;

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  // Bounded: a failed test may leave services that wait for a release file;
  // whatever is still running after 20 s is killed, so the file always ends.
  after(async () => {
    for (const s of sups) {
      const stopped = await within(s.stopAll().then(() => true), 20_000, false);
      if (!stopped) for (const pid of s.pids()) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
  });
}

/** A temp directory removed after the file's tests; starts the reaper the supervisors need. */
export function root(prefix: string): string {
  registerCleanup();
  reaper.start();
  const d = tempDir(prefix);
  tmp.push(d);
  return d;
}

/** A started supervisor of dir whose report lines go into lines; stopped after the file's tests. */
export function supervise(dir: string, lines: string[] = []): Supervisor {
  registerCleanup();
  const s = createSupervisor({ dir, report: (l) => lines.push(l) });
  sups.push(s);
  s.start();
  return s;
}

/** Writes a file with exactly this mode, making its directory. */
export function file(p: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text, { mode });
  fs.chmodSync(p, mode);
}
