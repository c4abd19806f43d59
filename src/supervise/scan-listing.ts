// The in-process runsvdir's reads of its directory: the entries stat'ed over
// several turns of the event loop (a thousand stat calls take tens of ms on a
// loaded machine), and Debian's .forced-rescan stamp.
import fs from 'node:fs';
import path from 'node:path';
import { SLICE_MAX_MS } from '../util/turn-slicer.ts';
import { errstrOf } from '../util/errstr.ts';
import { tai64nLabel, wallNow } from '../util/tai64n.ts';
import { identityOf, type Identity, type ListingEntry } from './scanner.ts';

export interface Listing {
  entries: ListingEntry[];
  /** names read as bytes that are not UTF-8, by identity */
  raws: Map<Identity, Buffer>;
}

const now = (): number => performance.now();

/** stat one entry of the directory into the listing being built */
function statEntry(absDir: string, raw: Buffer, entries: ListingEntry[], raws: Map<Identity, Buffer>): void {
  if (raw[0] === 0x2e) return; // "." first: never a service, not even stat'ed
  // Names are bytes: runsvdir supervises any name, UTF-8 or not.
  const name = raw.toString();
  const exact = Buffer.from(name).equals(raw);
  try {
    const st = fs.statSync(exact ? path.join(absDir, name) : Buffer.concat([Buffer.from(`${absDir}/`), raw]), { bigint: true });
    if (!exact && st.isDirectory()) raws.set(identityOf(st.dev, st.ino), raw);
    entries.push(st.isDirectory() ? { name, kind: 'dir', id: identityOf(st.dev, st.ino) } : { name, kind: 'other' });
  } catch (e) {
    const code = e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
    entries.push({ name, kind: 'error', code });
  }
}

/**
 * stat the entries names of absDir, SLICE_MAX_MS per turn, then done() with
 * the whole listing; done(null) when stopped() says so between turns.
 */
export function statListing(absDir: string, names: Buffer[], stopped: () => boolean, done: (listing: Listing | null) => void): void {
  const entries: ListingEntry[] = [];
  const raws = new Map<Identity, Buffer>();
  let i = 0;
  const step = (): void => {
    if (stopped()) {
      done(null);
      return;
    }
    const t0 = now();
    while (i < names.length) {
      statEntry(absDir, names[i++] as Buffer, entries, raws);
      if (i < names.length && now() - t0 >= SLICE_MAX_MS) {
        setImmediate(step);
        return;
      }
    }
    done({ entries, raws });
  };
  step();
}

/** Debian's runsvdir after a forced rescan: DIR/.forced-rescan holds a TAI64N stamp. */
export function writeForcedRescan(absDir: string, dir: string, warn: (text: string) => void): void {
  const file = path.join(absDir, '.forced-rescan');
  let fd: number;
  try {
    fd = fs.openSync(file, 'w', 0o644);
  } catch (e) {
    warn(`failed to open ${dir}/.forced-rescan: ${errstrOf(e)}`);
    return;
  }
  try {
    fs.writeSync(fd, tai64nLabel(wallNow()));
  } catch (e) {
    warn(`failed to write ${dir}/.forced-rescan: ${errstrOf(e)}`);
  } finally {
    fs.closeSync(fd);
  }
}
