// Broken services: ./run missing, not executable, or with a bad interpreter.
// runsv reports runit's line, treats it as an exit 111 (./finish gets
// "111 0") and retries every second, while another service is unaffected.
// The same folders under Debian's runsv give the same lines.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { cleanup, control, makeService, readStatus, startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('runsv-fail-');
const dirs: string[] = [];
after(() => cleanup(dirs, root));

interface Case {
  name: string;
  setup: (dir: string) => void;
  message: string;
}

const cases: Case[] = [
  { name: 'missing', setup: () => {}, message: 'unable to start ./run: file does not exist' },
  {
    name: 'noexec',
    setup: (dir) => fs.writeFileSync(path.join(dir, 'run'), '#!/bin/sh\nexit 0\n', { mode: 0o644 }),
    message: 'unable to start ./run: access denied',
  },
  {
    name: 'badinterp',
    setup: (dir) => fs.writeFileSync(path.join(dir, 'run'), '#!/nonexistent/interpreter\n', { mode: 0o755 }),
    message: 'unable to start ./run: file does not exist',
  },
  {
    name: 'empty',
    setup: (dir) => fs.writeFileSync(path.join(dir, 'run'), '', { mode: 0o755 }),
    message: 'unable to start ./run: exec format error',
  },
];

async function runCase(runsv: string, impl: string, c: Case): Promise<{ lines: string[]; finish: string }> {
  const name = `${impl}-${c.name}`;
  const dir = makeService(root, name, { finish: '#!/bin/sh\necho "$@" >>finish.args\n' });
  dirs.push(dir);
  c.setup(dir);
  const p = startProc(runsv, [name], root);
  // three attempts: the first at once, then one per second
  await waitFor('three attempts', () => p.stderr().split('\n').filter(Boolean).length >= 3);
  const st = readStatus(dir);
  assert.equal(st?.want, 'u');
  control(dir, 'x');
  assert.equal(await p.exited, 0);
  const lines = p.stderr().split('\n').filter(Boolean);
  return { lines, finish: fs.readFileSync(path.join(dir, 'finish.args'), 'utf8') };
}

for (const c of cases) {
  test(`run ${c.name}: runit's message, finish gets "111 0", retried each second`, async () => {
    const t0 = Date.now();
    const ours = await runCase(tool('runsv'), 'ts', c);
    const elapsed = Date.now() - t0;
    for (const line of ours.lines) assert.equal(line, `runsv ts-${c.name}: fatal: ${c.message}`);
    assert.match(ours.finish, /^(111 0\n)+$/);
    // three attempts need at least two pauses of 1 s
    assert.ok(elapsed >= 1900, `three attempts took only ${elapsed} ms`);
    const theirs = await runCase(debianRunit().runsv, 'deb', c);
    assert.equal(theirs.lines[0], `runsv deb-${c.name}: fatal: ${c.message}`);
    assert.match(theirs.finish, /^(111 0\n)+$/);
  });
}

test('a broken service does not disturb another one', async () => {
  const good = makeService(root, 'good', { run: '#!/bin/sh\nexec sleep 1000\n' });
  const bad = makeService(root, 'bad', {});
  dirs.push(good, bad);
  const g = startProc(tool('runsv'), ['good'], root);
  const b = startProc(tool('runsv'), ['bad'], root);
  const st = await waitFor('good running', () => {
    const s = readStatus(good);
    return s?.stateCode === 1 ? s : undefined;
  });
  // two failed attempts of bad (a pause of 1 s between them) while good runs on
  await waitFor('two attempts of bad', () => b.stderr().split('\n').filter(Boolean).length >= 2);
  const later = readStatus(good);
  assert.equal(later?.pid, st.pid);
  assert.equal(later?.stateCode, 1);
  control(good, 'x');
  control(bad, 'x');
  assert.equal(await g.exited, 0);
  assert.equal(await b.exited, 0);
  assert.equal(g.stderr(), '');
});
