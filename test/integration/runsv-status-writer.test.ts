// supervise/pid, stat and status as runsv writes them, and runit's warnings
// when it cannot (reference spec 2.3-2.5, 3.7).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeStatusFiles } from '../../src/supervise/status-writer.ts';
import { decodeStatus, type ServiceStatus } from '../../src/supervise/status-file.ts';
import { tempRoot } from '../helpers/runsv.ts';

const root = tempRoot('runsv-writer-');
after(() => fs.rmSync(root, { recursive: true, force: true }));

const running: ServiceStatus = {
  since: { sec: 1795463038, usec: 192678 },
  pid: 12958,
  paused: false,
  want: 'up',
  termSent: false,
  state: 'run',
};

test('writes pid, stat and the 20-byte status (the bytes of a real Debian record), no .new left', () => {
  const base = path.join(root, 'ok');
  fs.mkdirSync(path.join(base, 'supervise'), { recursive: true });
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
  };
  assert.equal(writeStatusFiles(base, 'supervise', running, true, warn), true);
  assert.deepEqual(warnings, []);
  const sup = path.join(base, 'supervise');
  assert.equal(fs.readFileSync(path.join(sup, 'pid'), 'utf8'), '12958\n');
  assert.equal(fs.readFileSync(path.join(sup, 'stat'), 'utf8'), 'run\n');
  assert.equal(fs.readFileSync(path.join(sup, 'status')).toString('hex'), '400000006b0497880b7c0a649e32000000750001');
  assert.deepEqual(fs.readdirSync(sup).sort(), ['pid', 'stat', 'status']);
  // pid untouched when writePid is false; down with want down: empty pid only when asked
  const down: ServiceStatus = { ...running, pid: 0, want: 'down', state: 'down' };
  writeStatusFiles(base, 'supervise', down, false, warn);
  assert.equal(fs.readFileSync(path.join(sup, 'pid'), 'utf8'), '12958\n');
  assert.equal(fs.readFileSync(path.join(sup, 'stat'), 'utf8'), 'down\n');
  writeStatusFiles(base, 'supervise', down, true, warn);
  assert.equal(fs.readFileSync(path.join(sup, 'pid'), 'utf8'), '');
  const d = decodeStatus(fs.readFileSync(path.join(sup, 'status')));
  assert.equal(d.want, 'd');
  assert.equal(d.pid, 0);
  assert.deepEqual(warnings, []);
});

test("missing supervise dir: runit's warning, the rest of the update skipped", () => {
  const base = path.join(root, 'gone');
  fs.mkdirSync(base);
  const warnings: string[] = [];
  assert.equal(writeStatusFiles(base, 'log/supervise', running, true, (m) => warnings.push(m)), false);
  assert.deepEqual(warnings, ['unable to open log/supervise/pid.new: file does not exist']);
  warnings.length = 0;
  assert.equal(writeStatusFiles(base, 'supervise', running, false, (m) => warnings.push(m)), true);
  // runit gives up the whole update at the first open failure
  assert.deepEqual(warnings, ['unable to open supervise/stat.new: file does not exist']);
});

test("rename failures: runit's warnings name the target", () => {
  const base = path.join(root, 'dirs');
  const sup = path.join(base, 'supervise');
  fs.mkdirSync(sup, { recursive: true });
  // a non-empty directory where the file should go makes rename fail
  for (const f of ['pid', 'stat', 'status']) fs.mkdirSync(path.join(sup, f, 'x'), { recursive: true });
  const warnings: string[] = [];
  assert.equal(writeStatusFiles(base, 'supervise', running, true, (m) => warnings.push(m)), false);
  assert.deepEqual(warnings, ['unable to rename pid.new to supervise/pid: is a directory']);
  warnings.length = 0;
  writeStatusFiles(base, 'supervise', running, false, (m) => warnings.push(m));
  assert.deepEqual(warnings, ['unable to rename stat.new to supervise/stat: is a directory', 'unable to rename status.new to supervise/status: is a directory']);
});
