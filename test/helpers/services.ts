// Service directories for tests: each service's run (and finish, log/run) as
// shell bodies; and waiting for a supervise file to hold a given text.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServiceSpec {
  run: string;
  finish?: string;
  log?: string;
}

export function serviceDir(services: Record<string, ServiceSpec>, prefix = 'tsinit-svc-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, s] of Object.entries(services)) {
    const d = path.join(dir, name);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'run'), `#!/bin/sh\n${s.run}\n`, { mode: 0o755 });
    if (s.finish) fs.writeFileSync(path.join(d, 'finish'), `#!/bin/sh\n${s.finish}\n`, { mode: 0o755 });
    if (s.log) {
      fs.mkdirSync(path.join(d, 'log'));
      fs.writeFileSync(path.join(d, 'log', 'run'), `#!/bin/sh\n${s.log}\n`, { mode: 0o755 });
    }
  }
  return dir;
}

/** Resolves when file holds exactly want (e.g. supervise/stat "run\n"). */
export async function waitFile(file: string, want: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (fs.readFileSync(file, 'utf8') === want) return;
    } catch {
      // not written yet
    }
    if (Date.now() > until) throw new Error(`${file} never became ${JSON.stringify(want)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
