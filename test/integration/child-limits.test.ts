// Node raises its own soft RLIMIT_NOFILE to the hard limit before any
// JavaScript runs; tsinit's children must still get the limit tsinit was
// started with, as under runit (issue 8 item 10). chpst -o still sets its own.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir } from '../helpers/pidns.ts';
import { privateToolBin } from '../helpers/tsinit.ts';
import { serviceDir } from '../helpers/services.ts';

// this checkout's build under every name (.cache/bin may point at another checkout's)
const bin = privateToolBin(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-bin-')));
const toolBin = (): string => bin;
const tsinit = (): string => path.join(bin, 'tsinit');

const hard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0);
const skip = hard <= 1024 ? `the hard open-files limit (${hard}) leaves nothing to raise` : false;

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('command mode: the command gets the soft limit of the shell that started tsinit', { skip }, () => {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn 1024; "$0" -- sh -c "ulimit -Sn; ulimit -Hn"; :', tsinit()], { encoding: 'utf8' });
  assert.equal(r.stdout, `1024\n${hard}\n`, r.stderr);
});

test('command mode: a missing command is still reported as before', { skip }, () => {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn 1024; "$0" -- /nonexistent/cmd; echo "rc=$?"', tsinit()], { encoding: 'utf8' });
  assert.match(r.stdout, /rc=127/);
  assert.match(r.stderr, /unable to run: \/nonexistent\/cmd: file does not exist/);
});

test('PID 1 told TSINIT_RLIMIT_NOFILE: stages, plain services, chpst one-liners (fast and slow) get it; -o still wins; the variable is not passed on', { skip }, async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-limits-'));
  fs.chmodSync(marks, 0o777);
  const probe = path.join(marks, 'probe');
  fs.writeFileSync(probe, '#!/bin/sh\nulimit -Sn >"$1.tmp"; env >>"$1.tmp"; mv "$1.tmp" "$1"\nexec sleep 1000\n', { mode: 0o755 });
  const svc = serviceDir({
    plain: { run: `${probe} ${marks}/plain` },
    fast: { run: `exec chpst -u nobody ${probe} ${marks}/fast` },
    own: { run: `exec chpst -o 77 ${probe} ${marks}/own` },
    // envdir read after dropping privileges: the fast path falls back to Node chpsts
    slow: { run: `exec chpst -u nobody envdir ${marks}/env ${probe} ${marks}/slow` },
  });
  fs.mkdirSync(path.join(marks, 'env'));
  fs.writeFileSync(path.join(marks, 'env', 'FOO'), 'bar\n');
  const stages = runitDir({ '1': `ulimit -Sn >${marks}/stage1` });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: stages, TSINIT_SERVICE_DIR: svc, PATH: `${toolBin()}:/usr/bin:/bin`, TSINIT_RLIMIT_NOFILE: '1000' });
  try {
    await until('all reports', () => ['plain', 'fast', 'own', 'slow', 'stage1'].every((n) => fs.existsSync(path.join(marks, n))));
  } finally {
    await r.signal('SIGTERM');
    await r.exit;
  }
  const first = (n: string): string => fs.readFileSync(path.join(marks, n), 'utf8').split('\n')[0] as string;
  assert.equal(first('stage1'), '1000');
  assert.equal(first('plain'), '1000');
  assert.equal(first('fast'), '1000');
  assert.equal(first('own'), '77');
  assert.equal(first('slow'), '1000');
  assert.match(fs.readFileSync(path.join(marks, 'slow'), 'utf8'), /\nFOO=bar\n/);
  for (const n of ['plain', 'fast', 'own', 'slow']) assert.doesNotMatch(fs.readFileSync(path.join(marks, n), 'utf8'), /TSINIT_RLIMIT_NOFILE/);
});
