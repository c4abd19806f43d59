// The acceptance check: 200 services all reach `run` under one
// runsvdir, and all stop on SIGTERM. How fast they get there (the issue's
// "within 3 s") is a speed figure: bench/supervision.ts measures it (sizes
// 1,50,200, against Debian's runit and s6). Here the time is only printed,
// never asserted: on a loaded 2-core CI machine it took 15 s for a correct build.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive, cleanup, makeService, pidOf, startRunsvdir, statOf, tempDir, waitFor, type Running } from '../helpers/runsvdir.ts';

const N = 200;
let sd = '';
let r: Running | undefined;
const dirs: string[] = [];
after(async () => {
  await cleanup(r, dirs);
  if (sd) fs.rmSync(sd, { recursive: true, force: true });
});

test(`${N} services reach run, and all stop on SIGTERM`, async () => {
  sd = tempDir('runsvdir-200-');
  for (let i = 0; i < N; i++) dirs.push(makeService(sd, `s${String(i).padStart(3, '0')}`, 'exec sleep 1000'));
  const t0 = Date.now();
  r = startRunsvdir([sd]);
  await waitFor(`${N} services in state run`, () => dirs.every((d) => statOf(d) === 'run'), 120_000, 50);
  const elapsed = Date.now() - t0;
  console.log(`# ${N} services in state run ${elapsed} ms after runsvdir was started (load average ${os.loadavg()[0]?.toFixed(1)})`);

  const pids = dirs.map(pidOf);
  assert.equal(new Set(pids).size, N);
  assert.ok(pids.every((p) => p > 0 && alive(p)));
  assert.equal(r.stderr(), '');

  const t1 = Date.now();
  r.child.kill('SIGTERM');
  const { code } = await r.exited;
  console.log(`# ${N} services stopped, runsvdir exited ${Date.now() - t1} ms after SIGTERM`);
  assert.equal(code, 0);
  assert.ok(pids.every((p) => !alive(p)));
  assert.ok(dirs.every((d) => statOf(d) === 'down'));
  assert.equal(fs.existsSync(path.join(sd, '.forced-rescan')), false);
});
