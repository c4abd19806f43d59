// The batched writer against a literal model of runit's buffer_pwrite():
// every line flushed by its own write(s) of at most -b bytes, each write
// truncated to s - size (rotating first when size >= s), and a rotation after
// a write ending in a newline once size >= s - len (unsigned). Random line
// lengths, sizes, len and input splits; the files must be byte-identical.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/svlogd/logger.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svlogd-sizerule-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runitModel(lines: string[], sizemax: number, linemax: number, buflen: number): string[] {
  const files: string[] = [];
  let cur = '';
  const rotate = (): void => {
    if (cur.length > 0) {
      files.push(cur);
      cur = '';
    }
  };
  const pwrite = (s: string): number => {
    let len = s.length;
    if (sizemax) {
      if (cur.length >= sizemax) rotate();
      if (len > sizemax - cur.length) len = sizemax - cur.length;
    }
    cur += s.slice(0, len);
    const threshold = sizemax >= linemax ? sizemax - linemax : Infinity; // unsigned wrap
    if (sizemax && s[len - 1] === '\n' && cur.length >= threshold) rotate();
    return len;
  };
  for (const line of lines) {
    const out = `${line}\n`;
    for (let off = 0; off < out.length; off += buflen) {
      let piece = out.slice(off, off + buflen);
      while (piece.length) piece = piece.slice(pwrite(piece));
    }
  }
  return [...files, cur];
}

test('random inputs: the same files as runit write per line', async () => {
  const rand = rng(12345);
  for (let round = 0; round < 30; round++) {
    const linemax = 1 + Math.floor(rand() * 60);
    const buflen = linemax + 1 + Math.floor(rand() * 40);
    const sizemax = rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 400);
    const lines = Array.from({ length: 1 + Math.floor(rand() * 30) }, (_, i) =>
      String.fromCharCode(97 + (i % 26)).repeat(Math.floor(rand() * linemax * 3)),
    );
    const dir = path.join(root, `r${round}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config'), `s${sizemax}\nn0\n`);
    let clock = 1_800_000_000_000_000;
    const logger = createLogger(
      [dir],
      { timestamp: 0, verbose: false, repl: 0, replace: Buffer.alloc(0), linemax, clock: () => (clock += 7) },
      () => {},
    );
    const input = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    for (let off = 0; off < input.length; ) {
      const n = 1 + Math.floor(rand() * 200);
      logger.write(input.subarray(off, off + n));
      off += n;
    }
    await logger.end();
    const names = fs.readdirSync(dir).filter((f) => f.startsWith('@')).sort();
    const got = [...names, 'current'].map((f) => fs.readFileSync(path.join(dir, f), 'latin1'));
    assert.deepEqual(got, runitModel(lines, sizemax, linemax, buflen), `round ${round}: s${sizemax} len ${linemax}`);
  }
});
