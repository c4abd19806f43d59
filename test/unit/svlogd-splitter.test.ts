// Bytes -> lines: the len rule, -r/-R replacement on the first len bytes only,
// chunk boundaries, and EOF.
import test from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, type LineSink } from '../../src/svlogd/line-splitter.ts';

interface Ev {
  msg: string;
  long: boolean;
  stamp: number;
  rest: string;
  ended: boolean;
}

function run(chunks: string[], opts: { linemax?: number; repl?: string; replace?: string } = {}, eof = true): Ev[] {
  const evs: Ev[] = [];
  let t = 0;
  const sink: LineSink = {
    line: (b, s, n, stamp, long) => {
      evs.push({ msg: b.toString('latin1', s, s + n), long, stamp, rest: '', ended: !long });
    },
    rest: (b, s, e) => {
      (evs.at(-1) as Ev).rest += b.toString('latin1', s, e);
    },
    end: () => {
      (evs.at(-1) as Ev).ended = true;
    },
  };
  const sp = new LineSplitter(
    {
      linemax: opts.linemax ?? 1000,
      repl: opts.repl ? opts.repl.charCodeAt(0) : 0,
      replace: Buffer.from(opts.replace ?? ''),
      stamp: true,
      clock: () => ++t,
    },
    sink,
  );
  for (const c of chunks) sp.feed(Buffer.from(c, 'latin1'));
  if (eof) sp.finish();
  return evs;
}

test('splits lines, drops an unterminated short last line at EOF', () => {
  const evs = run(['hello world\nsecond', ' line\nno newline at end']);
  assert.deepEqual(
    evs.map((e) => e.msg),
    ['hello world', 'second line'],
  );
  assert.ok(evs.every((e) => e.ended && !e.long));
});

test('the stamp is taken at the first byte of each line, even across chunks', () => {
  const evs = run(['a', 'b\nc\n', '\n']);
  assert.deepEqual(
    evs.map((e) => [e.msg, e.stamp]),
    [
      ['ab', 1],
      ['c', 2],
      ['', 3],
    ],
  );
});

test('lines of len bytes or more: message cut at len, rest verbatim, newline kept', () => {
  const evs = run(['0123456789ab\n', '0123456789\n', '012345678\n'], { linemax: 10 });
  assert.deepEqual(evs, [
    { msg: '0123456789', long: true, stamp: 1, rest: 'ab', ended: true },
    { msg: '0123456789', long: true, stamp: 2, rest: '', ended: true },
    { msg: '012345678', long: false, stamp: 3, rest: '', ended: true },
  ]);
});

test('a long line split over many chunks', () => {
  const evs = run(['01234', '56789x', 'yz', 'w\nnext\n'], { linemax: 10 });
  assert.deepEqual(evs, [
    { msg: '0123456789', long: true, stamp: 1, rest: 'xyzw', ended: true },
    { msg: 'next', long: false, stamp: 2, rest: '', ended: true },
  ]);
});

test('an unterminated long line at EOF is ended (runit writes its newline)', () => {
  const evs = run(['0123456789abc'], { linemax: 10 });
  assert.deepEqual(evs, [{ msg: '0123456789', long: true, stamp: 1, rest: 'abc', ended: true }]);
});

test('replacement: control and 8-bit bytes, the -R set, only within len', () => {
  const evs = run(['foo\tbar\xe9\n', 'foo/bar/baz\n', 'aaaaaaaaaaaafff\n'], { linemax: 10, repl: ':', replace: 'fb' });
  assert.deepEqual(
    evs.map((e) => [e.msg, e.rest]),
    [
      [':oo::ar:', ''],
      [':oo/:ar/:a', 'z'],
      ['aaaaaaaaaa', 'aafff'],
    ],
  );
});

test('complete reflects whether a line is in progress', () => {
  const sink: LineSink = { line: () => {}, rest: () => {}, end: () => {} };
  const sp = new LineSplitter({ linemax: 5, repl: 0, replace: Buffer.alloc(0), stamp: false, clock: () => 0 }, sink);
  assert.equal(sp.complete, true);
  sp.feed(Buffer.from('ab'));
  assert.equal(sp.complete, false);
  sp.feed(Buffer.from('\n'));
  assert.equal(sp.complete, true);
  sp.feed(Buffer.from('abcdefg'));
  assert.equal(sp.complete, false);
});
