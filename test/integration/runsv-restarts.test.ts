// Restart behaviour under stress: a service killed with SIGKILL right after
// each start is restarted every time, never sooner than ~1 s after the
// previous start (runit's pause for processes that lived < 1 s).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { tool } from '../helpers/tsinit.ts';
import { cleanup, makeService, readStatus, startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('runsv-kill-');
const dirs: string[] = [];
after(() => cleanup(dirs, root));

const KILLS = 100;

test(`SIGKILL right after each start, ${KILLS} times: restarted each time, >= ~1 s apart`, { timeout: 180_000 }, async () => {
  const dir = makeService(root, 'victim', { run: '#!/bin/sh\nexec sleep 1000\n' });
  dirs.push(dir);
  const p = startProc(tool('runsv'), ['victim'], root);
  const starts: number[] = [];
  let lastPid = 0;
  for (let i = 0; i <= KILLS; i++) {
    const st = await waitFor(`start #${i}`, () => {
      const s = readStatus(dir);
      return s && s.stateCode === 1 && s.pid > 0 && s.pid !== lastPid ? s : undefined;
    }, 60_000);
    starts.push(st.sec + st.nsec / 1e9);
    lastPid = st.pid;
    if (i < KILLS) process.kill(st.pid, 'SIGKILL');
  }
  assert.equal(starts.length, KILLS + 1);
  for (let i = 1; i < starts.length; i++) {
    const gap = (starts[i] as number) - (starts[i - 1] as number);
    assert.ok(gap >= 0.99, `start ${i} came ${gap.toFixed(3)} s after the previous one`);
  }
  assert.equal(p.stderr(), '');
});
