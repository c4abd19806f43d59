// svlogd's pure parts: options, config, patterns, timestamps.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, usageText, VERSION_ID } from '../../src/svlogd/options.ts';
import { defaultConfig, parseConfig } from '../../src/svlogd/config.ts';
import { pmatch } from '../../src/svlogd/pattern.ts';
import { formatStamp, StampWriter } from '../../src/svlogd/timestamp.ts';

const USAGE = 'usage: svlogd [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n';

test('options: usage text, -V, illegal options, missing arguments', () => {
  assert.equal(usageText('svlogd'), USAGE);
  assert.deepEqual(parseOptions('svlogd', []), { ok: false, stderr: USAGE });
  assert.deepEqual(parseOptions('svlogd', ['-V', 'd']), { ok: false, stderr: `${VERSION_ID}\n${USAGE}` });
  assert.deepEqual(parseOptions('/usr/bin/svlogd', ['-x', 'd']), {
    ok: false,
    stderr: `svlogd: illegal option -- x\nusage: /usr/bin/svlogd [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n`,
  });
  assert.deepEqual(parseOptions('svlogd', ['-l']), { ok: false, stderr: `svlogd: option requires an argument -- l\n${USAGE}` });
  assert.equal(parseOptions('svlogd', ['-r', 'ab', 'd']).ok, false);
  assert.equal(parseOptions('svlogd', ['-r', '', 'd']).ok, false);
  assert.equal(parseOptions('svlogd', ['-l', '2000', 'd']).ok, false, 'buflen must exceed len');
  assert.equal(parseOptions('svlogd', ['-l', '1024', 'd']).ok, false);
});

test('options: values and defaults as runit scans them', () => {
  const r = parseOptions('svlogd', ['-tttt', '-vv', '-R', 'fb', '-l0', '-b', '0', 'a', 'b']);
  assert.ok(r.ok);
  assert.equal(r.options.timestamp, 3);
  assert.equal(r.options.verbose, 2);
  assert.equal(r.options.repl, 95, '-R alone implies -r _');
  assert.equal(r.options.replace.toString(), 'fb');
  assert.equal(r.options.linemax, 1000);
  assert.equal(r.options.buflen, 1024);
  assert.deepEqual(r.options.dirs, ['a', 'b']);
  const s = parseOptions('svlogd', ['-r:', '-R', 'fb', '-l', '50x', '-b100', '--', '-d']);
  assert.ok(s.ok);
  assert.equal(s.options.repl, 58);
  assert.equal(s.options.linemax, 50);
  assert.equal(s.options.buflen, 100);
  assert.deepEqual(s.options.dirs, ['-d']);
  const t = parseOptions('svlogd', ['-R', 'x', '-r', '#', 'd']);
  assert.ok(t.ok);
  assert.equal(t.options.repl, 35);
});

test('config: defaults and every line type', () => {
  const d = defaultConfig();
  assert.equal(d.sizemax, 1000000);
  assert.equal(d.nmax, 10);
  assert.equal(d.nmin, 10);
  assert.equal(d.tmax, 0);
  const c = parseConfig(
    Buffer.from('# comment\n\ns200k\nn3\nN2\nt2m\n!tr a-z A-Z\nu10.0.0.1:5140\npPFX: \n+*foo*\n-bar\ne*\nE*x\nzunknown\n'),
  );
  assert.equal(c.sizemax, 200 * 1024);
  assert.equal(c.nmax, 3);
  assert.equal(c.nmin, 2);
  assert.equal(c.tmax, 120);
  assert.equal(c.processor, 'tr a-z A-Z');
  assert.equal(c.udpAddr, '10.0.0.1');
  assert.equal(c.udpPort, 5140);
  assert.equal(c.udpOnly, false);
  assert.equal(c.prefix.toString(), 'PFX: ');
  assert.deepEqual(
    c.rules.map((r) => `${r.kind}${r.pattern.toString()}`),
    ['+*foo*', '-bar', 'e*', 'E*x'],
  );
  assert.deepEqual(c.warnings, []);
  assert.equal(parseConfig(Buffer.from('s1m')).sizemax, 1048576);
  assert.equal(parseConfig(Buffer.from('t1h\n')).tmax, 3600);
  assert.equal(parseConfig(Buffer.from('sabc\n')).sizemax, 0, 'garbage scans as 0');
  assert.equal(parseConfig(Buffer.from('s100\n+')).rules.length, 0, 'a last 1-byte line without newline is skipped');
  assert.equal(parseConfig(Buffer.from('!\np\n')).processor, '', '! and p need a value');
});

test('config: UDP lines and their warnings', () => {
  const u = parseConfig(Buffer.from('U1.2.3.4\n'));
  assert.equal(u.udpOnly, true);
  assert.equal(u.udpPort, 514);
  const bad = parseConfig(Buffer.from('Ufoo\nu1.2.3.4:x\n'));
  assert.deepEqual(bad.warnings, ['unable to scan ip address: foo', 'unable to scan port number: x']);
  assert.equal(bad.udpOnly, true, 'runit sets udponly before scanning');
  assert.equal(bad.udpPort, 0);
  assert.equal(parseConfig(Buffer.from('u1.2.3.4:65536\n')).udpPort, 0, 'htons keeps 16 bits');
});

const pm = (p: string, s: string): boolean => pmatch(Buffer.from(p), Buffer.from(s), 0, Buffer.byteLength(s));

test('patterns: the man page example', () => {
  const msg = 'tcpsvd: info: pid 1977 from 10.4.1.14';
  assert.equal(pm('*pid*', msg), false);
  assert.equal(pm('*: *: pid *', msg), true);
});

test('patterns: plain, star, plus, whole-line rule', () => {
  assert.equal(pm('abc', 'abc'), true);
  assert.equal(pm('abc', 'abcd'), false);
  assert.equal(pm('abcd', 'abc'), false);
  assert.equal(pm('*', ''), true);
  assert.equal(pm('*', 'anything'), true);
  assert.equal(pm('', ''), true);
  assert.equal(pm('', 'x'), false);
  assert.equal(pm('a*c', 'abbbc'), true);
  assert.equal(pm('a*c', 'abcbc'), false, 'no backtracking: the first c ends the star');
  assert.equal(pm('a*c*', 'abcbc'), true);
  assert.equal(pm('+ab', 'aaab'), true);
  assert.equal(pm('+ab', 'b'), false);
  assert.equal(pm('x+a', 'xaaa'), true);
  assert.equal(pm('+ab', 'aaa'), true, 'runit: the message ending inside a + run matches');
  assert.equal(pm('*x', 'abc'), false);
});

test('timestamps: TAI64N label, -tt, -ttt, 5 truncated digits', () => {
  // 2026-11-23 19:39:02.912299 UTC
  const sec = Date.UTC(2026, 10, 23, 19, 39, 2) / 1000;
  const us = sec * 1e6 + 912299;
  assert.equal(formatStamp(2, us), '2026-11-23_19:39:02.91229');
  assert.equal(formatStamp(3, us), '2026-11-23T19:39:02.91229');
  const label = formatStamp(1, us);
  assert.equal(label.length, 25);
  assert.equal(label, `@${(4611686018427387914n + BigInt(sec)).toString(16).padStart(16, '0')}${(912299 * 1000 + 500).toString(16).padStart(8, '0')}`);
  assert.equal(formatStamp(2, sec * 1e6 + 999999), '2026-11-23_19:39:02.99999', 'truncated, not rounded');
  for (const mode of [1, 2, 3] as const) {
    const w = new StampWriter(mode);
    for (const t of [us, us + 1, us + 1_000_000, us + 87_654_321]) {
      assert.equal(w.set(t).toString('latin1'), `${formatStamp(mode, t)} `);
    }
  }
});
