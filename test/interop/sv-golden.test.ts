// runit 2.1.2's own sv.check (reference spec 10), replayed the way
// src/check-local runs it: `env - PATH=... ctmp=... ./sv.check 2>&1 | cat -v`,
// compared line by line with sv.dist. Run with Debian's sv (to prove the
// harness), with tsinit's sv, and with tsinit's sv under tsinit's runsv.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debianRunit } from '../../testkit/debian.ts';
import { tool } from '../helpers/tsinit.ts';

const svCheck = `#!/bin/sh
rm -rf "\${ctmp}"

sv
echo $?
sv -V
echo $?

mkdir "\${ctmp}"
cat >"\${ctmp}"/run <<-\\EOT
	#!/bin/sh
	echo starting
	exec sleep 14
	EOT
chmod 700 "\${ctmp}"/run
runsv "\${ctmp}" &
sleep 1
test -r "\${ctmp}"/supervise/stat || sleep 2
sv down "\${ctmp}"
echo $?
sleep 1
cat "\${ctmp}"/supervise/stat
sv exit "\${ctmp}"
echo $?
wait
echo $?
rm -rf "\${ctmp}"
`;

const svDist = [
  'usage: sv [-v] [-w sec] command service ...',
  '',
  '100',
  '$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $',
  'usage: sv [-v] [-w sec] command service ...',
  '',
  '100',
  'starting',
  '0',
  'down',
  '0',
  '0',
];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-golden-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function replay(label: string, sv: string, runsv: string): string[] {
  const dir = path.join(root, label);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(sv, path.join(bin, 'sv'));
  fs.symlinkSync(runsv, path.join(bin, 'runsv'));
  fs.writeFileSync(path.join(dir, 'sv.check'), svCheck, { mode: 0o755 });
  const outText = execFileSync(
    'sh',
    ['-c', 'env - PATH="$1:$PATH" ctmp="$2" ./sv.check 2>&1 | cat -v', 'check-local', bin, path.join(dir, 'check-tmp')],
    { cwd: dir, encoding: 'utf8', timeout: 60_000 },
  );
  return outText.split('\n').slice(0, -1);
}

const deb = debianRunit();

test("sv.check with Debian's sv and runsv matches sv.dist (harness check)", () => {
  assert.deepEqual(replay('deb', deb.sv, deb.runsv), svDist);
});

test("sv.check with tsinit's sv and Debian's runsv matches sv.dist", () => {
  assert.deepEqual(replay('ts', tool('sv'), deb.runsv), svDist);
});

test("sv.check with tsinit's sv and tsinit's runsv matches sv.dist", () => {
  assert.deepEqual(replay('ts-ts', tool('sv'), tool('runsv')), svDist);
});
