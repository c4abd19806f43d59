// sv -w served by PID 1 for a client: when the client is gone (ctx.gone),
// the waiting loop ends instead of polling inside PID 1 until its timeout.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/sv/main.ts';
import type { ToolContext } from '../../src/tool.ts';
import { fakeService, runningStatus } from '../helpers/fake-service.ts';

test('sv -w 600 up: its caller gone, sv stops waiting and writes nothing more', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-gone-'));
  const dir = path.join(root, 'svc');
  // down, wanted up, a supervisor's FIFOs: `up` waits until it runs
  const svc = fakeService(dir, { status: runningStatus(0) });
  let leave: () => void = () => {};
  const gone = new Promise<void>((r) => (leave = r));
  const written: string[] = [];
  const ctx: ToolContext = {
    argv0: 'sv', args: ['-w', '600', 'up', dir], env: {}, cwd: root,
    stdin: -1, stdout: -1, stderr: -1, pid: process.pid, uid: 0, gid: 0,
    write: (_s, t) => void written.push(String(t)), gone,
  };
  let ended = false;
  const run = Promise.resolve(main(ctx)).finally(() => (ended = true));
  // a few rounds pass; sv is still waiting
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(ended, false, `sv ended early: ${written.join('')}`);
  leave();
  const code = await run;
  assert.equal(code, 111);
  assert.deepEqual(written, [], 'nothing written after the caller left');
  svc.close();
  fs.rmSync(root, { recursive: true, force: true });
});
