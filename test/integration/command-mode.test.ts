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

test('exit codes 0..255 pass through', { timeout: 120000 }, async () => {
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

test('every forwarded signal sent to tsinit reaches the child', { timeout: 60000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-sig-'));
  const logFile = path.join(dir, 'got');
  const names = FORWARDED_SIGNALS.map((s) => s.slice(3)).filter((s) => s !== 'TERM');
  // bash can trap every one of these by name; each handler appends its name.
  const traps = names.map((n) => `trap 'echo ${n} >> ${logFile}' ${n}`).join('; ');
  const script = `${traps}; trap 'echo TERM >> ${logFile}; exit 0' TERM; echo ready; while :; do sleep 0.05; done`;
  for (const pidns of [true, false]) {
    fs.rmSync(logFile, { force: true });
    const r = run([tsinit(), '--', 'bash', '-c', script], {}, { pidns });
    await r.waitFor('ready');
    for (const n of names) {
      await r.signal(`SIG${n}` as NodeJS.Signals);
      // wait until the child has recorded it before the next one (shells coalesce)
      for (let i = 0; i < 100; i++) {
        if (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').split('\n').includes(n)) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      if (n === 'TSTP') await r.signal('SIGCONT');
    }
    await r.signal('SIGTERM');
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    const got = new Set(fs.readFileSync(logFile, 'utf8').trim().split('\n'));
    for (const n of [...names, 'TERM']) assert.ok(got.has(n), `SIG${n} did not reach the child (pidns=${pidns}); got ${[...got].join(' ')}`);
  }
});

test('-g delivers signals to the whole process group of the command', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-grp-'));
  const f = path.join(dir, 'grandchild');
  const script = `sh -c "trap 'echo got-hup > ${f}; exit 0' HUP; echo ready; while :; do sleep 0.05; done" & trap '' HUP; wait`;
  const r = run([tsinit(), '-g', '--', 'sh', '-c', script], {}, { pidns: false });
  await r.waitFor('ready');
  await r.signal('SIGHUP');
  for (let i = 0; i < 100 && !fs.existsSync(f); i++) await new Promise((res) => setTimeout(res, 20));
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
  await r.waitFor('ready');
  const sent = Date.now();
  await r.signal('SIGTERM');
  const ex = await r.exit;
  assert.equal(ex.code, 137);
  assert.ok(Date.now() - sent < 3000);
  assert.match(r.output(), /command not terminated, sending sigkill/);
});

test('as a subreaper (not PID 1), orphans of its children are adopted and reaped', async () => {
  // The command orphans 50 sleeps, then lists tsinit's children: the sleeps
  // must have been re-parented to tsinit, and later none may be a zombie.
  const script = `
i=0; while [ $i -lt 50 ]; do (sleep 0.3 &); i=$((i+1)); done
adopted=$(ps -o pid= --ppid $PPID | wc -l)
echo "adopted=$adopted"
sleep 1
zombies=$(ps -o stat= --ppid $PPID | grep -c Z)
echo "zombies=$zombies"`;
  const r = run([tsinit(), '--', 'sh', '-c', script], { TSINIT_LOG_LEVEL: 'debug' }, { pidns: false });
  const ex = await r.exit;
  const out = r.output();
  assert.equal(ex.code, 0, out);
  const adopted = Number(/adopted=(\d+)/.exec(out)?.[1]);
  assert.ok(adopted >= 50, `only ${adopted} processes adopted by tsinit:\n${out}`);
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
  // install makes the tool links and extracts the addon beside the binary.
  const links = path.join(dir, 'bin');
  const i = spawnSync(bin, ['install', links], { encoding: 'utf8' });
  assert.equal(i.status, 0, i.stderr);
  assert.equal(fs.readlinkSync(path.join(links, 'sv')), bin);
  assert.ok(fs.existsSync(path.join(dir, '.tsinit-koffi.node')));
  const bad = spawnSync(bin, ['no-such-tool'], { encoding: 'utf8' });
  assert.equal(bad.status, 100);
  assert.match(bad.stderr, /unknown tool: no-such-tool\nusage: tsinit/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/, 'no stack trace');
  void spawn;
});
