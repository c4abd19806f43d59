// The same input and config through Debian's svlogd and through tsinit's:
// the same files (names in order, modes, contents) and the same stderr, with
// timestamps normalised.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { normalise, snapshot } from '../helpers/svlogd-files.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const debian = debianRunit().svlogd;
const ours = tool('svlogd');

interface Setup {
  args: string[];
  /** log directories (relative), each with optional config and files */
  dirs: Record<string, { config?: string; files?: Record<string, { data: string; mode: number }> }>;
  input: string | Buffer;
}

interface Result {
  status: number | null;
  stderr: string;
  files: Record<string, string>;
}


function runOne(bin: string, s: Setup): Result {
  const root = fs.mkdtempSync('/tmp/svlogd-interop-');
  roots.push(root);
  for (const [d, spec] of Object.entries(s.dirs)) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
    if (spec.config !== undefined) fs.writeFileSync(path.join(root, d, 'config'), spec.config);
    for (const [f, { data, mode }] of Object.entries(spec.files ?? {})) {
      fs.writeFileSync(path.join(root, d, f), data);
      fs.chmodSync(path.join(root, d, f), mode);
    }
  }
  const r = spawnSync(bin, s.args, { cwd: root, input: s.input, encoding: 'latin1', timeout: 60_000 });
  return { status: r.status, stderr: normalise(r.stderr), files: snapshot(root, Object.keys(s.dirs), { skipMissing: true }) };
}

// runit prints "sigchild received." when a SIGCHLD reaches it while it waits
// for input; when a processor ends during a rotation or at exit, it was reaped
// with the signal blocked. That timing differs between two runs of the same
// binary, so processor tests compare stderr without those lines.
const withoutSigchld = (t: string): string => t.replace(/^svlogd: info: sigchild received\.\n/gm, '');

function same(s: Setup, check?: (r: Result) => void, filter: (t: string) => string = (t) => t): Result {
  const a = runOne(debian, s);
  const b = runOne(ours, s);
  assert.equal(b.status, a.status, 'exit code');
  assert.deepEqual(b.files, a.files);
  assert.equal(filter(b.stderr), filter(a.stderr));
  check?.(a);
  return b;
}

const lines = (n: number, width: number, tag = 'line'): string =>
  Array.from({ length: n }, (_, i) => `${tag} ${String(i).padStart(4, '0')} `.padEnd(width - 1, 'x') + '\n').join('');

test('plain: unterminated last line dropped, modes after a clean exit', () => {
  same({ args: ['-v', 'L'], dirs: { L: {} }, input: 'hello world\nsecond line\nno newline at end' }, (r) => {
    assert.equal(r.files['L/current'], '744 hello world\nsecond line\n');
    assert.match(r.files['L/lock'] as string, /^600 /);
  });
});

test('timestamps -t, -tt, -ttt', () => {
  for (const t of ['-t', '-tt', '-ttt']) {
    same({ args: [t, 'L'], dirs: { L: {} }, input: 'hello world\nsecond line\n\n' }, (r) => {
      assert.match(r.files['L/current'] as string, t === '-t' ? /@TAI hello world/ : /DATE[_T]TIME hello world/);
    });
  }
});

test('-r/-R replacement, only within the first len bytes; long lines kept whole', () => {
  same({ args: ['-r:', '-R', 'fb', 'L'], dirs: { L: {} }, input: 'foo\nbar\nbaz\n' });
  same({ args: ['-R', 'x', '-l', '10', 'L'], dirs: { L: {} }, input: 'a\tb\x01c\xe9dxyzxyzxyz\tq\n0123456789\n\n' });
  same({ args: ['-l', '10', '-b', '11', 'L'], dirs: { L: {} }, input: `${'y'.repeat(50)}\nshort\n${'z'.repeat(30)}` });
});

test('config s200 n3: 40 lines of 61 bytes with -l 50 -b 100 (spec 12.5)', () => {
  same({ args: ['-v', '-l', '50', '-b', '100', 'L'], dirs: { L: { config: 's200\nn3\n' } }, input: lines(40, 61) }, (r) => {
    const rotated = Object.keys(r.files).filter((k) => k.includes('/@'));
    assert.equal(rotated.length, 3);
    assert.equal((r.files['L/current'] as string).length, 4 + 61);
  });
});

test('config s100: lines split across files; s with k suffix; s0', () => {
  same({ args: ['-v', 'L'], dirs: { L: { config: 's100\nn0\n' } }, input: lines(12, 61) });
  same({ args: ['-tt', 'L'], dirs: { L: { config: 's1k\nn2\n' } }, input: lines(100, 40) });
  same({ args: ['L'], dirs: { L: { config: 's0\n' } }, input: lines(100, 40) });
});

test('patterns + - e E with stderr copies, prefix', () => {
  const config = 'pPFX: \n-*\n+*: *: pid *\n-*pid*\ne*warn*\nE*warn* quiet*\n';
  const input = [
    'tcpsvd: info: pid 1977 from 10.4.1.14',
    'tcpsvd: info: pid 1978 from 10.4.1.15',
    'something else',
    'a warning',
    'a warning quiet please',
    'warn',
    `warn ${'w'.repeat(60)}`,
  ].join('\n') + '\n';
  same({ args: ['-tt', '-l', '40', 'L'], dirs: { L: { config } }, input }, (r) => {
    assert.match(r.stderr, /PFX: a warning\n/);
    assert.match(r.stderr, /\.\.\.\n/);
  });
});

test('processor: !tr a-z A-Z, state and newstate, .s files', () => {
  const config = 's200\nn5\n!tr a-z A-Z; cat <&4 >&5; echo done >&5\n';
  same({ args: ['-v', 'L'], dirs: { L: { config } }, input: lines(12, 61) }, (r) => {
    const s = Object.entries(r.files).filter(([k]) => k.endsWith('.s'));
    assert.ok(s.length >= 3);
    assert.match(s[0]?.[1] as string, /^744 LINE 0000 X+\n/);
    assert.match(r.files['L/state'] as string, /done\ndone\n/);
  }, withoutSigchld);
});

test('crash recovery: current without the x bit becomes @….u; a clean one is appended to', () => {
  same({ args: ['-v', 'L', 'M'], dirs: { L: { files: { current: { data: 'before crash\n', mode: 0o644 } } }, M: { files: { current: { data: 'clean\n', mode: 0o744 } } } }, input: 'after\n' }, (r) => {
    assert.equal(r.files['L/@0.u'], '644 before crash\n');
    assert.equal(r.files['M/current'], '744 clean\nafter\n');
  });
});

test('multiple directories with their own configs; a missing one is skipped', () => {
  same({
    args: ['-v', 'A', 'B', 'missing'],
    dirs: { A: { config: '-*odd*\n' }, B: { config: 's150\n+*odd*\n-*even*\n' } },
    input: Array.from({ length: 20 }, (_, i) => `line ${i} ${i % 2 ? 'odd' : 'even'}\n`).join(''),
  });
  same({ args: ['missing1', 'missing2'], dirs: {}, input: 'x\n' });
});

test('usage and -V', () => {
  const a = spawnSync('sh', ['-c', 'svlogd; echo $?; svlogd -V; echo $?; svlogd -l 5 -b 5 d; echo $?; svlogd -x d; echo $?'], { encoding: 'utf8', env: { PATH: `${path.dirname(debian)}:/usr/bin:/bin` } });
  const b = spawnSync('sh', ['-c', 'svlogd; echo $?; svlogd -V; echo $?; svlogd -l 5 -b 5 d; echo $?; svlogd -x d; echo $?'], { encoding: 'utf8', env: { PATH: `${path.dirname(ours)}:/usr/bin:/bin` } });
  assert.equal(b.stdout, a.stdout);
  assert.equal(b.stderr, a.stderr);
});

test('processor failing once: warning, restart, then .s', () => {
  const config = 's100\n!if [ -e failed-once ]; then tr a-z A-Z; else touch failed-once; exit 1; fi\n';
  same({ args: ['L'], dirs: { L: { config } }, input: lines(3, 61) }, (r) => {
    assert.match(r.stderr, /^svlogd: warning: processor failed, restart: L$/m);
    assert.ok(Object.entries(r.files).some(([k, v]) => k.endsWith('.s') && /LINE 0000/.test(v)));
  }, withoutSigchld);
});

test('u and U: datagrams with stamp, prefix and "..." for long lines', async () => {
  const dgram = await import('node:dgram');
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  let got: string[] = [];
  sock.on('message', (m) => got.push(normalise(m.toString('latin1'))));
  const input = `short line\n${'long '.repeat(10)}\nlast\n`;
  const received: string[][] = [];
  try {
    for (const bin of [debian, ours]) {
      for (const cfg of [`u127.0.0.1:${port}\npPFX \n`, `U127.0.0.1:${port}\n`]) {
        got = [];
        const r = runOne(bin, { args: ['-tt', '-l', '20', 'L'], dirs: { L: { config: cfg } }, input });
        await new Promise((res) => setTimeout(res, 200));
        // and one turn through the poll phase: a process that slept past the
        // timer runs the timer first, before the datagrams waiting in the socket
        await new Promise((res) => setImmediate(res));
        received.push([...got.sort(), `files: ${JSON.stringify(r.files)}`]);
      }
    }
  } finally {
    sock.close();
  }
  assert.deepEqual(received[2], received[0]);
  assert.deepEqual(received[3], received[1]);
  assert.ok(received[0]?.includes('DATE_TIME PFX long long long long ...\n'), JSON.stringify(received[0]));
  assert.match(received[1]?.at(-1) as string, /"L\/current":"744 "/, 'U: nothing in current');
});

test('edge cases: tiny -l/-b, empty input, blank lines, a file as directory, pruning one per rotation', () => {
  // (no stamps: a stamp split across two files would escape the normaliser)
  same({ args: ['L'], dirs: { L: { config: 's40\npP> \n' } }, input: lines(5, 61) });
  same({ args: ['-l', '1', '-b', '2', '-v', 'L'], dirs: { L: {} }, input: 'abc\n\nd\n' });
  same({ args: ['-v', 'L'], dirs: { L: {} }, input: '' });
  same({ args: ['-t', 'L'], dirs: { L: {} }, input: '\n\n\n' });
  same({ args: ['-v', 'L', 'F/plain'], dirs: { L: {}, F: { files: { plain: { data: '', mode: 0o644 } } } }, input: 'x\n' }, (r) => {
    assert.match(r.stderr, /unable to change directory: F\/plain: not a directory/);
  });
  const old: Record<string, { data: string; mode: number }> = {};
  for (let i = 0; i < 5; i++) old[`@40000000600000000000000${i}.s`] = { data: `old ${i}\n`, mode: 0o744 };
  old['@400000006000000000000009.t'] = { data: 'leftover\n', mode: 0o644 };
  same({ args: ['-v', 'L'], dirs: { L: { config: 'n2\ns100\n', files: old } }, input: lines(4, 61) });
});
