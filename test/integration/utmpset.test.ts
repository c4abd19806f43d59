// utmpset: upstream's utmpset.check, the utmp record layout, and the same
// logouts done by tsinit's and Debian's utmpset on crafted files bind-mounted
// over /var/run/utmp and /var/log/wtmp in a private mount namespace.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { DEAD_PROCESS, loggedOut, matches, UT, UTMP_SIZE, wtmpRecord } from '../../src/tools/utmp-record.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'utmpset-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Rec {
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  sec: number;
  usec: number;
}

function encode(r: Rec): Buffer {
  const b = Buffer.alloc(UTMP_SIZE);
  b.writeInt16LE(r.type, UT.type);
  b.writeInt32LE(r.pid, UT.pid);
  b.write(r.line, UT.line, 32, 'latin1');
  b.write(r.id, UT.id, 4, 'latin1');
  b.write(r.user, UT.user, 32, 'latin1');
  b.write(r.host, UT.host, 256, 'latin1');
  b.writeInt32LE(r.sec, UT.tvSec);
  b.writeInt32LE(r.usec, UT.tvUsec);
  return b;
}

const cstr = (b: Buffer, off: number, len: number): string => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z === -1 ? len : z).toString('latin1');
};

function decode(b: Buffer): Rec {
  return {
    type: b.readInt16LE(UT.type),
    pid: b.readInt32LE(UT.pid),
    line: cstr(b, UT.line, 32),
    id: cstr(b, UT.id, 4),
    user: cstr(b, UT.user, 32),
    host: cstr(b, UT.host, 256),
    sec: b.readInt32LE(UT.tvSec),
    usec: b.readInt32LE(UT.tvUsec),
  };
}

const long32 = 'abcdefghijklmnopqrstuvwxyz012345'; // fills ut_line: no NUL, C reads on into ut_id and ut_user
const records: Rec[] = [
  { type: 7, pid: 111, line: 'tty4', id: 'tty4', user: 'alice', host: 'h1', sec: 1000, usec: 777 },
  { type: 7, pid: 222, line: 'tty5', id: 'tty5', user: 'bob', host: 'host2', sec: 2000, usec: 999 },
  { type: 7, pid: 333, line: 'tty5', id: 't5b', user: 'carol', host: 'h3', sec: 3000, usec: 5 },
  { type: 8, pid: 444, line: 'tty6', id: 'tty6', user: '', host: '', sec: 4000, usec: 0 },
  { type: 7, pid: 555, line: long32, id: 'tty7', user: 'dave', host: 'h7', sec: 5000, usec: 1 },
];

test('utmp record: match needs a user and the exact line', () => {
  const r = encode(records[1] as Rec);
  assert.equal(matches(r, Buffer.from('tty5')), true);
  assert.equal(matches(r, Buffer.from('tty')), false);
  assert.equal(matches(encode(records[3] as Rec), Buffer.from('tty6')), false, 'no user: not logged in');
  assert.equal(matches(encode(records[4] as Rec), Buffer.from(`${long32}tty7dave`)), true, 'C string runs past ut_line');
  const out = decode(loggedOut(r, 1234));
  assert.deepEqual(out, { ...(records[1] as Rec), type: DEAD_PROCESS, user: '', host: '', sec: 1234 });
  const w = wtmpRecord(Buffer.from('tty5'), 99);
  assert.deepEqual(decode(w), { type: 8, pid: 0, line: 'tty5', id: '', user: '', host: '', sec: 99, usec: 0 });
  assert.equal(decode(wtmpRecord(Buffer.from('x'.repeat(33)), 1)).line, 'x'.repeat(30), 'over-long names keep 30 bytes');
});

test('utmpset.check: usage and -V, exit 1', () => {
  const check = 'utmpset 2>&1; echo $?; utmpset -V 2>&1; echo $?';
  const expected = 'usage: utmpset [-w] line\n\n1\n$Id: cb399098f794012a7f5e6a3a7090b2d53b86c08c $\nusage: utmpset [-w] line\n\n1\n';
  for (const dir of [toolBin(), path.dirname(debianRunit().utmpset)]) {
    assert.equal(execFileSync('sh', ['-c', check], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' }), expected);
  }
});

const scenario = `
exec 2>&1
r() { utmpset "$@"; echo "exit $?"; }
r -x
r tty5
r tty9
r tty6
r -w tty5
r -w tty5
r -w "${long32}tty7dave"
r tty4 extra
`;

interface Outcome {
  output: string;
  utmp: Rec[];
  wtmp: Rec[];
  before: number;
  after: number;
}

function runScenario(binDir: string, name: string): Outcome {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'utmp'), Buffer.concat(records.map(encode)));
  fs.writeFileSync(path.join(dir, 'wtmp'), '');
  const before = Math.floor(Date.now() / 1000);
  // /run gets a tmpfs (this host has no /var/run/utmp to bind over)
  const r = spawnSync(
    'unshare',
    [
      '--mount',
      'sh',
      '-c',
      `mount -t tmpfs tmpfs /run && touch /run/utmp && mount --bind ${dir}/utmp /var/run/utmp && mount --bind ${dir}/wtmp /var/log/wtmp && sh -c "$SCENARIO"`,
    ],
    { env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, SCENARIO: scenario }, encoding: 'utf8' },
  );
  const after = Math.ceil(Date.now() / 1000);
  assert.equal(r.status, 0, r.stderr);
  const split = (b: Buffer): Rec[] => Array.from({ length: b.length / UTMP_SIZE }, (_, i) => decode(b.subarray(i * UTMP_SIZE, (i + 1) * UTMP_SIZE)));
  return { output: r.stdout, utmp: split(fs.readFileSync(path.join(dir, 'utmp'))), wtmp: split(fs.readFileSync(path.join(dir, 'wtmp'))), before, after };
}

/** Times of records that were rewritten must be "now"; then blank them for comparison. */
function normalised(o: Outcome): { output: string; utmp: Rec[]; wtmp: Rec[] } {
  const fix = (r: Rec, original?: Rec): Rec => {
    if (original && r.sec === original.sec) return r;
    assert.ok(r.sec >= o.before && r.sec <= o.after, `time ${r.sec} not now`);
    return { ...r, sec: -1 };
  };
  return { output: o.output, utmp: o.utmp.map((r, i) => fix(r, records[i])), wtmp: o.wtmp.map((r) => fix(r)) };
}

test('logouts, messages and files equal Debian utmpset', () => {
  const ours = normalised(runScenario(toolBin(), 'tsinit'));
  const theirs = normalised(runScenario(path.dirname(debianRunit().utmpset), 'debian'));
  assert.deepEqual(ours, theirs);

  assert.equal(
    ours.output,
    [
      'utmpset: illegal option -- x',
      'usage: utmpset [-w] line',
      '',
      'exit 1',
      'exit 0',
      'utmpset: warning: unable to logout line tty9 in utmp: no such entry',
      'exit 111',
      'utmpset: warning: unable to logout line tty6 in utmp: no such entry',
      'exit 111',
      'exit 0',
      'utmpset: warning: unable to logout line tty5 in utmp: no such entry',
      'exit 111',
      'exit 0',
      'exit 0',
      '',
    ].join('\n'),
  );
  // tty5's two sessions were logged out: DEAD_PROCESS, user and host cleared, pid/id/usec kept
  assert.deepEqual(ours.utmp[1], { ...(records[1] as Rec), type: DEAD_PROCESS, user: '', host: '', sec: -1 });
  assert.deepEqual(ours.utmp[2], { ...(records[2] as Rec), type: DEAD_PROCESS, user: '', host: '', sec: -1 });
  // extra arguments are ignored: `utmpset tty4 extra` logs out tty4
  assert.deepEqual(ours.utmp[0], { ...(records[0] as Rec), type: DEAD_PROCESS, user: '', host: '', sec: -1 });
  assert.deepEqual(ours.utmp[3], records[3], 'a record without user is never touched');
  // -w appended a record only when the utmp logout worked
  assert.deepEqual(
    ours.wtmp.map((r) => [r.type, r.line, r.user]),
    [
      [8, 'tty5', ''],
      [8, long32.slice(0, 30), ''],
    ],
  );
});

test('no utmp file: fatal, exit 111', () => {
  const r = spawnSync('unshare', ['--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /run && exec utmpset tty1'], {
    env: { ...process.env, PATH: `${toolBin()}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  assert.equal(r.stderr, 'utmpset: fatal: unable to open /var/run/utmp: file does not exist\n');
  assert.equal(r.status, 111);
});

test('-w creates a missing wtmp (mode 0600 under umask 022), as Debian does', () => {
  const modes: string[] = [];
  for (const dir of [toolBin(), path.dirname(debianRunit().utmpset)]) {
    const d = fs.mkdtempSync(path.join(tmp, 'mk-'));
    fs.writeFileSync(path.join(d, 'utmp'), encode(records[1] as Rec));
    const r = spawnSync(
      'unshare',
      ['--mount', 'sh', '-c', `mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log && touch /run/utmp && mount --bind ${d}/utmp /var/run/utmp && umask 022 && utmpset -w tty5 && stat -c '%a %s' /var/log/wtmp`],
      { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    modes.push(r.stdout);
  }
  assert.deepEqual(modes, ['600 384\n', '600 384\n']);
});

test('utmpset waits for the lock on utmp', () => {
  const d = fs.mkdtempSync(path.join(tmp, 'lock-'));
  fs.writeFileSync(path.join(d, 'utmp'), encode(records[1] as Rec));
  // flock holds utmp for 0.5 s; utmpset must not log out before it is released
  const script = `mount -t tmpfs tmpfs /run && touch /run/utmp && mount --bind ${d}/utmp /var/run/utmp &&
    flock /var/run/utmp sh -c 'touch ${d}/held; sleep 0.5; echo released' &
    while [ ! -e ${d}/held ]; do sleep 0.01; done
    utmpset tty5 && echo done; wait`;
  const r = spawnSync('unshare', ['--mount', 'sh', '-c', script], {
    env: { ...process.env, PATH: `${toolBin()}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  assert.equal(r.stdout, 'released\ndone\n', r.stderr);
  assert.equal(decode(fs.readFileSync(path.join(d, 'utmp'))).type, DEAD_PROCESS);
});
