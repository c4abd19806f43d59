// Where the exec helper (native/exec-helper/tsinit-exec.c) is: the SEA asset
// `tsinit-exec`, build/tsinit-exec in a checkout (built by `node
// build.mjs`), or exec-helper/ARCH/tsinit-exec in the npm package. undefined = not available: callers take the slow path.
//
// Unlike koffi's addon (dlopen'ed once through /proc/self/fd), the helper is
// exec'ed by path for every start, also by a shell that does not hold tsinit's
// descriptors: so it needs a real path no other user can swap. That is either
// the copy `tsinit install` left beside the executable (trusted, identical,
// in a directory only root or we can change), or a file extracted with
// native/sea-asset.ts into a private directory that lives until tsinit exits.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  extractSeaAssetSafely,
  installAsset,
  openIfIdentical,
  seaAsset,
  unsafeDirReason,
  type ExtractedAsset,
} from './sea-asset.ts';

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
  // the npm package: one helper per architecture beside the bundle
  const packaged = path.join(here, 'exec-helper', process.arch, EXEC_HELPER_ASSET);
  return executable(packaged) ? packaged : undefined;
}

/** The installed copy beside the executable, when it can be exec'ed by path safely. */
function trustedBeside(bytes: Uint8Array): string | undefined {
  const beside = path.join(path.dirname(process.execPath), EXEC_HELPER_BESIDE);
  try {
    const opened = openIfIdentical(beside, bytes);
    if (!opened) return undefined;
    opened.close();
    const me = process.geteuid?.() ?? 0;
    const unsafe = unsafeDirReason(path.dirname(beside), (p) => fs.lstatSync(p), me);
    return unsafe === null && executable(beside) ? beside : undefined;
  } catch {
    return undefined; // planted or changed: extract the embedded copy instead
  }
}

/** The helper's absolute path, extracting it on first use; undefined if unavailable. */
export function execHelperPath(): string | undefined {
  if (located) return located.path;
  let p: string | undefined;
  try {
    const bytes = seaAsset(EXEC_HELPER_ASSET);
    if (bytes) {
      p = trustedBeside(bytes);
      if (p === undefined) {
        const { asset } = extractSeaAssetSafely(
          EXEC_HELPER_ASSET,
          (a) => {
            if (!executable(a.file)) throw Object.assign(new Error('not executable (noexec mount?)'), { code: 'EACCES' });
          },
          { mode: 0o500 },
        );
        extracted = asset;
        p = asset.file;
        process.once('exit', () => extracted?.remove());
      }
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
  const bytes = seaAsset(EXEC_HELPER_ASSET);
  if (!bytes) return undefined;
  const target = path.join(path.dirname(binary), EXEC_HELPER_BESIDE);
  installAsset(target, bytes, 0o555);
  return target;
}
