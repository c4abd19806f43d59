// runit's chpst.check (runit-behaviour.md §10) replayed against tsinit's chpst
// and Debian's, with Debian's usage line in the expected output.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chpst-check-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The steps of upstream's chpst.check, in the same order.
const script = `
rm -rf "\${ctmp}"
chpst
echo $?
chpst -V
echo $?
mkdir "\${ctmp}"
echo 1 >"\${ctmp}"/test
chpst -e"\${ctmp}" env |sed -ne '/^test=1$/p'
echo $?
rm -rf "\${ctmp}"
chpst -l"\${ctmp}" true
echo $?
rm -f "\${ctmp}"
chpst -L"\${ctmp}" true
echo $?
rm -f "\${ctmp}"
chpst -P true
echo $?
chpst -012 true
echo $?
`;

const usage =
  'usage: chpst [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog';
const expected = [usage, '', '100', '$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $', usage, '', '100', 'test=1', '0', '0', '0', '0', '0'];

function replay(binDir: string): string[] {
  fs.writeFileSync(path.join(tmp, 'chpst.check'), script, { mode: 0o755 });
  const outText = execFileSync(
    'sh',
    ['-c', `env - PATH="$BINDIR:$PATH" ctmp="$TMPD/check-tmp" sh "$TMPD/chpst.check" 2>&1 | cat -v`],
    { env: { ...process.env, BINDIR: binDir, TMPD: tmp }, encoding: 'utf8' },
  );
  return outText.split('\n').slice(0, -1);
}

test('tsinit chpst passes chpst.check (Debian usage text)', () => {
  assert.deepEqual(replay(toolBin()), expected);
});

test('Debian chpst gives the same golden output', () => {
  assert.deepEqual(replay(debianRunit().bin), expected);
});
