// The log pipe survives restarts of both sides: a service printing numbered
// lines, restarted 20 times (t) interleaved with 20 restarts of its logger
// (t on log/), loses no line.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { cleanup, control, makeService, readStatus, startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('runsv-logpipe-');
const dirs: string[] = [];
after(() => cleanup(dirs, root));

// The counter survives restarts; a number is printed before it is recorded
// (atomically, by rename), so a kill can duplicate a number but never skip one.
const run = `#!/bin/sh
n=$(cat counter 2>/dev/null || echo 0)
while :; do
  n=$((n+1))
  echo "$n"
  echo "$n" >counter.new && mv counter.new counter
  sleep 0.01
done
`;

// A logger that can only die at a line boundary, so that what it has read
// is always written: a killed `cat` (or svlogd) may lose the chunk it read
// just before TERM, which would test the logger, not the pipe. The producer
// writes whole lines atomically, so a read blocks only between lines, and
// only there does TERM interrupt it.
const logger = `#!/bin/sh
stop=0
trap 'stop=1' TERM
while IFS= read -r line; do
  printf '%s\\n' "$line" >>out
  [ $stop = 1 ] && exit 0
done
[ -n "$line" ] && printf '%s\\n' "$line" >>out
exit 0
`;

async function restart(dir: string, log: boolean): Promise<void> {
  const before = readStatus(dir, log)?.pid;
  control(dir, 't', log);
  await waitFor(`${log ? 'log' : 'main'} restart`, () => {
    const s = readStatus(dir, log);
    return s?.stateCode === 1 && s.pid !== before;
  });
}

/** Wait for the service to print at least one more line (no fixed pause between restarts). */
async function progress(dir: string): Promise<void> {
  const counter = (): number => Number(fs.readFileSync(path.join(dir, 'counter'), 'utf8')) || 0;
  const before = counter();
  await waitFor('a new line printed', () => counter() > before);
}

test('20 + 20 interleaved restarts of service and logger lose no line', { timeout: 600_000 }, async () => {
  const dir = makeService(root, 'counter', { run, log: logger });
  dirs.push(dir);
  const p = startProc(tool('runsv'), ['counter'], root);
  await waitFor('both running', () => readStatus(dir)?.stateCode === 1 && readStatus(dir, true)?.stateCode === 1);
  await waitFor('the first line printed', () => fs.existsSync(path.join(dir, 'counter')));
  for (let i = 0; i < 20; i++) {
    await progress(dir);
    await restart(dir, false);
    await progress(dir);
    await restart(dir, true);
  }
  await progress(dir);
  control(dir, 'x');
  assert.equal(await p.exited, 0);
  const last = Number(fs.readFileSync(path.join(dir, 'counter'), 'utf8'));
  const text = fs.readFileSync(path.join(dir, 'log', 'out'), 'utf8');
  const seen = new Set(text.split('\n').filter(Boolean).map(Number));
  assert.ok(last > 40, `only ${last} lines were printed`);
  const missing: number[] = [];
  for (let n = 1; n <= last; n++) if (!seen.has(n)) missing.push(n);
  assert.deepEqual(missing, []);
});
