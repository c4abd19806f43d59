// chpst through the thin client: every case of chpst-cases.ts, planned for a
// client (chpst-ops.ts, the caller's facts as the request carries them),
// gives the operations the supervisor's fast path gives the exec helper for
// the same one-liner - or falls back where the fast path does, for the
// reasons listed.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { cases, probe as probeScript, tmp, type Case } from '../helpers/chpst-cases.ts';
import { planChpst, planFastChpst, type FastPlanSystem } from '../../src/chpst/fast-plan.ts';
import { chpstOps, realFiles, type PlanFiles } from '../../src/tool-service/chpst-ops.ts';
import { IN_PROCESS_ENVDIR_MAX } from '../../src/chpst/envdir.ts';
import { main as chpstMain } from '../../src/chpst/main.ts';
import { getpriority, getrlimit, PRIO_PROCESS } from '../../native/libc.ts';
import type { ExecPlan } from '../../src/tool.ts';
import fs from 'node:fs';

// The chpst words name tsinit's chpst (here: this fake bin directory).
const bin = path.join(tmp, 'handler-bin');
const isOurs = (f: string): boolean => f.startsWith(`${bin}/`);
const files: PlanFiles = { ...realFiles, probe: (f) => (isOurs(f) ? { executable: true, tsinit: true, otherExec: true } : realFiles.probe(f)) };
const report = path.join(tmp, 'report');
const progFile = path.join(tmp, 'handler-probe');
fs.writeFileSync(progFile, `#!/bin/sh\n${probeScript}`, { mode: 0o755 });

const limits = Array.from({ length: 16 }, (_, res) => getrlimit(res));
const nice = getpriority(PRIO_PROCESS, 0);

function words(c: Case): string[] {
  const chpst = path.join(bin, c.tool ?? 'chpst');
  const prog = c.nested ? [path.join(bin, 'chpst'), ...c.nested] : (c.prog ?? [progFile, report]);
  return [chpst, ...c.args, ...prog];
}

function envOf(c: Case): string[] {
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', LANG: 'C', ...c.env };
  if (env.PATH === '') delete env.PATH;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The fast path's system for a supervisor running as root (or not) in `tmp`. */
function fastSystem(root: boolean): FastPlanSystem {
  return { ...files, cwd: tmp, hardLimit: (res) => getrlimit(res).hard, nice, root };
}

/** What the handler answers for this chpst call: the tool's own usage, EXEC words, or FALLBACK. */
function clientAnswer(c: Case, uid: number): { usage: number } | { exec: string[] } | { fallback: string } {
  const [argv0, ...args] = words(c) as [string, ...string[]];
  const result = chpstMain({ argv0, args, env: {}, cwd: tmp, stdin: -1, stdout: -1, stderr: -1, pid: 2, uid, gid: uid, write: () => {} });
  if (typeof result === 'number') return { usage: result };
  const ops = chpstOps(result as ExecPlan, { cwd: tmp, env: envOf(c).map((e) => Buffer.from(e)), nice, limits, uid }, files);
  return ops.kind === 'exec' ? { exec: ops.words.map(String) } : { fallback: ops.why };
}

/** The cases the fast path (and so the client) leaves to a real chpst, and why. */
const FALLBACKS: Record<string, string> = {
  'envdir missing': 'envdir error: the real chpst prints it',
  'envdir alias, subdirectory is fatal': 'envdir error: the real chpst prints it',
  'unreadable envdir file as nobody': 'an envdir read after -u nobody (as another user)',
  'nice -5 as nobody': 'lowering nice after -u nobody needs privilege',
  "-/ root, -u from the root's passwd": "the account is looked up in the new root's passwd",
  'setuidgid takes no groups': 'no such account (nobody:nogroup): the real chpst prints it',
  'unknown user': 'no such account: the real chpst prints it',
  'unknown group': 'no such group: the real chpst prints it',
  'invalid uid/gids': 'no such account: the real chpst prints it',
};

/** The cases chpst's own usage answers (exit 100) before anything is planned. */
const USAGE = new Set(['usage errors', 'bad number', 'softlimit bad number prints chpst usage']);

for (const c of cases) {
  test(`client chpst plan = fast path plan: ${c.tool ?? 'chpst'} ${c.name}`, () => {
    const fast = planFastChpst(words(c), envOf(c), fastSystem(true));
    const client = clientAnswer(c, 0);
    if (USAGE.has(c.name)) {
      assert.deepEqual(client, { usage: 100 });
      assert.equal(fast, undefined);
      return;
    }
    assert.equal(fast === undefined, c.name in FALLBACKS, `listed as a fallback: ${c.name in FALLBACKS}`);
    if (fast === undefined) {
      assert.ok('fallback' in client, `the fast path falls back, the client must too: ${JSON.stringify(client)}`);
      return;
    }
    assert.deepEqual(client, { exec: fast });
    // a non-root caller is planned as a non-root supervisor would be (envdir:
    // the policy falls back before), except that PID 1 looks at no file for
    // it: a chained chpst is not followed but exec'd by the client itself
    const [first, ...rest] = words(c) as [string, ...string[]];
    const fastUser = planChpst(first, rest, envOf(c), { ...fastSystem(false), probe: () => undefined });
    const user = clientAnswer(c, 65534);
    assert.deepEqual(user, fastUser === undefined ? user : { exec: fastUser });
    if (fastUser === undefined) assert.ok('fallback' in user);
  });
}

test('the listed fallbacks are cases of the table', () => {
  for (const name of Object.keys(FALLBACKS)) assert.ok(cases.some((x) => x.name === name), name);
});

test('the caller\'s facts, not PID 1\'s: its hard limits, its nice value, its PATH', () => {
  const c: Case = { name: 'x', args: ['-n', '2', '-o', '50'], prog: ['probe-x'] };
  const [argv0, ...args] = words(c) as [string, ...string[]];
  const plan: ExecPlan = { tool: 'chpst', argv0, args };
  const own = limits.map((l, res) => (res === 7 ? { soft: 100n, hard: 200n } : l));
  const ops = chpstOps(plan, { cwd: tmp, env: [Buffer.from('PATH=/a:/b')], nice: 5, limits: own, uid: 0 }, files);
  assert.equal(ops.kind, 'exec');
  const w = (ops as { words: Buffer[] }).words.map(String);
  // nice: 5 + 2; RLIMIT_NOFILE (7): soft 50 under the caller's hard 200
  const at = (op: string): string[] => w.slice(w.indexOf(op), w.indexOf(op) + 4);
  assert.deepEqual(at('p').slice(0, 2), ['p', '7']);
  assert.deepEqual(at('l'), ['l', '7', '50', '200']);
  assert.deepEqual(w.filter((x, i) => w[i - 1] === 'X'), ['/a/probe-x', '/b/probe-x']);
  // a request without the 16 limits falls back
  assert.equal(chpstOps(plan, { cwd: tmp, env: [], nice: 0, limits: own.slice(0, 3), uid: 0 }, files).kind, 'fallback');
});

test('for a non-root caller PID 1 probes no file: a chpst in a directory it may not search is exec\'d by the client, not chained', () => {
  const probed: string[] = [];
  const spy: PlanFiles = { ...files, probe: (f) => (probed.push(f), { executable: true, tsinit: true, otherExec: true }) };
  const hidden = '/root-only/chpst';
  const plan: ExecPlan = { tool: 'chpst', argv0: 'chpst', args: [hidden, '-u', 'root', 'true'] };
  const user = chpstOps(plan, { cwd: tmp, env: [Buffer.from('PATH=/usr/bin:/bin')], nice, limits, uid: 65534 }, spy);
  assert.equal(user.kind, 'exec');
  const w = (user as { words: Buffer[] }).words.map(String);
  assert.equal(probed.length, 0, probed.join(" "));
  assert.deepEqual(w.slice(w.indexOf('X')), ['X', hidden, '--', hidden, '-u', 'root', 'true']);
  // a root caller's chain is still followed (root could search the directory)
  const root = chpstOps(plan, { cwd: tmp, env: [Buffer.from('PATH=/usr/bin:/bin')], nice, limits, uid: 0 }, spy);
  assert.ok(probed.includes(hidden));
  assert.ok((root as { words: Buffer[] }).words.map(String).includes('u'));
});

test('an envdir of more than IN_PROCESS_ENVDIR_MAX entries is not read inside PID 1: the client and the fast path fall back', () => {
  const big = path.join(tmp, 'big-envdir');
  fs.mkdirSync(big, { recursive: true });
  for (let i = 0; i < IN_PROCESS_ENVDIR_MAX; i++) fs.writeFileSync(path.join(big, `V${i}`), `${i}\n`);
  fs.writeFileSync(path.join(big, '.hidden'), 'not counted\n');
  const c: Case = { name: 'big envdir', args: ['-e', big] };
  // at the bound: read and planned, every variable set
  const atBound = clientAnswer(c, 0);
  assert.ok('exec' in atBound, JSON.stringify(atBound));
  assert.equal(atBound.exec.filter((w) => /^V\d+=/.test(w)).length, IN_PROCESS_ENVDIR_MAX);
  assert.deepEqual(atBound.exec, planFastChpst(words(c), envOf(c), fastSystem(true)));
  // one more: a chpst process of its own reads it
  fs.writeFileSync(path.join(big, 'ONE_MORE'), 'x\n');
  const over = clientAnswer(c, 0);
  assert.ok('fallback' in over, JSON.stringify(over));
  assert.equal(planFastChpst(words(c), envOf(c), fastSystem(true)), undefined);
});
