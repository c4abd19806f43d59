// svlogd's processor (`!cmd` in config) when no process can be created (the
// process limit): runit's "svlogd: pausing: unable to fork for processor",
// another try after 3 s, and the rotated file is processed once the limit
// allows it. tsinit's svlogd waits on a timer rather than sleeping, because
// the same code runs inside PID 1 (the in-process logger): meanwhile it keeps
// reading its input. As in runsv-nproc.test.ts, svlogd runs as an unused uid
// and its own soft RLIMIT_NPROC is lowered with prlimit.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { within } from '../helpers/within.ts';
import { tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('svlogd-nproc-');
fs.chmodSync(root, 0o755);
const uid = 63000 + (process.pid % 1000);
after(() => fs.rmSync(root, { recursive: true, force: true }));

function softNproc(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max processes'));
  const soft = line?.split(/\s{2,}/)[1];
  assert.ok(soft);
  return soft;
}

function setNproc(pid: number, soft: string): void {
  execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'prlimit', '--pid', String(pid), `--nproc=${soft}:`]);
}

test('processor cannot be forked: "pausing", retried, input still read meanwhile, then processed', async () => {
  const dir = path.join(root, 'log');
  fs.mkdirSync(dir);
  // rotate at 100 bytes; the processor upper-cases the rotated file
  fs.writeFileSync(path.join(dir, 'config'), 's100\n!tr a-z A-Z\n');
  fs.chownSync(dir, uid, uid);
  const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', tool('svlogd'), dir], { cwd: root, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((r) => child.on('exit', r));
  try {
    const pid = child.pid ?? 0;
    child.stdin.write('first line\n');
    await waitFor('svlogd running', () => fs.existsSync(path.join(dir, 'current')) && fs.readFileSync(path.join(dir, 'current'), 'utf8') === 'first line\n', 60_000);
    const before = softNproc(pid);
    setNproc(pid, '1');
    child.stdin.write(`${'x'.repeat(120)}\n`);
    await waitFor('the pause message', () => stderr.includes(`svlogd: pausing: unable to fork for processor: ${dir}: temporary failure`), 60_000);
    // Not asleep: while the limit stays low (runit's svlogd would sleep and
    // retry for as long), a line written now still reaches current.
    child.stdin.write('during the pause\n');
    await waitFor('input read during the pause', () => fs.readFileSync(path.join(dir, 'current'), 'utf8').includes('during the pause\n'), 60_000);
    assert.equal(softNproc(pid), '1');
    setNproc(pid, before);
    const done = await waitFor('processed file', () => fs.readdirSync(dir).find((f) => /^@[0-9a-f]{24}\.s$/.test(f)), 60_000);
    assert.match(fs.readFileSync(path.join(dir, done), 'utf8'), /^FIRST LINE\nX+$/);
    assert.doesNotMatch(stderr, /fatal/);
  } finally {
    child.stdin.end();
    await within(exited, 5000, undefined);
    child.kill('SIGKILL');
  }
});
