// Loads koffi's native module. In a development checkout it comes from
// node_modules; inside the single executable it is a SEA asset that has to be
// written to a file and dlopen'ed (Node can only load addons from files).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as KoffiTypes from 'koffi';

export type Koffi = typeof KoffiTypes;

interface SeaModule {
  isSea(): boolean;
  getRawAsset(name: string): ArrayBuffer;
}

function seaModule(): SeaModule | undefined {
  try {
    const req = createRequire(process.execPath);
    const sea = req('node:sea') as SeaModule;
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

/** Directories tried, in order, for the extracted addon. */
function extractDirs(): string[] {
  const dirs: string[] = [];
  const env = process.env.TSINIT_TMPDIR;
  if (env) dirs.push(env);
  dirs.push(path.dirname(process.execPath));
  dirs.push('/run', '/dev/shm', os.tmpdir(), '/tmp');
  return [...new Set(dirs)];
}

function loadFromSea(sea: SeaModule): Koffi {
  const bytes = Buffer.from(sea.getRawAsset('koffi.node'));
  // A file already extracted next to the binary (by `tsinit install`) is used
  // as is: read-only root filesystems have nowhere else to put it.
  const cached = path.join(path.dirname(process.execPath), '.tsinit-koffi.node');
  const mod = { exports: {} as Koffi };
  try {
    const st = fs.statSync(cached);
    if (st.size === bytes.length) {
      process.dlopen(mod, cached, os.constants.dlopen.RTLD_NOW);
      return mod.exports;
    }
  } catch {
    // not there or not loadable: extract below
  }
  let lastError: unknown;
  for (const dir of extractDirs()) {
    const file = path.join(dir, `.tsinit-koffi-${process.pid}-${Date.now()}.node`);
    try {
      fs.writeFileSync(file, bytes, { mode: 0o500 });
    } catch (e) {
      lastError = e;
      continue;
    }
    try {
      process.dlopen(mod, file, os.constants.dlopen.RTLD_NOW);
      return mod.exports;
    } catch (e) {
      lastError = e; // e.g. a noexec mount: try the next place
    } finally {
      try { fs.unlinkSync(file); } catch { /* already gone */ }
    }
  }
  throw new Error(`unable to load the embedded FFI module: ${String(lastError)}`);
}

/** Writes the embedded addon beside the binary so later starts need no temp dir. */
export function extractKoffiBeside(binary: string): string | undefined {
  const sea = seaModule();
  if (!sea) return undefined;
  const target = path.join(path.dirname(binary), '.tsinit-koffi.node');
  const tmp = `${target}.new`;
  fs.writeFileSync(tmp, Buffer.from(sea.getRawAsset('koffi.node')), { mode: 0o555 });
  fs.renameSync(tmp, target);
  return target;
}

let cachedKoffi: Koffi | undefined;

export function koffi(): Koffi {
  if (cachedKoffi) return cachedKoffi;
  const sea = seaModule();
  if (sea) {
    cachedKoffi = loadFromSea(sea);
  } else {
    const loaded = createRequire(import.meta.url)('koffi') as Koffi;
    cachedKoffi = loaded;
  }
  return cachedKoffi;
}
