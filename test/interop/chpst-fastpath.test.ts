// chpst's fast path side by side with runit: every combination of
// chpst-cases.ts becomes a service whose run script is the one-liner
// `exec CHPST ARGS PROGRAM`, supervised once by Debian's runsv with Debian's
// chpst and once by tsinit's runsv with tsinit's chpst (which starts it
// through the exec helper, no Node). The program's report (ids, groups,
// limits, nice, session, cwd, umask, signals, descriptors, lock, environment),
// the exit status finish sees, runsv's output, whether supervise/pid is the
// program's pid, and whether a Node process ran before the program (minor page
// faults carried over execve: a Node start makes thousands) must be the same.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fromSource, privateToolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { cases, holdLock, impls, lockFile, probe, root, shared, tmp, type Case } from '../helpers/chpst-cases.ts';

const PLAIN = /^[A-Za-z0-9_@%+,./:=-]+$/;
// this checkout's build under every name (the fast path recognises chpst as the running executable)
const ours = privateToolBin(path.join(tmp, 'tsinit-bin'));
const tsinitTool = (n: string): string => path.join(ours, n);
const chpstOf = (impl: 'tsinit' | 'debian', n: Parameters<typeof impls.debian>[0]): string => (impl === 'tsinit' ? tsinitTool(n) : impls.debian(n));
const svc = path.join(tmp, 'fastsvc');
const progs = path.join(tmp, 'progs');
fs.mkdirSync(progs);
fs.mkdirSync(path.join(root, progs), { recursive: true });
const children: number[] = [];
after(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

// The report, then: was there a Node start before us, and wait until the test
// has compared supervise/pid with our pid ($o.go).
const fastProbe = path.join(progs, 'probe');
fs.writeFileSync(
  fastProbe,
  `#!/bin/sh
mf=$(cut -d' ' -f10 /proc/$$/stat)
echo $$ >"$1.pid"
${probe.replace('} >"$o" 2>&1', `echo "node ran before the program: $([ "$mf" -gt 1500 ] && echo yes || echo no)"\n} >"$o" 2>&1`)}
i=0
while [ ! -e "$o.go" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
`,
  { mode: 0o755 },
);

/** `sh -c SCRIPT` as `sh FILE` (plain words), the file also inside the -/ root. */
function plainWords(words: readonly string[]): string[] {
  const at = words.findIndex((w, i) => w === 'sh' && words[i + 1] === '-c');
  if (at === -1) return [...words];
  const body = words[at + 2] as string;
  const file = path.join(progs, `p${createHash('sha256').update(body).digest('hex').slice(0, 12)}`);
  for (const f of [file, path.join(root, file)]) fs.writeFileSync(f, `${body}\n`, { mode: 0o755 });
  return [...words.slice(0, at), 'sh', file, ...words.slice(at + 3)];
}

interface Result {
  runScript: string;
  finish: string;
  output: string;
  report: string;
  svPidIsProgram: string;
}

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runService(c: Case, impl: 'tsinit' | 'debian'): Promise<Result> {
  const report = path.join(shared, 'report');
  for (const f of [report, `${report}.pid`, `${report}.go`, `${report}.fds`, lockFile]) fs.rmSync(f, { force: true });
  fs.rmSync(svc, { recursive: true, force: true });
  fs.mkdirSync(svc);
  const chpst = chpstOf(impl, c.tool ?? 'chpst');
  const prog = c.nested ? [chpstOf(impl, 'chpst'), ...plainWords(c.nested)] : c.prog ? plainWords(c.prog) : [fastProbe, report];
  const words = [chpst, ...c.args, ...prog];
  for (const w of words) assert.match(w, PLAIN, `not a plain word: ${w}`);
  const runScript = `#!/bin/sh\nexec ${words.join(' ')}\n`;
  fs.writeFileSync(path.join(svc, 'run'), runScript, { mode: 0o755 });
  const finished = path.join(tmp, 'finished');
  fs.rmSync(finished, { force: true });
  fs.writeFileSync(path.join(svc, 'finish'), `#!/bin/sh\necho "$1 $2" >${finished}.tmp; /bin/mv ${finished}.tmp ${finished}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(svc, 'down'), '');
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', LANG: 'C', ...c.env };
  const off = process.env.TSINIT_CHPST_FASTPATH;
  if (off !== undefined) env.TSINIT_CHPST_FASTPATH = off;
  if (env.PATH === '') delete env.PATH;
  const release = c.holdLock ? holdLock(c.holdLock) : undefined;
  const runsv = impl === 'debian' ? debianRunit().runsv : tsinitTool('runsv');
  const child = spawn(runsv, [svc], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child.pid as number);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (output += d.toString('latin1')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const stat = path.join(svc, 'supervise', 'stat');
    await until('runsv', () => fs.existsSync(stat) && fs.readFileSync(stat, 'utf8') === 'down\n');
    fs.writeFileSync(path.join(svc, 'supervise', 'control'), 'o');
    await until('the program or finish', () => fs.existsSync(`${report}.pid`) || fs.existsSync(finished));
    let svPidIsProgram = 'no program';
    if (fs.existsSync(`${report}.pid`)) {
      await until('the pid file', () => fs.readFileSync(`${report}.pid`, 'utf8').endsWith('\n'));
      const mine = fs.readFileSync(`${report}.pid`, 'utf8').trim();
      // the supervisor writes supervise/pid after the start: wait for it, not for a time
      const pidFile = path.join(svc, 'supervise', 'pid');
      await until('supervise/pid', () => fs.readFileSync(pidFile, 'utf8').trim() !== '', 10_000).catch(() => undefined);
      const sv = fs.readFileSync(pidFile, 'utf8').trim();
      svPidIsProgram = sv === mine ? 'yes' : `no (${sv} vs ${mine})`;
      fs.writeFileSync(`${report}.go`, '');
    }
    await until('finish', () => fs.existsSync(finished));
    fs.writeFileSync(path.join(svc, 'supervise', 'control'), 'x');
    await exited;
    const text = fs.existsSync(report) ? fs.readFileSync(report, 'latin1') : '';
    return { runScript: runScript.replace(chpst, 'CHPST').replace(chpstOf(impl, 'chpst'), 'CHPST'), finish: fs.readFileSync(finished, 'utf8'), output, report: text, svPidIsProgram };
  } finally {
    release?.();
    child.kill('SIGKILL');
  }
}

// The fast path needs the built executable (it recognises chpst as itself).
const skip = fromSource ? 'the fast path recognises the built executable only' : false;

for (const c of cases) {
  test(`fast path: ${c.tool ?? 'chpst'} ${c.name}`, { skip }, async () => {
    const theirs = await runService(c, 'debian');
    const ours = await runService(c, 'tsinit');
    assert.deepEqual(ours, theirs);
  });
}

test('fast path: the comparison observes what it claims', { skip }, async () => {
  const c: Case = { name: 'x', args: ['-u', 'nobody', '-n', '4', '-o', '77', '-P', '-L', lockFile], env: { LOCKF: lockFile } };
  const r = await runService(c, 'tsinit');
  assert.equal(r.finish, '0 0\n');
  assert.equal(r.svPidIsProgram, 'yes');
  assert.match(r.report, /node ran before the program: no/);
  assert.match(r.report, /session is self: y; nice: 4/);
  assert.match(r.report, /uid: 65534 gid: 65534 groups: 65534\n/);
  assert.match(r.report, /lock: held/);
  assert.match(r.report, /Max open files\s+77\s+/);
  // and with the fast path off, the same service shows the Node start - with
  // no tool service in reach either: a tool client's chpst (TSINIT_TEST_TOOLS=client)
  // would be served by it and start no Node at all
  process.env.TSINIT_CHPST_FASTPATH = '0';
  try {
    const slow = await runService({ ...c, env: { ...c.env, TSINIT_RUN_DIR: path.join(tmp, 'no-tool-service') } }, 'tsinit');
    assert.match(slow.report, /node ran before the program: yes/);
  } finally {
    delete process.env.TSINIT_CHPST_FASTPATH;
  }
});
