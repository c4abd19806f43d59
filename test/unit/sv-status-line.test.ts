// sv's status line from raw 20-byte records: every line observed from
// Debian's sv in reference spec 4.7 / 12, rebuilt byte by byte.
import test from 'node:test';
import assert from 'node:assert/strict';
import { formatStatusLine, runningCode, taiOfUnix } from '../../src/sv/status-line.ts';
import { jsonState } from '../../src/supervise/json-status.ts';
import { rawStatus, type RawStatus } from '../helpers/status-record.ts';

const T = 1795463038; // unix seconds of the real record in spec 12.1

type Rec = Partial<RawStatus>;

/** A supervise/status record laid out as runsv writes it (spec 2.3). */
function rec(r: Rec): Buffer {
  return rawStatus({ nsec: 123456500, ...r, sec: r.sec ?? T });
}

const at = (secsLater: number) => taiOfUnix(T + secsLater);

test('the real running record of spec 12.1 prints as Debian sv printed it', () => {
  const real = Buffer.from('400000006b0497880b7c0a649e32000000750001', 'hex');
  assert.equal(formatStatusLine('web', real, at(1), true), 'run: web: (pid 12958) 1s');
  assert.equal(runningCode(real), 1);
  const down = Buffer.from('400000006b04978918492' + '3e40000000000640000', 'hex');
  assert.equal(formatStatusLine('web', down, taiOfUnix(0x6b049789 - 10), true), 'down: web: 0s, normally up');
  assert.equal(runningCode(down), 2);
});

test('every observed status line of spec 4.7', () => {
  const cases: Array<[string, Rec, number, boolean, string]> = [
    ['/srv/ex/svc', { pid: 6537, state: 1 }, 2, true, 'run: /srv/ex/svc: (pid 6537) 2s'],
    ['log', { pid: 6536, state: 1 }, 2, true, 'run: log: (pid 6536) 2s'],
    ['/srv/ex/svc', { want: 'd' }, 1, true, 'down: /srv/ex/svc: 1s, normally up'],
    ['log', { pid: 6536, state: 1 }, 13, true, 'run: log: (pid 6536) 13s'],
    ['/srv/ex/s2', { want: 'd' }, 0, false, 'down: /srv/ex/s2: 0s'],
    ['/srv/ex/s2', { pid: 7136, state: 1, want: 'd' }, 1, false, 'run: /srv/ex/s2: (pid 7136) 1s, normally down, want down'],
    ['/srv/ex/s2', { pid: 7136, state: 1, paused: 1 }, 1, false, 'run: /srv/ex/s2: (pid 7136) 1s, normally down, paused'],
    ['/srv/ex/s2', { pid: 7136, state: 1, want: 'd', term: 1 }, 2, false, 'run: /srv/ex/s2: (pid 7136) 2s, normally down, want down, got TERM'],
    ['/srv/ex/s2', { pid: 7471, state: 2, want: 'd' }, 5, false, 'finish: /srv/ex/s2: (pid 7471) 5s, normally down, want down'],
    ['/srv/ex/s4', { want: 'u' }, 1, true, 'down: /srv/ex/s4: 1s, normally up, want up'],
    ['svc', { pid: 8652, state: 1 }, 1, true, 'run: svc: (pid 8652) 1s'],
    ['svc/log', { pid: 8653, state: 1 }, 1, true, 'run: svc/log: (pid 8653) 1s'],
    ['/srv/ex/svc', { pid: 6867, state: 1 }, 0, true, 'run: /srv/ex/svc: (pid 6867) 0s'],
    ['s3', { want: 'd' }, 1, false, 'down: s3: 1s'],
    ['/srv/ex/s2', { pid: 7634, state: 1, want: 'd', term: 1 }, 4, false, 'run: /srv/ex/s2: (pid 7634) 4s, normally down, want down, got TERM'],
    ['web', { pid: 12974, state: 1, want: 'd' }, 1, false, 'run: web: (pid 12974) 1s, normally down, want down'],
    ['web', { pid: 12974, state: 1, paused: 1 }, 1, false, 'run: web: (pid 12974) 1s, normally down, paused'],
  ];
  for (const [name, r, later, normallyUp, want] of cases) {
    assert.equal(formatStatusLine(name, rec(r), at(later), normallyUp), want);
  }
});

test('composed lines as sv status/-v print them', () => {
  const main = formatStatusLine('/srv/ex/svc', rec({ want: 'd' }), at(1), true);
  const log = formatStatusLine('log', rec({ pid: 6536, state: 1, sec: T - 12 }), at(1), true);
  assert.equal(`${main}; ${log}\n`, 'down: /srv/ex/svc: 1s, normally up; run: log: (pid 6536) 13s\n');
  assert.equal(`ok: ${formatStatusLine('s3', rec({ want: 'd' }), at(1), false)}\n`, 'ok: down: s3: 1s\n');
  assert.equal(
    `timeout: ${formatStatusLine('/srv/ex/s2', rec({ pid: 7634, state: 1, want: 'd', term: 1 }), at(2), false)}\n`,
    'timeout: run: /srv/ex/s2: (pid 7634) 2s, normally down, want down, got TERM\n',
  );
});

test('seconds clamp at 0 when the record is newer than now; odd state bytes print no word', () => {
  assert.equal(formatStatusLine('x', rec({ sec: T + 50 }), at(0), true), 'down: x: 0s, normally up, want up');
  assert.equal(formatStatusLine('x', rec({ pid: 9, state: 7 }), at(3), true), 'x: (pid 9) 3s');
  // pid 0 while state says run: no "(pid" suppression, flags follow the pid
  assert.equal(formatStatusLine('x', rec({ pid: 0, state: 1, paused: 1, term: 1 }), at(0), false), 'run: x: (pid 0) 0s, want up');
  // a zeroed record: the difference is computed exactly, like runit's unsigned arithmetic
  assert.equal(formatStatusLine('z', Buffer.alloc(20), 5n, true), 'down: z: 5s, normally up');
});

test('json state carries the same facts', () => {
  assert.deepEqual(jsonState(rec({ pid: 7136, state: 1, want: 'd', term: 1, paused: 1 }), at(2), false), {
    state: 'run', pid: 7136, seconds: 2, want: 'down', paused: true, normallyUp: false, termSent: true,
  });
  assert.deepEqual(jsonState(rec({ want: 'u' }), at(1), true), {
    state: 'down', pid: null, seconds: 1, want: 'up', paused: false, normallyUp: true, termSent: false,
  });
  assert.equal(jsonState(rec({ pid: 5, state: 2 }), at(0), true).state, 'finish');
});
