// How tests run tsinit: the built single executable (default), or the
// TypeScript sources under Node 24 with TSINIT_FROM_SOURCE=1 (no build needed).
// With TSINIT_TEST_TOOLS=client the tool folder holds the thin tool client,
// served by a tsinit of the test's own (client-mode.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { linkNames, type LinkName } from '../../src/tool-names.ts';
import { repoRoot } from '../../testkit/debian.ts';
import { clientMode, clientTools } from './client-mode.ts';

export const fromSource = process.env.TSINIT_FROM_SOURCE === '1';
export const binary = path.join(repoRoot, 'dist', 'tsinit');
/** Every name argv[0] may select a tool by (src/tool-names.ts): one link each. */
export const toolNames = linkNames;

let binDir: string | undefined;

if (clientMode && fromSource) throw new Error('TSINIT_TEST_TOOLS=client installs the client from dist/tsinit: not with TSINIT_FROM_SOURCE=1');

/**
 * A folder holding one executable per tool name (symlinks to dist/tsinit, or
 * shell wrappers around the sources, or the tool client), for PATH or direct use.
 */
export function toolBin(): string {
  if (binDir) return binDir;
  if (clientMode) {
    binDir = clientTools(binary, toolNames).bin;
    return binDir;
  }
  // Per checkout: .cache may be shared between worktrees, and links to
  // another checkout's dist/tsinit (or sources) would test the wrong code.
  const tag = createHash('sha256').update(fs.realpathSync(repoRoot)).digest('hex').slice(0, 12);
  const dir = path.join(repoRoot, '.cache', `${fromSource ? 'srcbin' : 'bin'}-${tag}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of toolNames) {
    const p = path.join(dir, name);
    const tmp = `${p}.${process.pid}`;
    if (fromSource) {
      const tool = name === 'tsinit' ? '' : ` ${name}`;
      fs.writeFileSync(tmp, `#!/bin/sh\nexec '${process.execPath}' --no-warnings '${path.join(repoRoot, 'src', 'main.ts')}'${tool} "$@"\n`, { mode: 0o755 });
    } else {
      fs.symlinkSync(binary, tmp);
    }
    fs.renameSync(tmp, p);
  }
  binDir = dir;
  return dir;
}

/** Path of the executable for one tool. */
export function tool(name: LinkName): string {
  return path.join(toolBin(), name);
}

/**
 * Links for every tool name to this checkout's dist/tsinit in a folder of the
 * caller's (`.cache/bin` is shared by every checkout using this .cache, so its
 * links may point at another build while a test runs); in client mode, copies
 * of the client folder's entries.
 */
export function privateToolBin(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755); // programs run as other users search it too
  const from = clientMode ? toolBin() : undefined;
  for (const name of new Set<string>([...toolNames, ...(from ? fs.readdirSync(from) : [])])) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) continue;
    if (!from) fs.symlinkSync(binary, p);
    else if (fs.lstatSync(path.join(from, name)).isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(path.join(from, name)), p);
    else fs.copyFileSync(path.join(from, name), p);
  }
  return dir;
}
