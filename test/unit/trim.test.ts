import test from 'node:test';
import assert from 'node:assert/strict';
import { cleanFileMappings } from '../../src/process/trim.ts';

const smaps = `00400000-00600000 r--p 00000000 fd:01 1234     /sbin/tsinit
Size:               2048 kB
Anonymous:             0 kB
00600000-02600000 r-xp 00200000 fd:01 1234     /sbin/tsinit
Size:              32768 kB
Anonymous:             0 kB
02600000-02700000 r--p 02200000 fd:01 1234     /sbin/tsinit
Size:               1024 kB
Anonymous:           800 kB
02700000-02800000 rw-p 02300000 fd:01 1234     /sbin/tsinit
Anonymous:           100 kB
02800000-02900000 rw-p 00000000 00:00 0
Anonymous:          1024 kB
7f0000000000-7f0000100000 r-xp 00000000 00:00 0
Anonymous:          1024 kB
7f1000000000-7f1000200000 r-xp 00000000 fd:01 99       /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0                          [vdso]
Anonymous:             0 kB
`;

test('only read-only file mappings without copy-on-write pages are trimmed', () => {
  const m = cleanFileMappings(smaps);
  assert.deepEqual(
    m.map((x) => [x.start.toString(16), x.end.toString(16), x.file]),
    [
      ['400000', '600000', '/sbin/tsinit'],
      ['600000', '2600000', '/sbin/tsinit'],
      ['7f1000000000', '7f1000200000', '/usr/lib/x86_64-linux-gnu/libc.so.6'],
    ],
  );
});
