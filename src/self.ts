// How this process was started: as the single executable (argv[0] picks the
// tool, the executable is process.execPath) or as a script run by Node (the
// npm package's tsinit.cjs, or src/main.ts from a checkout: argv[1] picks the
// tool, the script is what tool links must point at).
import fs from 'node:fs';
import { seaModule } from '../native/sea-asset.ts';

export function isSingleExecutable(): boolean {
  return seaModule() !== undefined;
}

/** The name the tool was invoked by (a tool link such as /usr/local/bin/sv). */
export function invokedAs(): string {
  if (isSingleExecutable()) return process.argv0;
  return process.argv[1] ?? process.argv0;
}

/** What tool links point at: the executable, or the script Node runs. */
export function selfExecutable(): string {
  if (isSingleExecutable()) return process.execPath;
  const script = process.argv[1];
  if (!script) return process.execPath;
  try {
    return fs.realpathSync(script);
  } catch {
    return script;
  }
}
