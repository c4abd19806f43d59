// The logger inside a Node process, as the supervisor will run it: a `!`
// processor spawned through process/spawn.ts and reaped by the reaper,
// several directories fed from one stream of Buffers.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/svlogd/logger.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svlogd-inproc-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('in-process: processor output, state, and a second directory with its own rules', async () => {
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(a, 'config'), 's100\n!tr a-z A-Z; echo "$(cat <&4)x" >&5\n');
  fs.writeFileSync(path.join(b, 'config'), '-*\n+*keep*\n');
  const messages: string[] = [];
  const logger = createLogger([a, b], { timestamp: 0, verbose: true, repl: 0, replace: Buffer.alloc(0), linemax: 1000 }, (m) =>
    messages.push(m.toString()),
  );
  const text = Array.from({ length: 9 }, (_, i) => `line ${i} ${i % 3 ? 'drop' : 'keep'} ${'z'.repeat(30)}\n`).join('');
  for (let i = 0; i < text.length; i += 17) logger.write(Buffer.from(text.slice(i, i + 17)));
  await logger.end();

  const s = fs.readdirSync(a).filter((f) => f.endsWith('.s')).sort();
  // 378 bytes with s100 (< len: no rotation at line ends): three full files, lines split
  assert.equal(s.length, 3, messages.join(''));
  const processed = s.map((f) => fs.readFileSync(path.join(a, f), 'utf8')).join('');
  assert.equal(processed, text.toUpperCase().slice(0, 300));
  assert.equal(fs.readFileSync(path.join(a, 'current'), 'utf8'), text.slice(300));
  assert.deepEqual(fs.readdirSync(a).filter((f) => f.endsWith('.u') || f.endsWith('.t')), []);
  assert.equal(fs.readFileSync(path.join(a, 'state'), 'utf8'), 'xxx\n');
  assert.equal(fs.readFileSync(path.join(b, 'current'), 'utf8'), text.split('\n').filter((l) => l.includes('keep')).map((l) => `${l}\n`).join(''));
  assert.equal(messages.filter((m) => m.includes('processed:')).length, 3);
});
