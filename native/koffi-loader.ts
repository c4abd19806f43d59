// Loads koffi's native module, from wherever this build of tsinit keeps it:
//  - single executable: a SEA asset. Node loads addons only from files, so it
//    is either the trusted identical copy `tsinit install` left beside the
//    binary, or extracted safely (native/sea-asset.ts) and removed again;
//  - npm package: koffi's prebuilt addons shipped in the package
//    (koffi/<libc>_<arch>/koffi.node beside the bundle), chosen by C library
//    and architecture;
//  - development checkout: the koffi package from node_modules.
// Nothing is loaded until a system call Node lacks is first needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as KoffiTypes from 'koffi';
import { extractSeaAssetSafely, installAsset, openIfIdentical, seaAsset, UntrustedFileError } from './sea-asset.ts';
import { addonFolder, detectLibc } from './koffi-platform.ts';

export type Koffi = typeof KoffiTypes;

export const KOFFI_ASSET = 'koffi.node';
/** The name `tsinit install` gives the addon beside the binary. */
export const INSTALLED_ADDON = '.tsinit-koffi.node';

function dlopen(file: string): Koffi {
  const mod = { exports: {} as Koffi };
  process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
  return mod.exports;
}

function warn(text: string): void {
  try {
    fs.writeSync(2, `tsinit: warning: ${text}\n`);
  } catch {
    // no stderr
  }
}

function loadFromSea(bytes: Buffer): Koffi {
  // A copy left by `tsinit install` (read-only roots have nowhere else to
  // put it) is used only if trusted and identical to the embedded one.
  const beside = path.join(path.dirname(process.execPath), INSTALLED_ADDON);
  try {
    const opened = openIfIdentical(beside, bytes);
    if (opened) {
      try {
        return dlopen(opened.pinned);
      } finally {
        opened.close();
      }
    }
  } catch (e) {
    if (e instanceof UntrustedFileError) warn(`${e.message}; extracting the embedded copy instead`);
    else warn(`unable to load ${beside}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { value, asset } = extractSeaAssetSafely(KOFFI_ASSET, (a) => dlopen(a.pinned));
  asset.remove(); // the mapping stays; the file is not needed any more
  return value;
}

/** koffi's addon shipped in the npm package beside the bundle, if this is the package. */
export function packagedAddon(bundleDir: string, arch: string = process.arch, nodeBinary: string = process.execPath): string | undefined {
  const file = path.join(bundleDir, 'koffi', addonFolder(arch, detectLibc(nodeBinary)), 'koffi.node');
  return fs.existsSync(file) ? file : undefined;
}

let cachedKoffi: Koffi | undefined;

/** koffi, loaded on first use. */
export function koffi(): Koffi {
  if (cachedKoffi) return cachedKoffi;
  const bytes = seaAsset(KOFFI_ASSET);
  if (bytes) {
    cachedKoffi = loadFromSea(bytes);
    return cachedKoffi;
  }
  const packaged = typeof __dirname === 'string' ? packagedAddon(__dirname) : undefined;
  cachedKoffi = packaged ? dlopen(packaged) : (createRequire(import.meta.url)('koffi') as Koffi);
  return cachedKoffi;
}

/** Writes the embedded addon beside the binary so later starts need no temp dir. */
export function extractKoffiBeside(binary: string): string | undefined {
  const bytes = seaAsset(KOFFI_ASSET);
  if (!bytes) return undefined;
  const target = path.join(path.dirname(binary), INSTALLED_ADDON);
  installAsset(target, bytes, 0o555);
  return target;
}
