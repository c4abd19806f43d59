// The C tool client against the real PID 1: tsinit in command mode as PID 1 of
// a PID namespace, its tool service on tools.sock, the client called from the
// command's script. The client's fallback slot names a file that does not
// exist, so a call that was not served by PID 1 shows: `sv status` answered
// in-process, `chpst -u nobody` carried out from PID 1's plan (EXEC), and a
// uid-65534 `sv` and an `sv` in another mount namespace sent back (FALLBACK),
// which here ends in the client's "unable to run" line. svlogd (not served
// in-process yet: FALLBACK) goes through a client whose slot names
// dist/tsinit: its stdin reaches the logger.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, tsinit } from '../helpers/pidns.ts';
import { binary } from '../helpers/tsinit.ts';
import { clientWithSlot } from '../../native/tool-client.ts';
import { INSTALL_NAMES } from '../../src/init/install.ts';
import { encodeStatus } from '../../src/supervise/status-file.ts';
import { wallNow } from '../../src/util/tai64n.ts';
import { repoRoot } from '../../testkit/debian.ts';

const NOWHERE = '/nonexistent/tsinit';

test('the client served by PID 1: sv status and chpst -u nobody in-process; a non-root sv sent back; svlogd fed through the client', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-client-pid1-'));
  fs.chmodSync(dir, 0o755);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { mode: 0o755 });
  const client = clientWithSlot(fs.readFileSync(path.join(repoRoot, 'build', 'tsinit-client')), NOWHERE);
  for (const name of INSTALL_NAMES) fs.writeFileSync(path.join(bin, name), client, { mode: 0o755 });
  const real = path.join(dir, 'real');
  fs.mkdirSync(real, { mode: 0o755 });
  fs.writeFileSync(path.join(real, 'svlogd'), clientWithSlot(fs.readFileSync(path.join(repoRoot, 'build', 'tsinit-client')), binary), { mode: 0o755 });
  // a service as a running runsv leaves it: status record, ok FIFO held open
  const svc = path.join(dir, 'service', 'web');
  fs.mkdirSync(path.join(svc, 'supervise'), { recursive: true });
  execFileSync('mkfifo', [path.join(svc, 'supervise', 'ok'), path.join(svc, 'supervise', 'control')]);
  const ok = fs.openSync(path.join(svc, 'supervise', 'ok'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const control = fs.openSync(path.join(svc, 'supervise', 'control'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  t.after(() => {
    fs.closeSync(ok);
    fs.closeSync(control);
  });
  fs.writeFileSync(path.join(svc, 'supervise', 'status'), encodeStatus({ since: wallNow(), pid: 4242, paused: false, want: 'up', termSent: false, state: 'run' }));
  const logDir = path.join(dir, 'log');
  fs.mkdirSync(logDir);
  const runDir = path.join(dir, 'run');
  const o = (name: string): string => path.join(dir, name);
  const script = [
    `sv status web >${o('sv.out')} 2>${o('sv.err')}; echo $? >${o('sv.code')}`,
    `chpst -u nobody id -u >${o('chpst.out')} 2>${o('chpst.err')}; echo $? >${o('chpst.code')}`,
    `printf 'one\\ntwo\\n' | ${real}/svlogd ${logDir} 2>${o('svlogd.err')}; echo $? >${o('svlogd.code')}`,
    `setpriv --reuid=65534 --regid=65534 --clear-groups sv status web >${o('nobody.out')} 2>${o('nobody.err')}; echo $? >${o('nobody.code')}`,
    // another mount namespace: PID 1 would read its own /etc/service, not the caller's
    `unshare --mount sv status web >${o('mntns.out')} 2>${o('mntns.err')}; echo $? >${o('mntns.code')}`,
  ].join('; ');
  const r = run([tsinit(), '--', 'sh', '-c', script], { TSINIT_RUN_DIR: runDir, SVDIR: path.join(dir, 'service'), PATH: `${bin}:/usr/bin:/bin` });
  const exit = await r.exit;
  assert.equal(exit.code, 0, r.output());
  const read = (name: string): string => fs.readFileSync(o(name), 'utf8');
  assert.equal(read('sv.err'), '');
  assert.match(read('sv.out'), /^run: web: \(pid 4242\) \d+s\n$/);
  assert.equal(read('sv.code'), '0\n');
  assert.equal(read('chpst.err'), '');
  assert.equal(read('chpst.out'), '65534\n');
  assert.equal(read('chpst.code'), '0\n');
  assert.equal(read('svlogd.err'), '');
  assert.equal(read('svlogd.code'), '0\n');
  assert.equal(fs.readFileSync(path.join(logDir, 'current'), 'utf8'), 'one\ntwo\n');
  // PID 1 answered FALLBACK for uid 65534's sv; the slot names nothing here
  assert.equal(read('nobody.err'), `tsinit: fatal: unable to run ${NOWHERE}: file does not exist\n`);
  assert.equal(read('nobody.code'), '111\n');
  // a caller in its own mount namespace: FALLBACK as well
  assert.equal(read('mntns.err'), `tsinit: fatal: unable to run ${NOWHERE}: file does not exist\n`);
  assert.equal(read('mntns.code'), '111\n');
});
