// Where the exec helper (native/exec-helper/tsinit-exec.c) is: the SEA asset
// `tsinit-exec`, extracted once, or build/tsinit-exec in a checkout (built by
// `node build.mjs`). undefined = not available: callers take the slow path.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSeaAsset, extractSeaAssetBeside, seaAsset, type ExtractedAsset } from './sea-asset.ts';

export const EXEC_HELPER_ASSET = 'tsinit-exec';
/** Its name beside the executable, written by `tsinit install` (read-only roots). */
export const EXEC_HELPER_BESIDE = '.tsinit-exec';

let located: { path: string | undefined } | undefined;
let extracted: ExtractedAsset | undefined;

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK); // EACCES on a noexec mount too
    return true;
  } catch {
    return false;
  }
}

function checkoutHelper(): string | undefined {
  // native/ in a checkout, build/ for the bundle: the repository root is one up
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const root of [path.dirname(here), here]) {
    const file = path.join(root, 'build', EXEC_HELPER_ASSET);
    if (executable(file)) return file;
  }
  return undefined;
}

/** The helper's absolute path, extracting it on first use; undefined if unavailable. */
export function execHelperPath(): string | undefined {
  if (located) return located.path;
  let p: string | undefined;
  try {
    if (seaAsset(EXEC_HELPER_ASSET)) {
      extracted = extractSeaAsset(EXEC_HELPER_ASSET, EXEC_HELPER_BESIDE, 0o500, executable);
      p = extracted?.path;
      if (extracted) process.once('exit', () => extracted?.remove());
    } else {
      p = checkoutHelper();
    }
  } catch {
    p = undefined; // no place to put it: every start takes the slow path
  }
  located = { path: p };
  return p;
}

/** For `tsinit install`: the helper beside `binary`; its path, or undefined outside the single executable. */
export function extractExecHelperBeside(binary: string): string | undefined {
  return extractSeaAssetBeside(EXEC_HELPER_ASSET, EXEC_HELPER_BESIDE, binary, 0o555);
}
