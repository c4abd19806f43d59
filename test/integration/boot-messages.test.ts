// What PID 1 says at boot about a service directory with mistakes: each
// problem once, with one severity, and a bad extension value names what is
// used instead (runsv's warning); the boot check adds only what runsv does not
// report, its level not repeated in the text.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { toolBin } from '../helpers/tsinit.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';

test('a bad notification-fd is said once, as a warning naming what is used; a script problem once, as an error', async () => {
  const svc = serviceDir({ web: { run: 'exec sleep 1000' }, other: { run: 'exec sleep 1000' } });
  fs.writeFileSync(path.join(svc, 'web', 'notification-fd'), '1\n');
  fs.writeFileSync(path.join(svc, 'other', 'run'), '#!/bin/sh\r\nexec sleep 1000\r\n', { mode: 0o755 });
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: runitDir({}),
    TSINIT_SERVICE_DIR: svc,
    TSINIT_RUN_DIR: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-run-')), 'run'),
    PATH: `${toolBin()}:${process.env.PATH}`,
  });
  try {
    await waitFile(path.join(svc, 'web', 'supervise', 'stat'), 'run\n');
    await r.waitFor(/error: check: other\/run: /);
  } finally {
    await r.signal('SIGTERM');
    await r.exit;
  }
  const out = r.output();
  const fd = out.split('\n').filter((l) => l.includes('notification-fd'));
  assert.deepEqual(fd, ['runsv web: warning: notification-fd: descriptor: 1 is out of range (3 to 1023); using no notification-fd: ready once up'], out);
  assert.doesNotMatch(out, /check: .*: (error|warning): /, 'no severity inside a line that has one');
  assert.equal(out.split('\n').filter((l) => l.includes('other/run')).length, 1, out);
});
