// The runit and runit-init entry points, and the upstream golden checks
// runit.check and runit-init.check (reference spec section 10).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tool, toolBin } from '../helpers/tsinit.ts';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';

// As upstream's check-local runs them: found through PATH, so argv[0] is the bare name.
const viaPath = { encoding: 'utf8' as const, env: { PATH: `${toolBin()}:/usr/bin:/bin` } };

test('runit.check: not PID 1 -> fatal message and 111', () => {
  const r = spawnSync('runit', [], viaPath);
  assert.equal(r.status, 111);
  assert.equal(r.stderr, '- runit: fatal: must be run as process no 1.\n');
});

test('runit-init.check: usage and exit 0', () => {
  const r = spawnSync('runit-init', [], viaPath);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, 'usage: runit-init 0|6\n\n');
});

test('runit-init 0 inside the container stops tsinit through /run/runit.stopit', async () => {
  // A private /run (tmpfs) so the test does not touch the host's.
  const dir = runitDir({
    '2': `echo ready; sleep 0.3; ${tool('runit-init')} 0; exec sleep 1000`,
    '3': 'echo "stage 3: stopit mode $(stat -c %a /run/runit.stopit)"',
  });
  const r = run(['sh', '-c', `mount -t tmpfs tmpfs /run && exec ${tsinit()}`], { TSINIT_RUNIT_DIR: dir });
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  assert.match(out, /shutdown requested: SIGCONT \(\/run\/runit\.stopit\)/);
  assert.match(out, /stage 3: stopit mode 0/);
});
