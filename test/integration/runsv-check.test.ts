// The upstream runit 2.1.2 check for runsv (src/runsv.check, expected output
// src/runsv.dist, reference spec 10), replayed as its shell steps against
// tsinit's runsv, and against Debian's runsv to prove the replay itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../helpers/debian.ts';

const dist = [
  'usage: runsv dir', '', '1', 'starting', 'run', 'term', 'starting',
  'term', '0', '0', 'starting', 'no interrupt', 'term', '0',
  'starting', 'term',
];

// The check's steps: usage; a service printing "starting"; control/t
// printing "term" (exit 1, so runsv still sends TERM); t then x; a log
// catching ./run's and control/i's output; supervise dirs as symlinks.
// The first wait is 2 s (not 1): ./run must have lived 1 s when t arrives,
// else runit's restart pause applies and x is read before the restart. With
// 1 s the check depends on runsv's start-up latency (~2 ms for Debian's,
// ~100 ms for the Node executable) and would test that instead.
const script = `
rm -rf "$ctmp"
runsv
echo $?
mkdir "$ctmp"
printf '#!/bin/sh\\necho starting\\nexec sleep 14\\n' >"$ctmp"/run
chmod 700 "$ctmp"/run
mkdir "$ctmp"/control
printf '#!/bin/sh\\necho term\\nexit 1\\n' >"$ctmp"/control/t
chmod 700 "$ctmp"/control/t
runsv "$ctmp" &
sleep 2
cat "$ctmp"/supervise/stat
echo t >"$ctmp"/supervise/control
sleep 1
echo x >"$ctmp"/supervise/control
wait
echo $?
mkdir "$ctmp"/log
printf '#!/bin/sh\\nexec cat >foo\\n' >"$ctmp"/log/run
chmod 700 "$ctmp"/log/run
printf '#!/bin/sh\\necho no interrupt\\nexit 0\\n' >"$ctmp"/control/i
chmod 700 "$ctmp"/control/i
runsv "$ctmp" &
sleep 1
echo i >"$ctmp"/supervise/control
sleep 1
echo x >"$ctmp"/supervise/control
wait
echo $?
cat "$ctmp"/log/foo
rm -rf "$ctmp"/supervise "$ctmp"/log/supervise "$ctmp"/log/foo
ln -s foo "$ctmp"/supervise
ln -s bar "$ctmp"/log/supervise
runsv "$ctmp" &
sleep 1
echo x >"$ctmp"/foo/control
wait
echo $?
cat "$ctmp"/log/foo
rm -rf "$ctmp"
`;

function replay(binDir: string): string[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runsv-check-'));
  try {
    const out = execFileSync('sh', ['-c', `(${script}) 2>&1 | cat -v`], {
      env: { PATH: `${binDir}:/usr/bin:/bin`, ctmp: path.join(tmp, 'check-tmp') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return out.replace(/\n$/, '').split('\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test("the replay matches runsv.dist with Debian's runsv", () => {
  assert.deepEqual(replay(debianRunit().bin), dist);
});

test("tsinit's runsv passes runit's runsv.check", () => {
  assert.deepEqual(replay(path.dirname(tool('runsv'))), dist);
});
