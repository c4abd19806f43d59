// tsinit as PID 1 must act on every signal that reaches it once it has
// written its first line: a PID 1 ignores any signal it has no handler for (the
// kernel drops it), so a `docker stop` in the start-up gap used to be lost and
// the container hung until the runtime's SIGKILL. Each cycle signals tsinit
// the moment its first line appears; an unknown TSINIT_ variable makes that
// line come as early as tsinit can write anything (the configuration's
// warnings).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { run, runitDir, tsinit, type Run } from '../helpers/pidns.ts';

const CYCLES = 10;
/** tsinit's own first line (not its stages' output) */
const FIRST_LINE = /^- tsinit: /m;
const EARLY_LINE_ENV = { TSINIT_TEST_EARLY_LINE: '1' };
/** A runtime directory of its own: no halt request, events socket or marker of another tsinit on the host. */
const ownRunDir = (dir: string): { TSINIT_RUN_DIR: string } => ({ TSINIT_RUN_DIR: path.join(dir, 'run') });

/** Waits for text; when it never comes, ends tsinit (it would hang) and fails saying which cycle. */
async function expectOutput(r: Run, text: string | RegExp, what: string): Promise<void> {
  try {
    await r.waitFor(text, 60_000);
  } catch (e) {
    r.proc.kill('SIGKILL'); // unshare --kill-child takes tsinit along
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

/** tsinit's exit, or undefined when it is still running after ms (a lost signal). */
async function exitWithin(r: Run, ms: number): Promise<Awaited<Run['exit']> | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([r.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

const triggers = [
  { name: 'SIGTERM', send: ['SIGTERM'], says: 'shutdown requested: SIGTERM' },
  { name: 'SIGINT', send: ['SIGINT'], says: 'shutdown requested: SIGINT' },
  { name: 'SIGPWR', send: ['SIGPWR'], says: 'shutdown requested: SIGPWR' },
  { name: 'SIGCONT+stopit', send: ['SIGCONT'], says: 'shutdown requested: SIGCONT (' },
  // stage mode acts on HUP by saying it ignores it; TERM then ends the cycle
  { name: 'SIGHUP', send: ['SIGHUP'], says: 'SIGHUP ignored' },
] as const satisfies ReadonlyArray<{ name: string; send: readonly NodeJS.Signals[]; says: string }>;

for (const t of triggers) {
  test(`stage mode: ${t.name} sent as tsinit's first line appears is acted on, ${CYCLES} times out of ${CYCLES}`, { timeout: 600_000 }, async () => {
    for (let i = 1; i <= CYCLES; i++) {
      const dir = runitDir({ '2': 'echo "stage 2 ran"; exec sleep 1000', '3': 'echo "stage 3 ran"' });
      if (t.name === 'SIGCONT+stopit') fs.writeFileSync(path.join(dir, 'stopit'), '', { mode: 0o100 });
      const r = run([tsinit()], { TSINIT_RUNIT_DIR: dir, TSINIT_LOG_LEVEL: 'debug', ...ownRunDir(dir), ...EARLY_LINE_ENV });
      await expectOutput(r, FIRST_LINE, `cycle ${i}: tsinit's first line`);
      for (const sig of t.send) await r.signal(sig);
      await expectOutput(r, t.says, `cycle ${i}: ${t.name} lost`);
      if (t.name === 'SIGHUP') {
        await r.signal('SIGTERM');
        await expectOutput(r, 'shutdown requested: SIGTERM', `cycle ${i}: SIGTERM after SIGHUP lost`);
      }
      const ex = await r.exit;
      const out = r.output();
      assert.equal(ex.code, 0, `cycle ${i}:\n${out}`);
      assert.match(out, /stage 3 ran/, `cycle ${i}`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test(`command mode: SIGTERM sent as tsinit's first line appears ends it, ${CYCLES} times out of ${CYCLES}`, { timeout: 600_000 }, async () => {
  for (let i = 1; i <= CYCLES; i++) {
    // No stage 1 here: the command is the only thing tsinit would start.
    const dir = runitDir({});
    const r = run([tsinit(), '--', 'sh', '-c', 'echo "command ran"; exec sleep 1000'], { TSINIT_RUNIT_DIR: dir, ...ownRunDir(dir), ...EARLY_LINE_ENV });
    await expectOutput(r, FIRST_LINE, `cycle ${i}: tsinit's first line`);
    await r.signal('SIGTERM');
    const ended = await exitWithin(r, 60_000);
    if (ended === undefined) {
      r.proc.kill('SIGKILL');
      assert.fail(`cycle ${i}: SIGTERM lost, tsinit still running:\n${r.output()}`);
    }
    // TERM to the command (143), or the command never started: 143 either way.
    assert.equal(ended.code, 143, `cycle ${i}:\n${r.output()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
