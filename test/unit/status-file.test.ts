import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeStatus, encodeStatus, statLine, pidFileText } from '../../src/supervise/status-file.ts';

// Bytes written by Debian's runsv (reference spec 12.1).
const runningHex = '400000006b0497880b7c0a649e32000000750001';

test('encodes a running service exactly as Debian runsv did', () => {
  const sec = Number(0x6b049788n) - 10 + 0; // 2^62 is bit 62 of the first byte (0x40)
  const b = encodeStatus({
    since: { sec, usec: (0x0b7c0a64 - 500) / 1000 },
    pid: 12958,
    paused: false,
    want: 'up',
    termSent: false,
    state: 'run',
  });
  assert.equal(b.toString('hex'), runningHex);
});

test('decodes the real record field by field', () => {
  const d = decodeStatus(Buffer.from(runningHex, 'hex'));
  assert.equal(d.sec, 1795463038);
  assert.equal(d.nsec, 192678500);
  assert.equal(d.pid, 12958);
  assert.equal(d.paused, false);
  assert.equal(d.want, 'u');
  assert.equal(d.termSent, false);
  assert.equal(d.stateCode, 1);
});

test('want exit is stored as d, term flag and finish state', () => {
  const b = encodeStatus({ since: { sec: 1, usec: 0 }, pid: 7, paused: true, want: 'exit', termSent: true, state: 'finish' });
  assert.equal(b.subarray(12).toString('hex'), '07000000' + '01' + '64' + '01' + '02');
});

test('stat line grammar matches runsv', () => {
  const base = { since: { sec: 0, usec: 0 }, pid: 1, paused: false, termSent: false } as const;
  assert.equal(statLine({ ...base, want: 'up', state: 'down' }), 'down\n');
  assert.equal(statLine({ ...base, want: 'down', state: 'down' }), 'down\n');
  assert.equal(statLine({ ...base, want: 'down', state: 'run' }), 'run, want down\n');
  assert.equal(statLine({ ...base, want: 'exit', state: 'run', termSent: true }), 'run, got TERM, want exit\n');
  assert.equal(statLine({ ...base, want: 'down', state: 'run', paused: true }), 'run, paused, want down\n');
  assert.equal(statLine({ ...base, want: 'down', state: 'finish' }), 'finish, want down\n');
  assert.equal(pidFileText(0), '');
  assert.equal(pidFileText(42), '42\n');
});
