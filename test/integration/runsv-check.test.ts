// The upstream runit 2.1.2 check for runsv (src/runsv.check, expected output
// src/runsv.dist, reference spec 10), replayed as its shell steps against
// tsinit's runsv, and against Debian's runsv to prove the replay itself.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const dist = [
  'usage: runsv dir', '', '1', 'starting', 'run', 'term', 'starting',
  'term', '0', '0', 'starting', 'no interrupt', 'term', '0',
  'starting', 'term',
];

// The check's steps: usage; a service printing "starting"; control/t
// printing "term" (exit 1, so runsv still sends TERM); t then x; a log
// catching ./run's and control/i's output; supervise dirs as symlinks.
// Upstream waits with fixed sleeps; here each step waits for the condition
// the next one needs (a line of output, a status, a FIFO), so that a slow
// runsv start on a loaded machine cannot make the check write to a control
// FIFO that does not exist yet (the x was lost and runsv left running).
// The one fixed sleep is a lower bound, not a race: ./run must have lived
// 1 s when t arrives, else runit's restart pause applies and x is read
// before the restart (waiting longer changes nothing).
// Everything the check prints goes to "$out" (one shared file offset, as
// with the pipe upstream), so that steps can wait for a line in it.
const script = `
waitfor() {
  n=0
  until eval "$1" 2>/dev/null; do
    n=$((n+1))
    if [ $n -ge 1200 ]; then echo "timed out waiting for: $1"; return 1; fi
    sleep 0.05
  done
}
lines() { grep -cx "$2" "$1" 2>/dev/null || true; }
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
waitfor '[ "$(lines "$out" starting)" -ge 1 ] && [ "$(cat "$ctmp"/supervise/stat)" = run ]'
sleep 1
cat "$ctmp"/supervise/stat
echo t >"$ctmp"/supervise/control
waitfor '[ "$(lines "$out" starting)" -ge 2 ] && [ "$(cat "$ctmp"/supervise/stat)" = run ]'
echo x >"$ctmp"/supervise/control
wait
echo $?
mkdir "$ctmp"/log
printf '#!/bin/sh\\nexec cat >foo\\n' >"$ctmp"/log/run
chmod 700 "$ctmp"/log/run
printf '#!/bin/sh\\necho no interrupt\\nexit 0\\n' >"$ctmp"/control/i
chmod 700 "$ctmp"/control/i
runsv "$ctmp" &
waitfor '[ "$(lines "$ctmp"/log/foo starting)" -ge 1 ] && [ -p "$ctmp"/supervise/control ]'
echo i >"$ctmp"/supervise/control
waitfor '[ "$(lines "$ctmp"/log/foo "no interrupt")" -ge 1 ]'
echo x >"$ctmp"/supervise/control
wait
echo $?
cat "$ctmp"/log/foo
rm -rf "$ctmp"/supervise "$ctmp"/log/supervise "$ctmp"/log/foo
ln -s foo "$ctmp"/supervise
ln -s bar "$ctmp"/log/supervise
runsv "$ctmp" &
waitfor '[ "$(lines "$ctmp"/log/foo starting)" -ge 1 ] && [ -p "$ctmp"/foo/control ]'
echo x >"$ctmp"/foo/control
wait
echo $?
cat "$ctmp"/log/foo
rm -rf "$ctmp"
`;

/** SIGKILL whatever still runs in (or below) dir: a runsv or service the check left behind. */
function killLeftovers(dir: string): string[] {
  const left: string[] = [];
  const real = fs.realpathSync(dir);
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${e}/cwd`);
      if (cwd !== real && !cwd.startsWith(`${real}/`)) continue;
      left.push(fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ').trim());
      process.kill(Number(e), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return left;
}

function replay(binDir: string): string[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'runsv-check-'));
  const out = path.join(tmp, 'out');
  let left: string[] = [];
  try {
    const r = spawnSync('sh', ['-c', `(${script}) >"$out" 2>&1`], {
      env: { PATH: `${binDir}:/usr/bin:/bin`, ctmp: path.join(tmp, 'check-tmp'), out },
      encoding: 'utf8',
      timeout: 240_000,
      killSignal: 'SIGKILL',
    });
    const text = fs.readFileSync(out).toString('latin1');
    const lines = spawnSync('cat', ['-v'], { input: Buffer.from(text, 'latin1'), encoding: 'utf8' }).stdout;
    if (r.error) throw new Error(`the check did not finish (${r.error.message}); its output:\n${lines}`);
    return lines.replace(/\n$/, '').split('\n');
  } finally {
    left = killLeftovers(tmp);
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.deepEqual(left, [], 'processes left running by the check');
  }
}

test("the replay matches runsv.dist with Debian's runsv", () => {
  assert.deepEqual(replay(debianRunit().bin), dist);
});

test("tsinit's runsv passes runit's runsv.check", () => {
  assert.deepEqual(replay(path.dirname(tool('runsv'))), dist);
});
