// tsinit as PID 1 with the built-in supervisor: dependencies.d/ and
// notification-fd at boot, reverse order at shutdown, and the shutdown budget
// still holds when a dependant will not stop.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { toolBin } from '../helpers/tsinit.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const read = (p: string): string => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

test('PID 1: web waits for db (notification-fd); TERM stops web before db', async () => {
  const svc = serviceDir({
    db: {
      run: `trap 'echo db >> ../order; exit 0' TERM\nwhile [ ! -e go ]; do sleep 0.05; done\necho >&3\nwhile :; do sleep 0.05; done`,
    },
    web: { run: `date +%s%N > started\ntrap 'sleep 0.3; echo web >> ../order; exit 0' TERM\nwhile :; do sleep 0.05; done` },
  });
  fs.writeFileSync(path.join(svc, 'db', 'notification-fd'), '3\n');
  fs.mkdirSync(path.join(svc, 'web', 'dependencies.d'));
  fs.writeFileSync(path.join(svc, 'web', 'dependencies.d', 'db'), '');
  const stages = runitDir({});
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: stages, TSINIT_SERVICE_DIR: svc, PATH: `${toolBin()}:${process.env.PATH}` });
  try {
    await checks(r, svc);
  } finally {
    // Whatever failed above, PID 1 (and with it the namespace) goes away.
    r.proc.kill('SIGKILL');
  }
});

async function checks(r: ReturnType<typeof run>, svc: string): Promise<void> {
  await waitFile(path.join(svc, 'db', 'supervise', 'stat'), 'run\n');
  await r.waitFor('runsv web: waiting for: db');
  assert.equal(read(path.join(svc, 'web', 'supervise', 'stat')), 'down\n');
  // Written before the line is printed (and renamed into place: never partial).
  const status = JSON.parse(read(path.join(svc, 'web', 'supervise', 'tsinit-status.json'))) as { waitingFor: string[] };
  assert.deepEqual(status.waitingFor, ['db']);
  fs.writeFileSync(path.join(svc, 'db', 'go'), '');
  await until('web started', () => read(path.join(svc, 'web', 'started')).trim() !== '');
  const db = JSON.parse(read(path.join(svc, 'db', 'supervise', 'tsinit-status.json'))) as { readySince: number };
  assert.ok(Number(read(path.join(svc, 'web', 'started')).trim()) / 1e6 >= db.readySince);
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.equal(ex.code, 0, r.output());
  assert.equal(read(path.join(svc, 'order')), 'web\ndb\n');
}

test('PID 1: a dependant that ignores TERM is killed within the budget, its dependency with it', async () => {
  const svc = serviceDir({
    base: { run: 'exec sleep 1000' },
    stubborn: { run: "trap '' TERM; echo stubborn up; while :; do sleep 0.2; done" },
  });
  fs.mkdirSync(path.join(svc, 'stubborn', 'dependencies.d'));
  fs.writeFileSync(path.join(svc, 'stubborn', 'dependencies.d', 'base'), '');
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: runitDir({}), TSINIT_SERVICE_DIR: svc, TSINIT_SHUTDOWN_TIMEOUT: '3' });
  await r.waitFor('stubborn up');
  const sent = Date.now();
  await r.signal('SIGTERM');
  const ex = await r.exit;
  const took = Date.now() - sent;
  assert.equal(ex.code, 0, r.output());
  assert.match(r.output(), /services not terminated, sending sigkill/);
  assert.ok(took < 3500, `took ${took} ms with a 3 s budget`);
});
