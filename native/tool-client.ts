// The tool client (native/tool-client/tsinit-client.c): where its bytes are
// (the SEA asset `tsinit-client`, build/tsinit-client in a checkout, or
// client/ARCH/tsinit-client in the npm package) and the copy `tsinit install`
// writes, with the fallback slot naming the full executable.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seaAsset } from './sea-asset.ts';

export const TOOL_CLIENT_ASSET = 'tsinit-client';
/** The marker in front of the slot (tsinit-client.c's SLOT_MARKER, its NUL included). */
export const SLOT_MARKER = Buffer.from('tsinit-client fallback path slot\0', 'latin1');
/** The slot's size: the path and at least one NUL. */
export const SLOT_SIZE = 4096;

/** The client for this machine's architecture, or undefined when there is none. */
export function toolClientBytes(): Buffer | undefined {
  const embedded = seaAsset(TOOL_CLIENT_ASSET);
  if (embedded) return embedded;
  const here = path.dirname(fileURLToPath(import.meta.url));
  // native/ in a checkout, build/ for the bundle: the repository root is one up;
  // the npm package: one client per architecture beside the bundle
  const candidates = [
    path.join(path.dirname(here), 'build', TOOL_CLIENT_ASSET),
    path.join(here, 'build', TOOL_CLIENT_ASSET),
    path.join(here, 'client', process.arch, TOOL_CLIENT_ASSET),
  ];
  for (const file of candidates) {
    try {
      return fs.readFileSync(file);
    } catch {
      // not this layout
    }
  }
  return undefined;
}

/**
 * A copy of the client whose slot holds `executable` (an absolute path, NUL-
 * padded). Throws when the bytes have no single slot or the path does not fit.
 */
export function clientWithSlot(client: Uint8Array, executable: string): Buffer {
  const bytes = Buffer.from(client);
  const at = bytes.indexOf(SLOT_MARKER);
  if (at < 0 || bytes.indexOf(SLOT_MARKER, at + 1) >= 0) throw new Error('the tool client has no single fallback slot');
  const start = at + SLOT_MARKER.length;
  if (start + SLOT_SIZE > bytes.length) throw new Error('the tool client\'s slot is cut short');
  const name = Buffer.from(executable);
  if (!path.isAbsolute(executable)) throw new Error(`not an absolute path: ${executable}`);
  if (name.length >= SLOT_SIZE || name.includes(0)) throw new Error(`path too long for the tool client's slot: ${executable}`);
  bytes.fill(0, start, start + SLOT_SIZE);
  name.copy(bytes, start);
  return bytes;
}
