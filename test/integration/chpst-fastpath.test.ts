// chpst's fast path under tsinit as PID 1: a crash-looping `exec chpst ...`
// service restarts without any Node process (counted from the pids of a fresh
// PID namespace: every task, thread or process, takes one), and a run script
// that is not the plain one-liner takes the slow path to the same result.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir } from '../helpers/pidns.ts';
import { fromSource, privateToolBin } from '../helpers/tsinit.ts';
import { serviceDir } from '../helpers/services.ts';

// this checkout's build under every name (.cache/bin may point at another checkout's)
const bin = privateToolBin(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-bin-')));
const toolBin = (): string => bin;
const tsinit = (): string => path.join(bin, 'tsinit');

const skip = fromSource ? 'the fast path recognises the built executable only' : false;

function marksDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-fast-'));
  fs.chmodSync(d, 0o777);
  return d;
}

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A program that appends "PID MINFLT" and exits 1, creating no process of its
 * own (builtins only): minflt counts the page faults of everything this pid
 * ran before the program, across execve (a Node start makes thousands).
 */
function crashProgram(marks: string): string {
  const prog = path.join(marks, 'crash');
  fs.writeFileSync(prog, `#!/bin/sh\nread -r s </proc/$$/stat\nset -- $s\necho "$$ \${10}" >>${marks}/starts\nexit 1\n`, { mode: 0o755 });
  return prog;
}

function starts(marks: string): [number, number][] {
  const f = path.join(marks, 'starts');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ').map(Number) as [number, number]);
}

async function crashLoop(env: Record<string, string>): Promise<[number, number][]> {
  const marks = marksDir();
  const svc = serviceDir({ crash: { run: `exec chpst -u nobody -o 64 ${crashProgram(marks)}` } });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: runitDir({}), TSINIT_SERVICE_DIR: svc, PATH: `${toolBin()}:/usr/bin:/bin`, ...env });
  try {
    await until('six starts', () => starts(marks).length >= 6);
  } finally {
    await r.signal('SIGTERM');
    await r.exit;
  }
  return starts(marks);
}

test('a crash-looping `exec chpst -u nobody PROG` service restarts without starting Node', { skip }, async () => {
  const s = await crashLoop({});
  for (const [pid, minflt] of s) assert.ok(minflt < 1500, `start as pid ${pid}: ${minflt} minor faults before the program, a Node start?`);
  // In the fresh namespace every task takes the next pid. Between two starts
  // only the restarted service itself is created (sh, then the exec helper,
  // then the program: one pid). A Node process would add its threads.
  const gaps = s.slice(1).map(([pid], i) => pid - (s[i] as [number, number])[0]);
  assert.deepEqual(gaps.slice(1), gaps.slice(1).map(() => 1), `pids of successive starts: ${s.map(([p]) => p).join(' ')}`);
});

test('the same crash loop with the fast path off (0, false, off: every boolean spelling) does start Node (the probe sees it)', { skip }, async () => {
  for (const off of ['0', 'false', 'off']) {
    const s = await crashLoop({ TSINIT_CHPST_FASTPATH: off });
    assert.ok(s.every(([, minflt]) => minflt > 1500), `${off}: ${s.map(([p, m]) => `${p}:${m}`).join(' ')}`);
    const gaps = s.slice(1).map(([pid], i) => pid - (s[i] as [number, number])[0]);
    assert.ok(gaps.slice(1).every((g) => g > 1), `${off}: Node's threads take pids: ${gaps.join(' ')}`);
  }
});

test('a run script that is not the plain one-liner takes the slow path, with the same result', { skip }, async () => {
  const marks = marksDir();
  const probe = path.join(marks, 'probe');
  fs.writeFileSync(
    probe,
    `#!/bin/sh\nout=$1\nread -r s </proc/$$/stat\nset -- $s\nmf=\${10}\n{ id; ulimit -n; ulimit -Hn; cut -d' ' -f19 /proc/$$/stat; [ "$mf" -gt 1500 ] && echo node || echo no-node; } >"$out"\nexec sleep 1000\n`,
    { mode: 0o755 },
  );
  const args = `-u nobody:nogroup -o 99 -n 2 ${probe}`;
  const svc = serviceDir({
    fast: { run: `exec chpst ${args} ${marks}/fast` },
    // a variable assignment before the exec: not the one-liner
    slow: { run: `X=1\nexec chpst ${args} ${marks}/slow` },
  });
  const r = run([tsinit()], { TSINIT_RUNIT_DIR: runitDir({}), TSINIT_SERVICE_DIR: svc, PATH: `${toolBin()}:/usr/bin:/bin` });
  try {
    await until('both reports', () => ['fast', 'slow'].every((n) => fs.existsSync(path.join(marks, n)) && fs.readFileSync(path.join(marks, n), 'utf8').split('\n').length >= 6));
  } finally {
    await r.signal('SIGTERM');
    await r.exit;
  }
  const fast = fs.readFileSync(path.join(marks, 'fast'), 'utf8').split('\n');
  const slow = fs.readFileSync(path.join(marks, 'slow'), 'utf8').split('\n');
  assert.equal(fast[4], 'no-node');
  assert.equal(slow[4], 'node');
  assert.deepEqual(fast.slice(0, 4), slow.slice(0, 4));
  assert.match(fast[0] as string, /^uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)$/);
  assert.equal(fast[1], '99');
  assert.equal(fast[3], '2');
});
