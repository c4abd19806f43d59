// Many runsv's inside one Node process (how tsinit runs them): a broken
// service and a service blocked in a control script do not hold up the
// others; pids() and terminate() work; every done resolves 0.
// No child_process here: this process's reaper owns every child.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { reaper } from '../../src/process/reaper.ts';
import { startRunsv, type RunsvHandle } from '../../src/supervise/runsv.ts';
import { within } from '../helpers/within.ts';
import { control, makeService, readStatus, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('runsv-inproc-');
const handles: RunsvHandle[] = [];
after(async () => {
  for (const h of handles) h.terminate();
  await within(Promise.all(handles.map((h) => h.done)), 30_000, undefined);
  for (const h of handles) for (const pid of h.pids()) process.kill(pid, 'SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('40 services in one process: isolation, pids(), terminate()', async (t) => {
  reaper.start();
  const N = 40;
  const reports: Record<string, string[]> = {};
  const dirs: string[] = [];
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    const name = `s${i}`;
    const dir = makeService(root, name, { run: '#!/bin/sh\nexec sleep 1000\n' });
    dirs.push(dir);
  }
  const broken = makeService(root, 'broken', {});
  const blocked = makeService(root, 'blocked', {
    run: '#!/bin/sh\nexec sleep 1000\n',
    // runs until the test releases it (a fixed 3 s once ran out on a loaded machine)
    control: { t: '#!/bin/sh\n: >t-started\nwhile [ ! -e t-release ]; do sleep 0.05; done\nexit 1\n' },
  });
  for (const dir of [...dirs, broken, blocked]) {
    const name = path.basename(dir);
    reports[name] = [];
    handles.push(startRunsv(dir, { name: `runsv ${name}`, report: (l) => reports[name]?.push(l) }));
  }
  await waitFor('all running', () => [...dirs, blocked].every((d) => readStatus(d)?.stateCode === 1), 60_000);
  t.diagnostic(`heap growth for ${N + 2} services: ${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024)} KiB`);

  // pids() agrees with the status files
  for (let i = 0; i < N; i++) {
    const st = readStatus(dirs[i] as string);
    assert.deepEqual(handles[i]?.pids(), [st?.pid]);
  }

  // blocked: control/t runs until released; meanwhile another service reacts at once
  const blockedPid = readStatus(blocked)?.pid;
  control(blocked, 't');
  await waitFor('control/t running', () => fs.existsSync(path.join(blocked, 't-started')));
  const other = dirs[0] as string;
  const otherPid = readStatus(other)?.pid;
  control(other, 'k');
  await waitFor('other restarted', () => {
    const s = readStatus(other);
    return s?.stateCode === 1 && s.pid !== otherPid;
  }, 60_000);
  // the blocked one has not sent TERM yet: control/t is still running
  assert.equal(fs.readFileSync(path.join(blocked, 'supervise/stat'), 'utf8'), 'run\n');
  assert.equal(readStatus(blocked)?.pid, blockedPid);
  // and it does when control/t exits non-zero
  fs.writeFileSync(path.join(blocked, 't-release'), '');
  await waitFor('blocked restarted', () => {
    const s = readStatus(blocked);
    return s?.stateCode === 1 && s.pid !== blockedPid;
  }, 60_000);

  // the broken one keeps retrying with runit's message
  await waitFor('broken retried', () => (reports.broken?.length ?? 0) >= 2, 60_000);
  for (const l of reports.broken ?? []) assert.equal(l, 'runsv broken: fatal: unable to start ./run: file does not exist');
  for (let i = 0; i < N; i++) assert.deepEqual(reports[`s${i}`], []);

  const pids = handles.flatMap((h) => h.pids());
  assert.ok(pids.length >= N + 1);
  for (const h of handles) h.terminate();
  const codes = await Promise.all(handles.map((h) => h.done));
  assert.deepEqual(codes, handles.map(() => 0));
  await waitFor('all children gone', () => pids.every((p) => !alive(p)), 60_000);
  for (const h of handles) assert.deepEqual(h.pids(), []);
});
