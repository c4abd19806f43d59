// The in-process logger with a fake clock: `t` rotation, ALRM on an empty
// current, HUP resetting config to defaults, U (UDP only), the size rule with
// long lines, and backpressure. Real files in a temp folder, no processes.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, LoggerFatal, type LoggerOptions } from '../../src/svlogd/logger.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svlogd-logger-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
function logdir(config?: string): string {
  const d = path.join(root, `d${n++}`);
  fs.mkdirSync(d);
  if (config !== undefined) fs.writeFileSync(path.join(d, 'config'), config);
  return d;
}

function setup(dirs: string[], extra: Partial<LoggerOptions> = {}) {
  const clock = { us: Date.UTC(2026, 0, 1) * 1000 };
  const messages: string[] = [];
  const logger = createLogger(
    dirs,
    { timestamp: 0, verbose: true, repl: 0, replace: Buffer.alloc(0), linemax: 1000, clock: () => clock.us++, ...extra },
    (d) => messages.push(d.toString()),
  );
  return { logger, clock, messages };
}

const ls = (d: string): string[] => fs.readdirSync(d).sort();
const read = (d: string, f: string): string => fs.readFileSync(path.join(d, f), 'latin1');
const rotated = (d: string): string[] => ls(d).filter((f) => f.startsWith('@'));

test('t rotation follows the (fake) clock, checked before each write', async () => {
  const d = logdir('t10\n');
  const { logger, clock } = setup([d]);
  logger.write(Buffer.from('one\n'));
  clock.us += 5e6;
  logger.write(Buffer.from('two\n'));
  assert.deepEqual(rotated(d), []);
  clock.us += 6e6;
  logger.write(Buffer.from('three\n'));
  await logger.settled();
  assert.equal(rotated(d).length, 1);
  assert.equal(read(d, rotated(d)[0] as string), 'one\ntwo\n');
  await logger.end();
  assert.equal(read(d, 'current'), 'three\n');
  assert.equal(fs.statSync(path.join(d, 'current')).mode & 0o777, 0o744);
});

test('ALRM rotates only a non-empty current; names are 27 characters', async () => {
  const d = logdir();
  const { logger, messages } = setup([d]);
  logger.rotate();
  await logger.settled();
  assert.deepEqual(rotated(d), []);
  logger.write(Buffer.from('x\n'));
  logger.rotate();
  await logger.settled();
  const r = rotated(d);
  assert.equal(r.length, 1);
  assert.match(r[0] as string, /^@4000[0-9a-f]{20}\.s$/);
  assert.equal(fs.statSync(path.join(d, r[0] as string)).mode & 0o777, 0o744);
  assert.ok(messages.includes(`svlogd: info: rename: ${d}/current ${r[0]} 2\n`));
  await logger.end();
});

test('HUP resets the config to the defaults before re-reading it', async () => {
  const d = logdir('pA: \n-*skip*\n');
  const { logger } = setup([d]);
  logger.write(Buffer.from('one\nskip me\n'));
  fs.writeFileSync(path.join(d, 'config'), '# nothing\n');
  logger.reload();
  logger.write(Buffer.from('two\nskip me\n'));
  await logger.end();
  assert.equal(read(d, 'current'), 'A: one\ntwo\nskip me\n');
});

test('U: lines go out by UDP only, nothing is written to the directory', async () => {
  const d = logdir('U127.0.0.1:9\n');
  const { logger } = setup([d]);
  logger.write(Buffer.from('udp only\n'));
  await logger.end();
  assert.equal(read(d, 'current'), '');
});

test('size rule: a long line is not truncated, later ones rotate at s - len', async () => {
  const d = logdir('s300\nn0\n');
  const { logger } = setup([d], { linemax: 100 });
  const long = `${'L'.repeat(250)}\n`;
  logger.write(Buffer.from(`${long}short\n`));
  await logger.end();
  // 251 bytes >= 300 - 100 after the long line: rotated; "short" starts a new current
  const r = rotated(d);
  assert.equal(r.length, 1);
  assert.equal(read(d, r[0] as string), long);
  assert.equal(read(d, 'current'), 'short\n');
});

test('no functional directory: LoggerFatal with the message', () => {
  const messages: string[] = [];
  assert.throws(
    () =>
      createLogger([path.join(root, 'missing')], { timestamp: 0, verbose: false, repl: 0, replace: Buffer.alloc(0), linemax: 1000 }, (m) =>
        messages.push(m.toString()),
      ),
    LoggerFatal,
  );
  assert.deepEqual(messages, [
    `svlogd: warning: unable to open log directory: ${root}/missing: file does not exist\n`,
    'svlogd: fatal: no functional log directories.\n',
  ]);
});

test('backpressure: write() returns false above the high-water mark and drained() resolves', async () => {
  const d = logdir();
  const { logger } = setup([d], { highWaterMark: 10 });
  // processed synchronously: nothing stays queued
  assert.equal(logger.write(Buffer.from('0123456789abcdef\n')), true);
  await logger.drained();
  await logger.end();
  assert.equal(read(d, 'current'), '0123456789abcdef\n');
});

test('cwd: relative names resolved against it, shown as given', async () => {
  const base = logdir();
  fs.mkdirSync(path.join(base, 'main'));
  const messages: string[] = [];
  const logger = createLogger(
    ['main'],
    { timestamp: 0, verbose: true, repl: 0, replace: Buffer.alloc(0), linemax: 1000, cwd: base },
    (m) => messages.push(m.toString()),
  );
  logger.write(Buffer.from('in the service folder\n'));
  await logger.end();
  assert.equal(read(path.join(base, 'main'), 'current'), 'in the service folder\n');
  assert.deepEqual(messages, ['svlogd: info: new: main/current\n', 'svlogd: info: close: main\n']);
});
