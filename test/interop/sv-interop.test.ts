// Debian's sv and tsinit's sv, side by side: two identical service trees,
// each supervised by its own runsv (Debian's by default; SV_INTEROP_RUNSV=tsinit
// uses tsinit's), one driven by Debian's sv and one by tsinit's, through the
// same scenario step by step. Every step must print the same stdout and
// stderr (pids and seconds normalised) and exit with the same code; many
// steps also pin the expected text, so a broken setup cannot pass by making
// both fail alike. States are awaited explicitly between steps; steps whose
// checks compare whole seconds (t, k, o) start after a second boundary.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { debianRunit, repoRoot } from '../../testkit/debian.ts';
import { fromSource, tool } from '../helpers/tsinit.ts';

const deb = debianRunit();
const useTsinitRunsv = process.env.SV_INTEROP_RUNSV === 'tsinit';
const runsvPath = useTsinitRunsv ? tool('runsv') : deb.runsv;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-interop-'));

interface Tree {
  label: string;
  dir: string;
  svdir: string;
  sv: string;
  lsbDir: string;
  runsv: Map<string, ChildProcess>;
}

const RUN_SLEEP = '#!/bin/sh\nexec sleep 1000\n';
const RUN_IGNORE_TERM = "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n";
const RUN_SIGNALS = [
  '#!/bin/sh',
  'for s in HUP ALRM INT QUIT USR1 USR2; do trap "echo $s >> sigs" $s; done',
  "trap 'echo TERM >> sigs; exit 0' TERM",
  'while :; do sleep 0.1; done',
  '',
].join('\n');
// Fails while stdout is open (sv must close it) or until ./ready exists.
const CHECK = [
  '#!/bin/sh',
  'if [ -e /proc/$$/fd/1 ]; then echo "check: stdout is open" >&2; exit 1; fi',
  '[ -e ready ] || exit 1',
  'exit 0',
  '',
].join('\n');

interface ServiceDef {
  run: string;
  down?: boolean;
  log?: string;
  finish?: string;
  check?: string;
  /** no runsv is started for it */
  unsupervised?: boolean;
}

const services: Record<string, ServiceDef> = {
  web: { run: RUN_SLEEP, log: '#!/bin/sh\nexec cat >/dev/null\n' },
  s2: { run: RUN_IGNORE_TERM, down: true },
  chk: { run: RUN_SLEEP, down: true, check: CHECK },
  sig: { run: RUN_SIGNALS },
  // ./finish runs until the test releases it (a fixed 3 s once ran out on a
  // loaded machine before the status step read the finish state)
  fin: { run: RUN_SLEEP, finish: '#!/bin/sh\nwhile [ ! -e finish-release ]; do sleep 0.05; done\n' },
  nors: { run: RUN_SLEEP },
  sd: { run: RUN_SLEEP },
  sd2: { run: RUN_SLEEP },
  sd3: { run: RUN_SLEEP },
  x1: { run: RUN_IGNORE_TERM },
  x2: { run: RUN_IGNORE_TERM },
  nosup: { run: RUN_SLEEP, unsupervised: true },
  // runsv warns "./log: not a directory" and supervises without a log
  logfile: { run: RUN_SLEEP },
  // log/ appears after runsv started, so log/supervise/ok never exists
  latelog: { run: RUN_SLEEP },
};

/**
 * Hand-made supervise/ directories (no runsv): an `ok` FIFO whose read end
 * this test holds open, and a status file written by the test.
 */
const fakes = ['short', 'nostatus', 'downloop', 'noexec', 'sigcheck', 'noshebang', 'checkloop'] as const;
const heldFds: number[] = [];

/** A running record (pid 4242, want up) with the given unix start time. */
function runningRecord(unixSec: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(4611686018427387914n + BigInt(unixSec), 0);
  b.writeUInt32BE(500, 8);
  b.writeUInt32LE(4242, 12);
  b[17] = 0x75;
  b[19] = 1;
  return b;
}

function makeFakes(t: Tree): void {
  const since = Math.floor(Date.now() / 1000) - 5;
  for (const name of fakes) {
    const sup = path.join(t.svdir, name, 'supervise');
    fs.mkdirSync(sup, { recursive: true });
    execFileSync('mkfifo', [path.join(sup, 'ok')]);
    heldFds.push(fs.openSync(path.join(sup, 'ok'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    if (name === 'short') fs.writeFileSync(path.join(sup, 'status'), 'abc');
    else if (name !== 'nostatus') fs.writeFileSync(path.join(sup, 'status'), runningRecord(since));
  }
  fs.symlinkSync('down', path.join(t.svdir, 'downloop', 'down'));
  fs.writeFileSync(path.join(t.svdir, 'noexec', 'check'), '#!/bin/sh\nexit 1\n', { mode: 0o644 });
  fs.writeFileSync(path.join(t.svdir, 'sigcheck', 'check'), '#!/bin/sh\nkill -KILL $$\n', { mode: 0o755 });
  fs.writeFileSync(path.join(t.svdir, 'noshebang', 'check'), 'exit 1\n', { mode: 0o755 });
  fs.symlinkSync('check', path.join(t.svdir, 'checkloop', 'check'));
}

function writeExec(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o755 });
}

function makeTree(label: string, sv: string): Tree {
  const dir = path.join(root, label);
  const svdir = path.join(dir, 'sv');
  const lsbDir = path.join(dir, 'init.d');
  fs.mkdirSync(lsbDir, { recursive: true });
  for (const [name, def] of Object.entries(services)) {
    const s = path.join(svdir, name);
    fs.mkdirSync(s, { recursive: true });
    writeExec(path.join(s, 'run'), def.run);
    if (def.down) fs.writeFileSync(path.join(s, 'down'), '');
    if (def.finish) writeExec(path.join(s, 'finish'), def.finish);
    if (def.check) writeExec(path.join(s, 'check'), def.check);
    if (name === 'logfile') fs.writeFileSync(path.join(s, 'log'), '');
    if (def.log) {
      fs.mkdirSync(path.join(s, 'log'));
      writeExec(path.join(s, 'log', 'run'), def.log);
    }
  }
  // LSB: /etc/init.d/NAME -> sv. From source, tsinit's sv is a shell wrapper
  // that cannot see the link's name, so a runner calls sv's main as the
  // dispatcher would for such a link.
  for (const name of ['web', 'nors', 'nosup']) {
    const link = path.join(lsbDir, name);
    if (label === 'ts' && fromSource) {
      const runner = path.join(root, 'lsb-runner.ts');
      fs.writeFileSync(
        runner,
        `import path from 'node:path';\nimport { main } from ${JSON.stringify(path.join(repoRoot, 'src', 'sv', 'main.ts'))};\n` +
          `const [invoked, ...args] = process.argv.slice(2);\n` +
          `process.exitCode = await main({ argv0: invoked as string, args, lsbName: path.basename(invoked as string) });\n`,
      );
      writeExec(link, `#!/bin/sh\nexec '${process.execPath}' --no-warnings '${runner}' "$0" "$@"\n`);
    } else {
      fs.symlinkSync(sv, link);
    }
  }
  return { label, dir, svdir, sv, lsbDir, runsv: new Map() };
}

const trees = [makeTree('deb', deb.sv), makeTree('ts', tool('sv'))] as const;

function startRunsv(t: Tree, name: string): void {
  const child = spawn(runsvPath, [path.join(t.svdir, name)], { stdio: 'ignore', detached: true });
  t.runsv.set(name, child);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function readStat(t: Tree, name: string): string {
  try {
    return fs.readFileSync(path.join(t.svdir, name, 'supervise', 'stat'), 'utf8').trimEnd();
  } catch {
    return '';
  }
}

function readPid(t: Tree, name: string): string {
  try {
    return fs.readFileSync(path.join(t.svdir, name, 'supervise', 'pid'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** Poll until `ok` holds in both trees (60 s at most: a loaded machine is slow, not wrong). */
async function until(what: string, ok: (t: Tree) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (trees.every(ok)) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${trees.map((t) => `${t.label}=${JSON.stringify(ok(t))}`).join(' ')}`);
    }
    await sleep(25);
  }
}

const statIs = (name: string, stat: string) => until(`${name} stat "${stat}"`, (t) => readStat(t, name) === stat);

/** Wait for a restart: stat "run" with a pid different from `before`. */
async function restarted(name: string, before: Map<Tree, string>): Promise<void> {
  await until(`${name} restarted`, (t) => readStat(t, name) === 'run' && readPid(t, name) !== '' && readPid(t, name) !== before.get(t));
}

function pids(name: string): Map<Tree, string> {
  return new Map(trees.map((t) => [t, readPid(t, name)]));
}

/**
 * Let the wall clock pass a whole second, so a check comparing the status
 * time with sv's start time (t, k, o) cannot pass on a record written in
 * the same second sv started.
 */
async function nextSecond(): Promise<void> {
  const now = Date.now();
  await sleep(1000 - (now % 1000) + 20);
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runSv(t: Tree, cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SVDIR: t.svdir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function normalise(text: string, t: Tree): string {
  return text
    .split(t.dir)
    .join('ROOT')
    .replace(/\(pid \d+\)/g, '(pid N)')
    .replace(/\b\d+s\b/g, 'Ns');
}

interface StepOptions {
  env?: Record<string, string>;
  /** run in the tree's root instead of its sv/ directory */
  cwd?: 'root' | 'svdir';
  /** invoke the LSB link init.d/NAME instead of sv */
  lsb?: string;
  /** expected normalised stdout and exit code (checked on Debian's result too) */
  out?: string;
  code?: number;
}

const transcript: string[] = [];

async function step(args: string[], o: StepOptions = {}): Promise<Result> {
  const label = `${o.lsb ? `init.d/${o.lsb}` : 'sv'} ${args.join(' ')}${o.env ? ` ${JSON.stringify(o.env)}` : ''}`;
  const results = await Promise.all(
    trees.map(async (t) => {
      const cmd = o.lsb ? path.join(t.lsbDir, o.lsb) : t.sv;
      const cwd = o.cwd === 'root' ? t.dir : t.svdir;
      const argv = args.map((a) => a.replace('ROOT', t.dir));
      const r = await runSv(t, cmd, argv, o.env ?? {}, cwd);
      return { code: r.code, stdout: normalise(r.stdout, t), stderr: normalise(r.stderr, t) };
    }),
  );
  const [d, s] = results as [Result, Result];
  transcript.push(`$ ${label}\n${d.stdout}${d.stderr ? `[stderr] ${d.stderr}` : ''}rc=${d.code}`);
  assert.deepEqual(s, d, `tsinit's sv differs from Debian's for: ${label}`);
  if (o.out !== undefined) assert.equal(d.stdout, o.out, `Debian's output for: ${label}`);
  if (o.code !== undefined) assert.equal(d.code, o.code, `Debian's exit code for: ${label}`);
  return d;
}

before(async () => {
  for (const t of trees) for (const [name, def] of Object.entries(services)) if (!def.unsupervised) startRunsv(t, name);
  for (const [name, def] of Object.entries(services)) {
    if (def.unsupervised) continue;
    await statIs(name, def.down ? 'down' : 'run');
  }
  await statIs('web/log', 'run');
  for (const t of trees) {
    fs.mkdirSync(path.join(t.svdir, 'latelog', 'log'));
    makeFakes(t);
  }
});

after(async () => {
  for (const t of trees) {
    for (const name of Object.keys(services)) {
      for (const p of [readPid(t, name), readPid(t, `${name}/log`)]) {
        if (p) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {
            /* gone already */
          }
        }
      }
    }
    for (const child of t.runsv.values()) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
    }
  }
  await Promise.all(trees.flatMap((t) => [...t.runsv.values()].map(exited)));
  for (const fd of heldFds) fs.closeSync(fd);
  if (process.env.SV_INTEROP_TRANSCRIPT) fs.writeFileSync(process.env.SV_INTEROP_TRANSCRIPT, `${transcript.join('\n')}\n`);
  fs.rmSync(root, { recursive: true, force: true });
});

test('usage, -V and getopt errors', async () => {
  const usage = 'usage: sv [-v] [-w sec] command service ...\n\n';
  assert.equal((await step([], { code: 100, out: '' })).stderr, usage);
  assert.equal((await step(['-V'], { code: 100 })).stderr, `$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $\n${usage}`);
  assert.equal((await step(['-x', 'status', 'web'], { code: 100 })).stderr, `sv: illegal option -- x\n${usage}`);
  await step(['-w'], { code: 100 });
  await step(['status'], { code: 100 });
  await step(['bogus', 'web'], { code: 100 });
  await step(['rel', 'web'], { code: 100 });
  await step(['force-up', 'web'], { code: 100 });
});

test('status of running, normally-down, log and missing services', async () => {
  await step(['status', 'web', 's2', 'sig'], {
    code: 0,
    out: 'run: web: (pid N) Ns; run: log: (pid N) Ns\ndown: s2: Ns\nrun: sig: (pid N) Ns\n',
  });
  await step(['s', 'web/log'], { code: 0, out: 'run: web/log: (pid N) Ns\n' });
  await step(['status', 'nonexist', 'nosup'], {
    code: 2,
    out: 'fail: nonexist: unable to change to service directory: file does not exist\nwarning: nosup: unable to open supervise/ok: file does not exist\n',
  });
  await step(['status', 'ROOT/sv/web', './sig'], { code: 0, out: 'run: ROOT/sv/web: (pid N) Ns; run: log: (pid N) Ns\nrun: ./sig: (pid N) Ns\n' });
  // "sv/sig" does not start with "/" or ".": it is looked up in SVDIR.
  await step(['status', 'sv/sig', './sv/s2'], {
    cwd: 'root',
    code: 1,
    out: 'fail: sv/sig: unable to change to service directory: file does not exist\ndown: ./sv/s2: Ns\n',
  });
});

test('log quirks, unreadable status, ./down and ./check errors, the cap at 99', async () => {
  await step(['status', 'logfile'], {
    code: 1,
    out: 'run: logfile: (pid N) Ns; warning: logfile/log: unable to change directory: not a directory\n',
  });
  // The main record is printed a second time, labelled "log".
  await step(['status', 'latelog'], {
    code: 1,
    out: 'run: latelog: (pid N) Ns; warning: latelog/log: unable to open supervise/ok: file does not exist\nrun: log: (pid N) Ns\n',
  });
  await step(['status', 'short', 'nostatus'], {
    code: 2,
    out: 'warning: short: unable to read supervise/status: bad format\nwarning: nostatus: unable to open supervise/status: file does not exist\n',
  });
  // The line is suppressed, its newline is not; the warning is not counted.
  const loop = await step(['status', 'downloop'], { code: 0, out: '\n' });
  assert.equal(loop.stderr, 'warning: unable to stat downloop/down: symbolic link loop\n');
  await step(['status', 'noexec'], { code: 0, out: 'run: noexec: (pid N) Ns\n' });
  await step(['down', 'noexec'], { code: 1, out: 'warning: noexec: unable to open supervise/control: file does not exist\n' });
  // A check that cannot be executed counts as passed, with a warning.
  const ck = await step(['check', 'noexec'], { code: 0, out: 'ok: run: noexec: (pid N) Ns\n' });
  assert.equal(ck.stderr, 'warning: unable to run noexec/check: access denied\n');
  // runit reads the exit code as status >> 8: a check killed by a signal passes.
  await step(['check', 'sigcheck'], { code: 0, out: 'ok: run: sigcheck: (pid N) Ns\n' });
  const nx = await step(['check', 'noshebang'], { code: 0, out: 'ok: run: noshebang: (pid N) Ns\n' });
  assert.equal(nx.stderr, 'warning: unable to run noshebang/check: exec format error\n');
  const cl = await step(['-w', '0', 'check', 'checkloop'], { code: 1, out: 'timeout: run: checkloop: (pid N) Ns\n' });
  assert.equal(cl.stderr, 'warning: unable to stat checkloop/check: symbolic link loop\n'.repeat(2));
  await step(['-w', '0', 'check', 'short'], { code: 1, out: 'warning: short: unable to read supervise/status: bad format\n' });
  await step(['status', ...Array.from({ length: 120 }, (_, i) => `missing${i}`)], { code: 99 });
});

test('up, down with and without -v; the skip rule; timeout; force-stop kill', async () => {
  await step(['-v', 'up', 's2'], { code: 0, out: 'ok: run: s2: (pid N) Ns, normally down\n' });
  await step(['status', 's2'], { code: 0, out: 'run: s2: (pid N) Ns, normally down\n' });
  await step(['up', 's2'], { code: 0, out: '' });
  // s2 ignores TERM: down times out and leaves "want down, got TERM".
  await step(['-w', '1', 'down', 's2'], { code: 1, out: 'timeout: run: s2: (pid N) Ns, normally down, want down, got TERM\n' });
  await step(['status', 's2'], { code: 0, out: 'run: s2: (pid N) Ns, normally down, want down, got TERM\n' });
  await step(['down', 's2'], { code: 0, out: '' });
  await step(['-v', 'down', 's2'], { env: { SVWAIT: '1' }, code: 1 });
  await step(['force-stop', 's2'], { env: { SVWAIT: '1' }, code: 1, out: 'kill: run: s2: (pid N) Ns, normally down, want down, got TERM\n' });
  await statIs('s2', 'down');
  await step(['status', 's2'], { code: 0, out: 'down: s2: Ns\n' });
  await step(['check', 's2'], { code: 0, out: 'ok: down: s2: Ns\n' });
  await step(['start', 's2'], { code: 0, out: 'ok: run: s2: (pid N) Ns, normally down\n' });
  await step(['-w', '1', 'D', 's2'], { code: 1, out: 'kill: run: s2: (pid N) Ns, normally down, want down, got TERM\n' });
  await statIs('s2', 'down');
  await step(['stop', 's2'], { code: 0, out: 'ok: down: s2: Ns\n' });
  await step(['-v', 'up', 's2'], { code: 0 });
  await nextSecond();
  await step(['-w', '1', 'T', 's2'], { code: 1, out: 'kill: run: s2: (pid N) Ns, normally down, got TERM\n' });
  await statIs('s2', 'run');
  await nextSecond();
  await step(['-w', '1', 'force-reload', 's2'], { code: 1, out: 'kill: run: s2: (pid N) Ns, normally down, got TERM\n' });
  await statIs('s2', 'run');
  await step(['d', 's2'], { code: 0, out: '' });
  await statIs('s2', 'run, got TERM, want down');
  await step(['k', 's2'], { code: 0, out: '' });
  await statIs('s2', 'down');
});

test('down, once, pause, cont and the log service of web', async () => {
  await step(['-v', 'down', 'web'], { code: 0, out: 'ok: down: web: Ns, normally up\n' });
  await step(['status', 'web'], { code: 0, out: 'down: web: Ns, normally up; run: log: (pid N) Ns\n' });
  await step(['up', 'web'], { code: 0, out: '' });
  await statIs('web', 'run');
  await step(['-v', 'once', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns, want down\n' });
  await step(['u', 'web'], { code: 0, out: '' });
  await statIs('web', 'run');
  await step(['-v', 'pause', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns, paused\n' });
  await step(['status', 'web'], { code: 0, out: 'run: web: (pid N) Ns, paused; run: log: (pid N) Ns\n' });
  await step(['-v', 'cont', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await step(['-v', 'down', 'web/log'], { code: 0, out: 'ok: down: web/log: Ns, normally up\n' });
  await step(['status', 'web'], { code: 0, out: 'run: web: (pid N) Ns; down: log: Ns, normally up\n' });
  await step(['-v', 'up', 'web/log'], { code: 0, out: 'ok: run: web/log: (pid N) Ns\n' });
});

test('term, kill, restart, try-restart, force-restart with waiting', async () => {
  let before = pids('web');
  await nextSecond();
  await step(['-v', 'term', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await restarted('web', before);
  before = pids('web');
  await nextSecond();
  await step(['-v', 'kill', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await restarted('web', before);
  await nextSecond();
  await step(['restart', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await nextSecond();
  await step(['try-restart', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await nextSecond();
  await step(['force-restart', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await nextSecond();
  await step(['force-reload', 'web'], { code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await statIs('web', 'run');
});

test('signals reach the service: hup alarm interrupt quit 1 2 reload, term', async () => {
  const sigs = (t: Tree) => {
    try {
      return fs.readFileSync(path.join(t.svdir, 'sig', 'sigs'), 'utf8');
    } catch {
      return '';
    }
  };
  const expected: string[] = [];
  for (const [cmd, sig] of [
    ['hup', 'HUP'],
    ['alarm', 'ALRM'],
    ['interrupt', 'INT'],
    ['quit', 'QUIT'],
    ['1', 'USR1'],
    ['2', 'USR2'],
    ['reload', 'HUP'],
  ] as const) {
    await step(cmd === 'reload' ? [cmd, 'sig'] : ['-v', cmd, 'sig'], { code: 0, out: 'ok: run: sig: (pid N) Ns\n' });
    expected.push(sig);
    await until(`sig got ${sig}`, (t) => sigs(t) === `${expected.join('\n')}\n`);
  }
  const before = pids('sig');
  await step(['t', 'sig'], { code: 0, out: '' });
  expected.push('TERM');
  await until('sig got TERM', (t) => sigs(t) === `${expected.join('\n')}\n`);
  await restarted('sig', before);
  // Trailing "/": sent relative to the cwd, but waited for under SVDIR.
  await step(['-v', 'pause', 'sv/sig/'], {
    cwd: 'root',
    code: 1,
    out: 'fail: sv/sig/: unable to change to service directory: file does not exist\n',
  });
  await statIs('sig', 'run, paused');
  await step(['cont', 'sv/sig/'], { cwd: 'root', code: 0, out: '' });
  await statIs('sig', 'run');
});

test('./check scripts (run with stdout closed) and sv check', async () => {
  await step(['-w', '1', 'start', 'chk'], { code: 1, out: 'timeout: run: chk: (pid N) Ns, normally down\n' });
  for (const t of trees) fs.writeFileSync(path.join(t.svdir, 'chk', 'ready'), '');
  await step(['-v', 'up', 'chk'], { code: 0, out: 'ok: run: chk: (pid N) Ns, normally down\n' });
  await step(['check', 'chk', 'sig', 'web'], { code: 0, out: 'ok: run: chk: (pid N) Ns, normally down\nok: run: sig: (pid N) Ns\nok: run: web: (pid N) Ns\n' });
  for (const t of trees) fs.rmSync(path.join(t.svdir, 'chk', 'ready'));
  await step(['-w', '1', 'check', 'chk'], { code: 1, out: 'timeout: run: chk: (pid N) Ns, normally down\n' });
  await step(['-v', 'down', 'chk'], { code: 0, out: 'ok: down: chk: Ns\n' });
  await step(['check', 'chk'], { code: 0, out: 'ok: down: chk: Ns\n' });
});

test('finish state', async () => {
  await step(['down', 'fin'], { code: 0, out: '' });
  await statIs('fin', 'finish, want down');
  await step(['status', 'fin'], { code: 0, out: 'finish: fin: (pid N) Ns, want down\n' });
  for (const t of trees) fs.writeFileSync(path.join(t.svdir, 'fin', 'finish-release'), '');
  await statIs('fin', 'down');
  await step(['status', 'fin'], { code: 0, out: 'down: fin: Ns, normally up\n' });
});

test('exit, shutdown and their force/capital forms; a runsv that is not running', async () => {
  await step(['exit', 'nors'], { code: 0, out: '' });
  await Promise.all(trees.map((t) => exited(t.runsv.get('nors') as ChildProcess)));
  await step(['status', 'nors'], { code: 1, out: 'fail: nors: runsv not running\n' });
  await step(['exit', 'nors'], { code: 0, out: 'ok: nors: runsv not running\n' });
  await step(['-v', 'e', 'nors'], { code: 0, out: 'ok: nors: runsv not running\n' });
  await step(['up', 'nors', 'nonexist'], {
    code: 2,
    out: 'fail: nors: runsv not running\nfail: nonexist: unable to change to service directory: file does not exist\n',
  });
  await step(['-v', 'down', 'nors'], { code: 1, out: 'fail: nors: runsv not running\n' });
  await step(['check', 'nors'], { code: 1, out: 'fail: nors: runsv not running\n' });
  await step(['shutdown', 'sd'], { code: 0, out: 'ok: sd: runsv not running\n' });
  await step(['E', 'sd2'], { code: 0, out: 'ok: sd2: runsv not running\n' });
  await step(['-v', 'x', 'sd3'], { code: 0, out: 'ok: sd3: runsv not running\n' });
  await step(['force-shutdown', 'x1'], { env: { SVWAIT: '1' }, code: 1, out: 'kill: run: x1: (pid N) Ns, want down, got TERM\n' });
  await step(['-w', '1', 'X', 'x2'], { code: 1, out: 'kill: run: x2: (pid N) Ns, want down, got TERM\n' });
  await Promise.all(trees.flatMap((t) => ['sd', 'sd2', 'sd3', 'x1', 'x2'].map((n) => exited(t.runsv.get(n) as ChildProcess))));
  await step(['status', 'sd', 'x1', 'x2'], {
    code: 3,
    out: 'fail: sd: runsv not running\nfail: x1: runsv not running\nfail: x2: runsv not running\n',
  });
});

test('LSB mode through /etc/init.d/NAME -> sv', async () => {
  const usage = 'usage: web [-w sec] command\n\n';
  await step(['status'], { lsb: 'web', code: 0, out: 'run: web: (pid N) Ns; run: log: (pid N) Ns\n' });
  assert.equal((await step([], { lsb: 'web', code: 2 })).stderr, usage);
  await step(['frob'], { lsb: 'web', code: 2 });
  await step(['sfoo'], { lsb: 'web', code: 2 });
  assert.equal((await step(['-x'], { lsb: 'web', code: 2 })).stderr, `web: illegal option -- x\n${usage}`);
  await step(['-V'], { lsb: 'web', code: 2 });
  await step(['stop'], { lsb: 'web', code: 0, out: 'ok: down: web: Ns, normally up\n' });
  // Debian 2.1.2: the exit code follows the log service.
  await step(['status'], { lsb: 'web', code: 0, out: 'down: web: Ns, normally up; run: log: (pid N) Ns\n' });
  await step(['-v', 'down', 'web/log'], { code: 0 });
  await step(['status'], { lsb: 'web', code: 3, out: 'down: web: Ns, normally up; down: log: Ns, normally up\n' });
  await step(['-v', 'up', 'web/log'], { code: 0 });
  await step(['start', 'extra', 'words'], { lsb: 'web', code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await step(['-w', '1', 'start'], { lsb: 'web', code: 0, out: 'ok: run: web: (pid N) Ns\n' });
  await step(['status'], { lsb: 'nors', code: 1, out: 'fail: nors: runsv not running\n' });
  await step(['status'], { lsb: 'nosup', code: 4, out: 'warning: nosup: unable to open supervise/ok: file does not exist\n' });
  await step(['start'], { lsb: 'nosup', code: 1 });
});

test('without SVDIR names are looked up in /etc/service/ (private mount namespace)', () => {
  const script = 'mount -t tmpfs tmpfs /etc && mkdir -p /etc/service/x && exec "$0" status x nope';
  const outputs = [deb.sv, tool('sv')].map((sv) => {
    const r = spawnSync('unshare', ['--mount', 'sh', '-c', script, sv], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  });
  assert.deepEqual(outputs[0], {
    code: 2,
    stdout: 'warning: x: unable to open supervise/ok: file does not exist\nfail: nope: unable to change to service directory: file does not exist\n',
    stderr: '',
  });
  assert.deepEqual(outputs[1], outputs[0]);
});

test('each output line is one write(2) to stdout, as with Debian (strace)', () => {
  const writes = (t: Tree): string[] => {
    const log = path.join(root, `strace-${t.label}.txt`);
    spawnSync('strace', ['-f', '-qq', '-s', '1000', '-e', 'trace=write', '-e', 'signal=none', '-o', log, t.sv, 'status', 'web', 'nonexist', 'latelog', 'nosup'], {
      cwd: t.svdir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SVDIR: t.svdir },
    });
    return fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => /\bwrite\(1, /.test(l))
      .map((l) => normalise(l.replace(/^\d+\s+/, '').replace(/\) = \d+$/, ')'), t).replace(/, \d+\)$/, ')'));
  };
  const [d, s] = trees.map(writes) as [string[], string[]];
  assert.deepEqual(d, [
    'write(1, "run: web: (pid N) Ns; run: log: (pid N) Ns\\n")',
    'write(1, "fail: nonexist: unable to change to service directory: file does not exist\\n")',
    'write(1, "run: latelog: (pid N) Ns; warning: latelog/log: unable to open supervise/ok: file does not exist\\n")',
    'write(1, "run: log: (pid N) Ns\\n")',
    'write(1, "warning: nosup: unable to open supervise/ok: file does not exist\\n")',
  ]);
  assert.deepEqual(s, d);
});
