// Node decodes argv as UTF-8: an argument whose bytes are not UTF-8 (a
// service directory named so) arrives with U+FFFD in it and cannot be found
// again. The kernel still has the bytes in /proc/self/cmdline.

import fs from 'node:fs';

/**
 * The bytes of the given arguments (the last args.length words of the
 * command line), or undefined when they cannot be matched with certainty.
 */
export function rawArgs(args: readonly string[], cmdline?: Buffer): Buffer[] | undefined {
  let text: Buffer;
  try {
    text = cmdline ?? fs.readFileSync('/proc/self/cmdline');
  } catch {
    return undefined;
  }
  const words: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === 0) {
      words.push(text.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < text.length) words.push(text.subarray(start));
  if (words.length < args.length) return undefined;
  const tail = words.slice(words.length - args.length);
  // The same words (after Node's decoding), or the process title was changed.
  for (let i = 0; i < args.length; i++) if (tail[i]?.toString() !== args[i]) return undefined;
  return tail;
}

/** name -> its bytes, for the arguments that are not UTF-8 (the first such word wins). */
export function rawNames(args: readonly string[], cmdline?: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!args.some((a) => a.includes('\uFFFD'))) return out;
  const raw = rawArgs(args, cmdline);
  if (!raw) return out;
  args.forEach((a, i) => {
    const b = raw[i];
    if (b && !out.has(a) && !Buffer.from(a).equals(b)) out.set(a, b);
  });
  return out;
}
