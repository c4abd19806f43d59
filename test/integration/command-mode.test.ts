// tsinit -- CMD: exit codes, signal forwarding, a clean child environment,
// missing commands, and subreaping when tsinit is not PID 1.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, tsinit } from '../helpers/pidns.ts';
import { FORWARDED_SIGNALS } from '../../src/init/signals.ts';
import { debianPackage } from '../../testkit/debian.ts';

/** Waits for a condition (generously: the machine may be loaded), failing with what was awaited. */
async function waitUntil(what: string, cond: () => boolean, timeoutMs = 30000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

test('exit codes 0..255 pass through', { timeout: 900000 }, async () => {
  const codes = Array.from({ length: 256 }, (_, i) => i);
  const seen = new Map<number, number | null>();
  // Eight at a time: each run is one short process.
  for (let i = 0; i < codes.length; i += 8) {
    await Promise.all(
      codes.slice(i, i + 8).map(async (c) => {
        const r = run([tsinit(), '--', 'sh', '-c', `exit ${c}`], {}, { pidns: false });
        seen.set(c, (await r.exit).code);
      }),
    );
  }
  for (const c of codes) assert.equal(seen.get(c), c, `exit ${c}`);
});

for (const [sig, code] of [['TERM', 143], ['USR1', 138], ['USR2', 140], ['KILL', 137]] as const) {
  test(`a command killed by SIG${sig} gives ${code}`, async () => {
    const r = run([tsinit(), '--', 'sh', '-c', `kill -${sig} $$`], {}, { pidns: false });
    assert.equal((await r.exit).code, code);
  });
}

test('every forwarded signal sent to tsinit reaches the child', { timeout: 240000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-sig-'));
  const logFile = path.join(dir, 'got');
  const names = FORWARDED_SIGNALS.map((s) => s.slice(3)).filter((s) => s !== 'TERM');
  // bash can trap every one of these by name; each handler appends its name.
  const traps = names.map((n) => `trap 'echo ${n} >> ${logFile}' ${n}`).join('; ');
  const script = `${traps}; trap 'echo TERM >> ${logFile}; exit 0' TERM; echo ready; while :; do sleep 0.05; done`;
  // With the tool service (the default) SIGIO is tsinit's own (its socket's readiness): not forwarded.
  for (const [pidns, tools] of [[true, 'on'], [false, 'off']] as const) {
    fs.rmSync(logFile, { force: true });
    const r = run([tsinit(), '--', 'bash', '-c', script], { TSINIT_TOOLS: tools }, { pidns });
    await r.waitFor(/^ready$/m);
    const recorded = (n: string): boolean => fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').split('\n').includes(n);
    for (const n of names) {
      if (n === 'IO' && tools === 'on') continue;
      await r.signal(`SIG${n}` as NodeJS.Signals);
      // wait until the child has recorded it before the next one (shells coalesce)
      await waitUntil(`SIG${n} recorded`, () => recorded(n));
      if (n === 'TSTP') await r.signal('SIGCONT');
    }
    if (tools === 'on') {
      // IO, then HUP again: once HUP is recorded a second time, a forwarded IO would be there too
      fs.rmSync(logFile, { force: true });
      await r.signal('SIGIO');
      await r.signal('SIGHUP');
      await waitUntil('SIGHUP recorded after SIGIO', () => recorded('HUP'));
      assert.equal(recorded('IO'), false, 'SIGIO was forwarded with the tool service on');
    }
    await r.signal('SIGTERM');
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    const got = new Set(fs.readFileSync(logFile, 'utf8').trim().split('\n'));
    if (tools === 'off') for (const n of [...names, 'TERM']) assert.ok(got.has(n), `SIG${n} did not reach the child (pidns=${pidns}); got ${[...got].join(' ')}`);
    else assert.ok(got.has('TERM'));
  }
});

test('-g delivers signals to the whole process group of the command', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-grp-'));
  const f = path.join(dir, 'grandchild');
  const script = `sh -c "trap 'echo got-hup > ${f}; exit 0' HUP; echo ready; while :; do sleep 0.05; done" & trap '' HUP; wait`;
  const r = run([tsinit(), '-g', '--', 'sh', '-c', script], {}, { pidns: false });
  await r.waitFor(/^ready$/m);
  await r.signal('SIGHUP');
  await waitUntil('the grandchild got HUP', () => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('\n'));
  assert.equal(fs.readFileSync(f, 'utf8').trim(), 'got-hup');
  await r.exit;
});

test('a missing command gives 127 and a clear message; a non-executable one 126', async () => {
  const r = run([tsinit(), '--', 'no-such-command-anywhere'], {}, { pidns: false });
  assert.equal((await r.exit).code, 127);
  assert.match(r.output(), /unable to run: no-such-command-anywhere: file does not exist/);
  const plain = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-noexec-')), 'data');
  fs.writeFileSync(plain, 'not a program\n', { mode: 0o644 });
  const r2 = run([tsinit(), '--', plain], {}, { pidns: false });
  assert.equal((await r2.exit).code, 126);
  assert.match(r2.output(), /unable to run: .*\/data: access denied/);
});

test('the command starts with default signal dispositions and an empty mask', async () => {
  // Start tsinit itself with SIGINT and SIGQUIT ignored and SIGUSR1 blocked,
  // as a careless parent might: none of that may leak into the command.
  const probe = "grep -E '^(SigIgn|SigBlk)' /proc/self/status";
  for (const pidns of [true, false]) {
    const r = run(['sh', '-c', `trap '' INT QUIT; exec "$0" -- sh -c "${probe}"`, tsinit()], {}, { pidns });
    assert.equal((await r.exit).code, 0);
    assert.match(r.output(), /SigIgn:\t0000000000000000/);
    assert.match(r.output(), /SigBlk:\t0000000000000000/);
  }
});

test('a command that ignores TERM is killed when the shutdown budget runs out', async () => {
  const r = run([tsinit(), '--', 'sh', '-c', "trap '' TERM; echo ready; while :; do sleep 0.1; done"], { TSINIT_SHUTDOWN_TIMEOUT: '1' }, { pidns: true });
  await r.waitFor(/^ready$/m);
  const sent = Date.now();
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.equal(ex.code, 137);
  // the budget is 1 s; the slack is for a loaded machine, not a speed claim
  assert.ok(Date.now() - sent < 15000, `${Date.now() - sent} ms`);
  assert.match(r.output(), /command not terminated, sending sigkill/);
});

test('as a subreaper (not PID 1), orphans of its children are adopted and reaped', async () => {
  // The command orphans 50 sleeps that live until it kills them (no race
  // with a busy machine), lists tsinit's children (the sleeps must have been
  // re-parented to tsinit), kills them, and waits until tsinit has reaped
  // every one (a zombie still shows in ps until then).
  const script = `
i=0; while [ $i -lt 50 ]; do (sleep 1000 &); i=$((i+1)); done
adopted=$(ps -o comm= --ppid $PPID | grep -c '^sleep$')
echo "adopted=$adopted"
kill $(ps -o pid=,comm= --ppid $PPID | awk '$2 == "sleep" { print $1 }')
while ps -o comm= --ppid $PPID | grep -q '^sleep$'; do sleep 0.05; done
zombies=$(ps -o stat= --ppid $PPID | grep -c Z)
echo "zombies=$zombies"`;
  const r = run([tsinit(), '--', 'sh', '-c', script], { TSINIT_LOG_LEVEL: 'debug' }, { pidns: false });
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  const adopted = Number(/adopted=(\d+)/.exec(out)?.[1]);
  assert.equal(adopted, 50, `only ${adopted} processes adopted by tsinit:\n${out}`);
  assert.match(out, /zombies=0/);
  assert.ok((out.match(/reaped orphan/g)?.length ?? 0) >= 50);
});

test('dist/tsinit runs from a folder with no node_modules', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-alone-'));
  const bin = path.join(dir, 'tsinit');
  fs.copyFileSync(path.join(import.meta.dirname, '..', '..', 'dist', 'tsinit'), bin);
  fs.chmodSync(bin, 0o755);
  const v = spawnSync(bin, ['--version'], { cwd: '/', encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^tsinit \d+\.\d+\.\d+/);
  // Command mode needs the embedded FFI module.
  const c = spawnSync(bin, ['--', 'sh', '-c', 'exit 42'], { cwd: '/', encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  assert.equal(c.status, 42, c.stderr);
  // install puts the tool client under every name (its slot naming the binary) and extracts the addon beside the binary.
  const links = path.join(dir, 'bin');
  const i = spawnSync(bin, ['install', links], { encoding: 'utf8' });
  assert.equal(i.status, 0, i.stderr);
  const sv = fs.lstatSync(path.join(links, 'sv'));
  assert.ok(sv.isFile() && (sv.mode & 0o777) === 0o755, 'sv is a regular file, mode 0755');
  assert.ok(fs.readFileSync(path.join(links, 'sv')).includes(Buffer.from(`tsinit-client fallback path slot\0${bin}\0`)), 'the slot names the binary');
  assert.ok(fs.existsSync(path.join(dir, '.tsinit-koffi.node')));
  const bad = spawnSync(bin, ['no-such-tool'], { encoding: 'utf8' });
  assert.equal(bad.status, 100);
  assert.match(bad.stderr, /unknown tool: no-such-tool\nusage: tsinit/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/, 'no stack trace');
  void spawn;
});

// ---- issue 11: exit remap, -p, --rewrite, job control, leftovers ----------

test('-e 143 and TSINIT_EXIT_REMAP make a TERM-ed command exit 0 (as PID 1 and not)', async () => {
  const script = "echo ready; while :; do sleep 0.05; done";
  for (const pidns of [true, false]) {
    for (const [args, env] of [[['-e', '143'], {}], [[], { TSINIT_EXIT_REMAP: '143:0,130:0' }]] as const) {
      const r = run([tsinit(), ...args, '--', 'sh', '-c', script], env, { pidns });
      await r.waitFor(/^ready$/m);
      await r.signal('SIGTERM');
      assert.equal((await r.exit).code, 0, `${args.join(' ')} ${JSON.stringify(env)} pidns=${pidns}\n${r.output()}`);
    }
    // other codes pass unchanged
    const r = run([tsinit(), '-e', '143', '--', 'sh', '-c', 'exit 3'], {}, { pidns });
    assert.equal((await r.exit).code, 3);
  }
});

test('tsinit -g without a command is a usage error, not stage mode', async () => {
  const r = run([tsinit(), '-g'], {}, { pidns: false });
  assert.equal((await r.exit).code, 100);
  assert.match(r.output(), /-g needs a command/);
  assert.doesNotMatch(r.output(), /booting/);
});

/** host pid of the first child of pid */
function firstChild(pid: number): number | undefined {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return kids ? Number(kids.split(' ')[0]) : undefined;
  } catch {
    return undefined;
  }
}

function procState(pid: number): string {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
  } catch {
    return 'gone';
  }
}

test('-p SIG: the signal tsinit gets when its parent dies reaches the command (as PID 1 and as subreaper)', { timeout: 60000 }, async () => {
  for (const pidns of [true, false]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-pdeath-'));
    const f = path.join(dir, 'got');
    const cmd = `trap 'echo USR1 > ${f}; exit 0' USR1; echo ready; while :; do sleep 0.05; done`;
    // the parent: unshare (tsinit is PID 1 of its namespace) or a shell (tsinit is a subreaper)
    const argv = pidns
      ? ['unshare', '--pid', '--fork', '--mount-proc', tsinit(), '-p', 'USR1', '--', 'bash', '-c', cmd]
      : ['sh', '-c', `"$0" -p SIGUSR1 -- bash -c "$1" & wait`, tsinit(), cmd];
    const parent = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    parent.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    parent.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil('the command is ready', () => /^ready$/m.test(out));
    const init = firstChild(parent.pid as number) as number;
    assert.ok(init > 0);
    parent.kill('SIGKILL');
    await waitUntil(`the command got USR1 (pidns=${pidns}); output:\n${out}`, () => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('\n'));
    // and tsinit, its command gone, exits
    await waitUntil('tsinit exits', () => ['gone', 'Z'].includes(procState(init)));
  }
});

test('--rewrite FROM:TO forwards another signal; TO 0 drops it (as PID 1 and not)', { timeout: 60000 }, async () => {
  for (const pidns of [true, false]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-rewrite-'));
    const f = path.join(dir, 'got');
    const script = `trap 'echo USR2 >> ${f}' USR2; trap 'echo TERM >> ${f}' TERM; trap 'echo QUIT >> ${f}; exit 0' QUIT; echo ready; while :; do sleep 0.05; done`;
    const r = run([tsinit(), '-r', 'USR2:0', '--rewrite', '15:3', '--', 'bash', '-c', script], {}, { pidns });
    await r.waitFor(/^ready$/m);
    await r.signal('SIGUSR2'); // dropped
    await r.signal('SIGTERM'); // arrives as QUIT: the command exits 0
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    assert.equal(fs.readFileSync(f, 'utf8'), 'QUIT\n', `pidns=${pidns}`);
  }
});

test('job control: TSTP, TTIN, TTOU stop the command, never tsinit; CONT resumes it (as PID 1 and not)', { timeout: 60000 }, async () => {
  for (const pidns of [true, false]) {
    const r = run([tsinit(), '--', 'sleep', '1000'], {}, { pidns });
    const init = await r.initPid();
    await waitUntil('the command started', () => firstChild(init) !== undefined);
    const cmd = firstChild(init) as number;
    for (const sig of ['SIGTTIN', 'SIGTTOU', 'SIGTSTP'] as const) {
      await r.signal(sig);
      await waitUntil(`${sig} stopped the command`, () => procState(cmd) === 'T');
      assert.notEqual(procState(init), 'T', `${sig} stopped tsinit (pidns=${pidns})`);
      await r.signal('SIGCONT');
      await waitUntil('CONT resumed the command', () => procState(cmd) !== 'T');
    }
    await r.signal('SIGTERM');
    assert.equal((await r.exit).code, 143);
  }
});

test('leftovers get TERM (and CONT, KILL later) after the command exits; -c and TSINIT_KEEP_LEFTOVERS leave them alone', { timeout: 60000 }, async () => {
  // the leftover does not hold tsinit's output open (the helper waits for it to close)
  const script = 'sleep 1000 >/dev/null 2>&1 & echo "leftover=$!"; exit 3';
  const leftover = (out: string): number => Number(/leftover=(\d+)/.exec(out)?.[1]);
  // default: swept before tsinit exits
  const r = run([tsinit(), '--', 'sh', '-c', script], {}, { pidns: false });
  assert.equal((await r.exit).code, 3);
  assert.equal(procState(leftover(r.output())), 'gone');
  for (const [args, env] of [[['-c'], {}], [[], { TSINIT_KEEP_LEFTOVERS: '1' }]] as const) {
    const k = run([tsinit(), ...args, '--', 'sh', '-c', script], env, { pidns: false });
    assert.equal((await k.exit).code, 3);
    const pid = leftover(k.output());
    try {
      assert.ok(!['gone', 'Z'].includes(procState(pid)), `the leftover was killed: ${args.join(' ')} ${JSON.stringify(env)}`);
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  }
});

// ---- issue 16: the terminal, rewritten signals ------------------------------

/**
 * Runs argv `runs` times, each as the session leader of a new pty (as a
 * terminal or `script` would), writing `input` to the terminal first. A
 * process of the run stopped by the terminal (state T: SIGTTIN/SIGTTOU from
 * the background) would wait forever: it is reported as stopped and killed.
 */
const PTY_RUNNER = `
import json, os, select, signal, sys
runs, text, argv = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3:]
def tree(pid):
    out = []
    try:
        kids = open(f'/proc/{pid}/task/{pid}/children').read().split()
    except OSError:
        return out
    for k in kids:
        out += [int(k)] + tree(int(k))
    return out
def state(pid):
    try:
        s = open(f'/proc/{pid}/stat').read()
        return s[s.rindex(')') + 2]
    except OSError:
        return 'gone'
for _ in range(runs):
    pid, fd = os.forkpty()
    if pid == 0:
        os.execvp(argv[0], argv)
    if text:
        os.write(fd, text)
    out, stopped = b'', []
    while True:
        for p in tree(pid):
            if state(p) == 'T':
                stopped.append(p)
                os.kill(p, signal.SIGKILL)
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                d = b''
            if not d:
                break
            out += d
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    print(json.dumps({'out': out.decode(errors='replace'), 'code': os.waitstatus_to_exitcode(st), 'stopped': len(stopped)}), flush=True)
`;

interface PtyRun {
  out: string;
  code: number;
  stopped: number;
}

function ptyRuns(runs: number, input: string, argv: string[]): Promise<PtyRun[]> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', PTY_RUNNER, String(runs), input, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pty runner exited ${code}:\n${out}`));
      resolve(out.trim().split('\n').map((l) => JSON.parse(l) as PtyRun));
    });
  });
}

/** Prints FG when it starts in the foreground of its terminal (its group is the terminal's), else BG. */
const FG_PROBE = ['sh', '-c', 'read -r s < /proc/$$/stat; set -- ${s##*) }; [ "$3" = "$6" ] && echo FG || echo BG'];

test('the command starts in the foreground of the terminal, every time (as tini)', { timeout: 600000 }, async () => {
  const runs = await ptyRuns(20, '', [tsinit(), '--', ...FG_PROBE]);
  const bg = runs.filter((r) => !/\bFG\b/.test(r.out));
  assert.equal(bg.length, 0, `${bg.length} of 20 started in the background:\n${bg.map((r) => r.out).join('\n')}`);
  for (const r of runs) assert.equal(r.code, 0, r.out);
  // the probe itself, under tini (which hands the terminal over in the child)
  const tini = path.join(debianPackage('tini'), 'usr/bin/tini-static');
  const ref = await ptyRuns(5, '', [tini, '-s', '--', ...FG_PROBE]);
  for (const r of ref) assert.match(r.out, /\bFG\b/, `tini: ${r.out}`);
});

test('an interactive shell under tsinit never stops at start (bash -i)', { timeout: 600000 }, async () => {
  // bash -i stops itself (SIGTTIN) while it is in the background, and nothing
  // would resume it. The input waits in the terminal until bash reads it.
  const runs = await ptyRuns(10, 'echo "ran-$((6*7))"; exit 3\n', [tsinit(), '--', 'bash', '--norc', '--noprofile', '-i']);
  for (const r of runs) {
    assert.equal(r.stopped, 0, `bash stopped in the background:\n${r.out}`);
    assert.match(r.out, /ran-42/, r.out);
    assert.equal(r.code, 3, r.out);
  }
});

test('a --rewrite source tsinit does not otherwise forward (SYS, TRAP, ABRT) is caught and rewritten, never kills tsinit', { timeout: 120000 }, async () => {
  for (const pidns of [false, true]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-rwsrc-'));
    const f = path.join(dir, 'got');
    const script = `trap 'echo HUP >> ${f}' HUP; trap 'echo USR1 >> ${f}' USR1; trap 'echo TERM >> ${f}; exit 0' TERM; echo "ready pid=$$"; while :; do sleep 0.05; done`;
    const r = run([tsinit(), '-c', '-r', 'SYS:HUP', '-r', 'TRAP:USR1', '-r', 'ABRT:0', '--', 'bash', '-c', script], {}, { pidns });
    let ended = false;
    void r.exit.then(() => (ended = true));
    await r.waitFor(/ready pid=\d+/);
    // a tsinit killed by the signal would leave the command behind (-c): end it then
    const cmdPid = pidns ? firstChild(await r.initPid()) : Number(/ready pid=(\d+)/.exec(r.output())?.[1]);
    const lines = (): string[] => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
    try {
      await r.signal('SIGSYS');
      await waitUntil('SIGSYS arrived as HUP, or tsinit ended', () => lines().includes('HUP') || ended);
      assert.ok(!ended, `SIGSYS ended tsinit (pidns=${pidns}):\n${r.output()}`);
      await r.signal('SIGABRT'); // dropped
      await r.signal('SIGTRAP');
      await waitUntil('SIGTRAP arrived as USR1, or tsinit ended', () => lines().includes('USR1') || ended);
      assert.ok(!ended, `SIGABRT or SIGTRAP ended tsinit (pidns=${pidns}):\n${r.output()}`);
      await r.signal('SIGTERM');
      const ex = await r.exit;
      assert.equal(ex.code, 0, r.output());
      assert.deepEqual(lines(), ['HUP', 'USR1', 'TERM'], `pidns=${pidns}`);
    } finally {
      if (cmdPid !== undefined && !['gone', 'Z'].includes(procState(cmdPid))) process.kill(cmdPid, 'SIGKILL');
    }
  }
});

test('--rewrite with a source tsinit cannot catch, or a target out of range, is a usage error naming why', async () => {
  for (const [v, why] of [
    ['34:15', /FROM must be a signal 1\.\.31 that tsinit can catch, not 34: real-time signals cannot be caught/],
    ['1:32', /TO must be 0 \(not forwarded\), 1\.\.31 or 34\.\.64 \(SIGRTMIN\.\.SIGRTMAX\), not 32/],
    ['SEGV:HUP', /not 11 \(SIGSEGV\)/],
  ] as const) {
    const r = run([tsinit(), '-r', v, '--', 'sh', '-c', 'echo started'], {}, { pidns: false });
    assert.equal((await r.exit).code, 100, `${v}: ${r.output()}`);
    assert.match(r.output(), why);
    assert.doesNotMatch(r.output(), /started/);
  }
});

test("dumb-init's setsid job control is tsinit -g -r TSTP:STOP -r TTIN:STOP -r TTOU:STOP, except that dumb-init stops itself when not PID 1 (migration.md)", { timeout: 300000 }, async () => {
  const dumbInit = path.join(debianPackage('dumb-init'), 'usr/bin/dumb-init');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-jobctl-'));
  const inits: Array<[string, string[]]> = [
    ['dumb-init', [dumbInit]],
    ['tsinit', [tsinit(), '-g', '-r', 'TSTP:STOP', '-r', 'TTIN:STOP', '-r', 'TTOU:STOP', '--']],
  ];
  for (const pidns of [true, false]) {
    for (const [name, argv] of inits) {
      for (const sig of ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const) {
        const f = path.join(dir, `${name}-${sig}-${pidns}`);
        const script = `trap 'echo trapped >> ${f}' TSTP TTIN TTOU; echo ready; while :; do sleep 0.05; done`;
        const r = run([...argv, 'bash', '-c', script], {}, { pidns });
        await r.waitFor(/^ready$/m);
        const init = await r.initPid();
        const cmd = firstChild(init) as number;
        await r.signal(sig);
        // the command's group gets STOP: it stops without running its trap
        await waitUntil(`${name} ${sig}: the command stopped`, () => procState(cmd) === 'T');
        // dumb-init then stops itself, but the kernel ignores that for PID 1
        const selfStop = name === 'dumb-init' && !pidns;
        if (selfStop) await waitUntil(`${name} stopped itself`, () => procState(init) === 'T');
        else assert.notEqual(procState(init), 'T', `${name} ${sig} pidns=${pidns} stopped the init`);
        await r.signal('SIGCONT');
        await waitUntil(`${name}: CONT resumed the command`, () => procState(cmd) !== 'T' && procState(init) !== 'T');
        assert.ok(!fs.existsSync(f), `${name} ${sig}: the command saw ${sig} itself`);
        await r.signal('SIGTERM');
        assert.equal((await r.exit).code, 143, `${name} ${sig} pidns=${pidns}: ${r.output()}`);
      }
    }
  }
});

test('children of tini keep its parent’s ignored signals and mask, of dumb-init ignored real-time signals; tsinit resets all (docs)', { timeout: 120000 }, async () => {
  // python3 as the careless parent: INT and signal 40 ignored, USR1 and 41 blocked
  const parent = 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(40, signal.SIG_IGN); signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, 41]); os.execv(sys.argv[1], sys.argv[1:])';
  const probe = ['grep', '-E', '^(SigIgn|SigBlk)', '/proc/self/status'];
  const field = (out: string, k: string): bigint => BigInt(`0x${new RegExp(`${k}:\\t([0-9a-f]+)`).exec(out)?.[1] ?? 'x'}`);
  const bit = (n: number): bigint => 1n << BigInt(n - 1);
  const status = (argv: string[]): { ign: bigint; blk: bigint } => {
    const r = spawnSync('python3', ['-c', parent, ...argv, ...probe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return { ign: field(r.stdout, 'SigIgn'), blk: field(r.stdout, 'SigBlk') };
  };
  const tini = status([path.join(debianPackage('tini'), 'usr/bin/tini-static'), '-s', '--']);
  assert.ok((tini.ign & bit(2)) !== 0n && (tini.ign & bit(40)) !== 0n, 'tini passes on ignored signals');
  assert.ok((tini.blk & bit(10)) !== 0n && (tini.blk & bit(41)) !== 0n, 'tini passes on the mask');
  const dumb = status([path.join(debianPackage('dumb-init'), 'usr/bin/dumb-init')]);
  assert.equal(dumb.ign & bit(2), 0n, 'dumb-init resets 1..31');
  assert.ok((dumb.ign & bit(40)) !== 0n, 'dumb-init keeps ignored real-time signals');
  assert.equal(dumb.blk, 0n);
  const ts = status([tsinit(), '--']);
  assert.deepEqual(ts, { ign: 0n, blk: 0n });
});
