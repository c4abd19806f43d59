import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SERVICES, identityOf, planScan, warningText, type ListingEntry, type SlotView } from '../../src/supervise/scanner.ts';
import { errstr } from '../../src/util/errstr.ts';

const dir = (name: string, ino: number, dev = 2049): ListingEntry => ({ name, kind: 'dir', id: identityOf(dev, ino) });
const slot = (name: string, ino: number, running = true, dev = 2049): SlotView => ({ name, id: identityOf(dev, ino), running });

test('identity is (dev, ino), printed as dev:ino', () => {
  assert.equal(identityOf(2049n, 131077n), '2049:131077');
  assert.notEqual(identityOf(1, 23), identityOf(12, 3));
});

test('new directories get a slot and a runsv, in directory order, and ask for a re-check', () => {
  const plan = planScan([], [dir('b', 11), dir('a', 10)]);
  assert.deepEqual(plan.start, [
    { id: identityOf(2049, 11), name: 'b', isNew: true },
    { id: identityOf(2049, 10), name: 'a', isNew: true },
  ]);
  assert.deepEqual(plan.stop, []);
  assert.equal(plan.recheck, true);
});

test('known and running: nothing to do, no re-check', () => {
  const plan = planScan([slot('a', 10), slot('b', 11)], [dir('a', 10), dir('b', 11)]);
  assert.deepEqual(plan.start, []);
  assert.deepEqual(plan.stop, []);
  assert.deepEqual(plan.warnings, []);
  assert.equal(plan.recheck, false);
});

test('a removed directory stops its runsv and forgets the slot', () => {
  const plan = planScan([slot('a', 10), slot('b', 11)], [dir('a', 10)]);
  assert.deepEqual(plan.stop, [{ id: identityOf(2049, 11), name: 'b' }]);
  assert.deepEqual(plan.start, []);
  assert.equal(plan.recheck, true);
});

test('a rename keeps the same (dev, ino): no restart, only the name changes', () => {
  const plan = planScan([slot('old', 10)], [dir('new', 10)]);
  assert.deepEqual(plan.start, []);
  assert.deepEqual(plan.stop, []);
  assert.deepEqual(plan.renamed, [{ id: identityOf(2049, 10), from: 'old', to: 'new' }]);
});

test('same name, new inode (directory replaced): old runsv stopped, new one started', () => {
  const plan = planScan([slot('a', 10)], [dir('a', 99)]);
  assert.deepEqual(plan.start, [{ id: identityOf(2049, 99), name: 'a', isNew: true }]);
  assert.deepEqual(plan.stop, [{ id: identityOf(2049, 10), name: 'a' }]);
});

test('same inode on another device is another service', () => {
  const plan = planScan([slot('a', 10, true, 1)], [dir('a', 10, 2)]);
  assert.equal(plan.start.length, 1);
  assert.equal(plan.stop.length, 1);
});

test('a dangling symlink is warned about on every scan, as runsvdir words it', () => {
  const listing: ListingEntry[] = [{ name: 'dangling', kind: 'error', code: 'ENOENT' }, dir('a', 10)];
  const first = planScan([], listing);
  const second = planScan([slot('a', 10)], listing);
  for (const plan of [first, second]) {
    assert.deepEqual(plan.warnings, [{ kind: 'stat', name: 'dangling', code: 'ENOENT' }]);
    assert.equal(warningText(plan.warnings[0]!, errstr), 'unable to stat dangling: file does not exist');
  }
  assert.deepEqual(second.start, []);
});

test('plain files are ignored silently', () => {
  const plan = planScan([], [{ name: 'README', kind: 'other' }]);
  assert.deepEqual(plan, { start: [], stop: [], renamed: [], warnings: [], recheck: false });
});

test('dot entries are ignored, even directories and stat failures', () => {
  const plan = planScan([], [dir('.hidden', 5), { name: '.forced-rescan', kind: 'other' }, { name: '.dangling', kind: 'error', code: 'ENOENT' }]);
  assert.deepEqual(plan, { start: [], stop: [], renamed: [], warnings: [], recheck: false });
});

test('a finished runsv (e.g. after sv exit) is started again at the next scan, same slot', () => {
  const plan = planScan([slot('a', 10, false), slot('b', 11, true)], [dir('a', 10), dir('b', 11)]);
  assert.deepEqual(plan.start, [{ id: identityOf(2049, 10), name: 'a', isNew: false }]);
  assert.deepEqual(plan.stop, []);
  assert.equal(plan.recheck, false);
});

test('a finished runsv whose directory was renamed restarts under the new name', () => {
  const plan = planScan([slot('a', 10, false)], [dir('z', 10)]);
  assert.deepEqual(plan.start, [{ id: identityOf(2049, 10), name: 'z', isNew: false }]);
  assert.deepEqual(plan.renamed, [{ id: identityOf(2049, 10), from: 'a', to: 'z' }]);
});

test('two names for one directory: the first in directory order owns it, started once', () => {
  const plan = planScan([], [dir('a', 10), dir('alias', 10)]);
  assert.deepEqual(plan.start, [{ id: identityOf(2049, 10), name: 'a', isNew: true }]);
});

test('at most 1000 services: the 1001st is refused with runsvdir\'s message', () => {
  const listing: ListingEntry[] = [];
  for (let i = 0; i < MAX_SERVICES + 2; i++) listing.push(dir(`s${i}`, 1000 + i));
  const plan = planScan([], listing);
  assert.equal(MAX_SERVICES, 1000);
  assert.equal(plan.start.length, 1000);
  assert.equal(plan.start.at(-1)?.name, 's999');
  assert.deepEqual(plan.warnings, [
    { kind: 'too-many', name: 's1000' },
    { kind: 'too-many', name: 's1001' },
  ]);
  assert.equal(warningText(plan.warnings[0]!, errstr), 'unable to start runsv s1000: too many services.');
});

test('removed slots still count against the limit until the scan ends (runsvdir forgets them last)', () => {
  const slots = [slot('old', 1)];
  const plan = planScan(slots, [dir('new1', 2), dir('new2', 3)], 2);
  assert.deepEqual(plan.start.map((s) => s.name), ['new1']);
  assert.deepEqual(plan.warnings, [{ kind: 'too-many', name: 'new2' }]);
  assert.deepEqual(plan.stop.map((s) => s.name), ['old']);
  // next scan: the freed slot is available
  const next = planScan([slot('new1', 2)], [dir('new1', 2), dir('new2', 3)], 2);
  assert.deepEqual(next.start.map((s) => s.name), ['new2']);
  assert.deepEqual(next.warnings, []);
});
