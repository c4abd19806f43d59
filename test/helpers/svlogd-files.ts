// What svlogd left in its log directories, comparable across two runs (or
// two implementations): timestamps replaced, rotated files numbered in order.
import fs from 'node:fs';
import path from 'node:path';

/** TAI64N labels and -tt/-ttt dates replaced: two runs' lines compare equal. */
export function normalise(text: string): string {
  return text.replace(/@4000[0-9a-f]{20}/g, '@TAI').replace(/\d{4}-\d\d-\d\d([_T])\d\d:\d\d:\d\d\.\d{5}/g, 'DATE$1TIME');
}

/**
 * Every file of each directory (under root): its mode and normalised text,
 * keyed by name, rotated `@...` files by their order. A missing directory
 * throws unless skipMissing (a case whose svlogd was to skip it).
 */
export function snapshot(root: string, dirs: string[], o: { skipMissing?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dirs) {
    const full = path.join(root, d);
    if (o.skipMissing && !fs.existsSync(full)) continue;
    const names = fs.readdirSync(full).sort();
    let k = 0;
    for (const n of names) {
      const st = fs.statSync(path.join(full, n));
      const key = n.startsWith('@') ? `${d}/@${k++}${n.slice(25)}` : `${d}/${n}`;
      out[key] = `${(st.mode & 0o777).toString(8)} ${normalise(fs.readFileSync(path.join(full, n), 'latin1'))}`;
    }
  }
  return out;
}
