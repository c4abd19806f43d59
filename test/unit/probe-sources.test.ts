// Snapshots from in-process runsv handles, and /status objects built from
// snapshots as sv status --json prints them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { initialExtStatus } from '../../src/supervise/ext-status.ts';
import type { RunsvHandle } from '../../src/supervise/runsv.ts';
import { encodeStatus } from '../../src/supervise/status-file.ts';
import { inprocessSource } from '../../src/observe/inprocess-source.ts';
import { serviceJson } from '../../src/observe/status-json.ts';
import { failures } from '../../src/observe/verdict.ts';
import { taiOfUnix } from '../../src/sv/status-line.ts';
import { jsonState } from '../../src/supervise/json-status.ts';

const since = { sec: 1_700_000_000, usec: 0 };
const run = encodeStatus({ since, pid: 42, paused: false, want: 'up', termSent: false, state: 'run' });
const down = encodeStatus({ since, pid: 0, paused: false, want: 'up', termSent: false, state: 'down' });

function handle(name: string, recs: { main: Buffer; log: Buffer | null } | null, extra: object = {}): RunsvHandle {
  const ext = { ...initialExtStatus(0), ready: true };
  return {
    dir: `/svc/${name}`,
    name,
    done: new Promise(() => {}),
    terminate: () => {},
    shutdown: () => {},
    pids: () => [],
    statusRecords: () => recs,
    extStatus: () => ext,
    setWaiting: () => {},
    release: () => {},
    ...extra,
  };
}

test('in-process: sorted by name, records from the handle, not-set-up handles fail, the handle\'s extension record is used', () => {
  const ext = { ...initialExtStatus(0), ready: false, waitingFor: ['db'] };
  const src = inprocessSource({
    services: () =>
      new Map([
        ['web', handle('web', { main: run, log: down }, { extStatus: () => ext })],
        ['api', handle('api', null)],
        ['db', handle('db', { main: run, log: null })],
      ]),
  });
  const snaps = src.snapshots();
  assert.deepEqual(snaps.map((s) => s.name), ['api', 'db', 'web']);
  assert.deepEqual(snaps[0]?.main, { error: 'runsv not running' });
  assert.equal(snaps[2]?.ext, ext);
  assert.equal(snaps[1]?.ext?.ready, true);
  assert.deepEqual(
    failures(snaps, { ready: true }).map((f) => `${f.name}: ${f.reason}`),
    ['api: runsv not running', 'web: not ready (waiting for db)', 'web/log: down, want up'],
  );
});

test('/status objects: sv status --json\'s keys and values, errors as {name, error}', () => {
  const nowTai = taiOfUnix(since.sec + 7);
  const v = serviceJson({ name: 'web', main: { st: run, normallyUp: true }, log: { st: down, normallyUp: false }, ext: null }, nowTai);
  assert.deepEqual(v, { name: 'web', ...jsonState(run, nowTai, true), log: jsonState(down, nowTai, false) });
  assert.equal((v as { seconds: number }).seconds, 7);
  assert.deepEqual(serviceJson({ name: 'x', main: { error: 'runsv not running' }, log: null, ext: null }), { name: 'x', error: 'runsv not running' });
});
