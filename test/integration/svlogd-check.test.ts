// runit's svlogd.check (runit-behaviour.md §10) replayed against tsinit's
// svlogd and Debian's: usage, -V, appending, -r/-R, and `t2` time rotation.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svlogd-check-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// upstream src/svlogd.check, step by step. One change: upstream keeps the
// pipe open 3 s for the t2 rotation; here it stays open until the rotated
// file exists (svlogd slow to start on a loaded machine rotated after 3 s).
const script = `
rm -rf "\${ctmp}"

svlogd
echo $?
svlogd -V
echo $?

mkdir "\${ctmp}"
echo foo |svlogd "\${ctmp}"
echo $?
cat "\${ctmp}"/current

( echo bar; echo baz ) |svlogd "\${ctmp}"
echo $?
cat "\${ctmp}"/current

( echo foo; echo bar; echo baz ) |svlogd -r: -R fb "\${ctmp}"
echo $?
cat "\${ctmp}"/current

echo t2 >"\${ctmp}"/config
( echo foo; n=0; until ls "\${ctmp}"/@* >/dev/null 2>&1 || [ $n -ge 1200 ]; do n=$((n+1)); sleep 0.05; done ) |svlogd "\${ctmp}"
echo $?
cat "\${ctmp}"/current

rm -rf "\${ctmp}"
`;

// upstream src/svlogd.dist
const usage = 'usage: svlogd [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...';
const expected = [
  usage, '', '111', '$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $', usage, '', '111',
  '0', 'foo', '0', 'foo', 'bar', 'baz', '0', 'foo', 'bar', 'baz', ':oo', ':ar', ':az', '0',
];

async function replay(name: string, binDir: string): Promise<string[]> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'svlogd.check'), script, { mode: 0o755 });
  const { stdout } = await promisify(execFile)(
    'sh',
    ['-c', `env - PATH="$BINDIR:$PATH" ctmp="$TMPD/check-tmp" sh "$TMPD/svlogd.check" 2>&1 | cat -v`],
    { env: { ...process.env, BINDIR: binDir, TMPD: dir }, encoding: 'utf8' },
  );
  return stdout.split('\n').slice(0, -1);
}

test('svlogd.check: tsinit and Debian both print svlogd.dist', async () => {
  const [ours, theirs] = await Promise.all([replay('ours', toolBin()), replay('debian', debianRunit().bin)]);
  assert.deepEqual(theirs, expected, 'Debian svlogd matches the golden file');
  assert.deepEqual(ours, expected);
});
