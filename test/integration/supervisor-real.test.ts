// The Supervisor API as PID 1 uses it, with the real in-process runsv.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { reaper } from '../../src/process/reaper.ts';
import { createSupervisor, type Supervisor } from '../../src/supervise/supervisor.ts';
import { alive, makeService, pidOf, readOr, statOf, tempDir, waitFor } from '../helpers/runsvdir.ts';

const tmp: string[] = [];
let sup: Supervisor | undefined;
after(async () => {
  await sup?.stopAll();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

test('services run, pids() lists them, stopAll() brings every one down (finish and log included)', async () => {
  reaper.start();
  const d = tempDir('sup-real-');
  tmp.push(d);
  const marker = path.join(d, '.finished');
  const a = makeService(d, 'a', 'exec sleep 1000', `echo "$1 $2" >> '${marker}'`);
  const b = makeService(d, 'b', 'echo to-log; exec sleep 1000');
  makeService(b, 'log', `exec cat > '${path.join(d, '.b-log')}'`);
  const lines: string[] = [];
  sup = createSupervisor({ dir: d, report: (l) => lines.push(l) });
  sup.start();
  await waitFor('a and b running', () => statOf(a) === 'run' && statOf(b) === 'run' && statOf(path.join(b, 'log')) === 'run');
  assert.deepEqual([...sup.services().keys()].sort(), ['a', 'b']);
  const pids = sup.pids();
  const expected = [pidOf(a), pidOf(b), pidOf(path.join(b, 'log'))];
  assert.deepEqual([...pids].sort(), [...expected].sort());
  for (const p of pids) assert.ok(alive(p));
  // `run` in supervise/stat comes before b's first line has run: wait for
  // its output to reach the log, else a TERM on a loaded machine beats the echo
  await waitFor("b's line in its log", () => readOr(path.join(d, '.b-log')) === 'to-log\n');

  await sup.stopAll();
  for (const p of expected) assert.equal(alive(p), false, `pid ${p} gone after stopAll`);
  assert.equal(readOr(marker), '-1 15\n', "a's finish ran");
  assert.equal(readOr(path.join(d, '.b-log')), 'to-log\n', 'the log service got EOF after draining');
  assert.equal(statOf(a), 'down');
  assert.deepEqual(sup.pids(), []);
  assert.deepEqual(lines, []);
});
