// The tool client (native/tool-client/tsinit-client.c) against a fake PID 1
// (test/helpers/fake-tool-server.c): the request it sends, and what it does
// with each answer of docs/design.md's protocol - OUT bytes exact, EXIT codes,
// EXEC through the exec helper's operations, FALLBACK, DIE, TITLE, forwarded
// signals, a connection lost mid-call and an answer it does not understand.
// Also its shape: static, no interpreter, small.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary } from '../helpers/tsinit.ts';
import { buildFakeServer, fakeServer, installClients, message, runClient, waitUntil, type FakeServer } from '../helpers/tool-client-fixture.ts';
import { repoRoot } from '../../testkit/debian.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-client-proto-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const bin = installClients(path.join(tmp, 'bin'));
const server = buildFakeServer(tmp);
const runDir = path.join(tmp, 'run');
fs.mkdirSync(runDir);
const env = { PATH: '/usr/bin:/bin', TSINIT_RUN_DIR: runDir };

const OUT = 1, EXIT = 2, EXEC = 3, FALLBACK = 4, DIE = 5, TITLE = 6;
const send = (...parts: Array<number | Buffer | string>): string => `send:${message(...parts).toString('hex')}`;
const words = (...w: Array<string | Buffer>): Buffer => Buffer.concat(w.map((x) => Buffer.concat([Buffer.from(x), Buffer.from([0])])));

/** One call: the fake server with `steps`, the client `name` with args; both finished. */
async function call(steps: string[], name: string, args: string[], during?: (pid: number, s: FakeServer) => Promise<void>) {
  const s = await fakeServer(server, runDir, steps);
  const c = runClient(path.join(bin, name), name, args, env, tmp);
  try {
    if (during) await during(c.proc.pid as number, s);
    const ex = await c.exit;
    const serverCode = await s.done;
    assert.equal(serverCode, 0, `fake server: ${s.stderr()}`);
    return { ...ex, stdout: Buffer.concat(c.stdout), stderr: Buffer.concat(c.stderr), log: s.log() };
  } finally {
    c.proc.kill('SIGKILL');
    s.proc.kill('SIGKILL');
  }
}

const hex = (b: string | Buffer): string => Buffer.from(b).toString('hex');

test('the request: magic, version, the descriptors sent, argv, environment, cwd, nice and limits', async () => {
  const r = await call([send(EXIT, 0)], 'sv', ['status', 'x']);
  assert.equal(r.code, 0);
  const log = r.log;
  assert.ok(log.includes('magic 31435354') && log.includes('version 1'), log.join('\n'));
  // stdin is /dev/null, stdout and stderr pipes, cwd and root: bits 0..4
  assert.ok(log.includes('flags 31'), log.join('\n'));
  assert.ok(log.includes('fds 5'));
  assert.ok(log.includes(`fd 3 ${tmp}`) && log.includes('fd 4 /'), log.join('\n'));
  assert.deepEqual(log.filter((l) => l.startsWith('argv ')), ['sv', 'status', 'x'].map((a) => `argv ${hex(a)}`));
  assert.deepEqual(log.filter((l) => l.startsWith('env ')).sort(), Object.entries(env).map(([k, v]) => `env ${hex(`${k}=${v}`)}`).sort());
  assert.ok(log.includes(`cwd ${hex(tmp)}`));
  assert.ok(log.includes(`nice ${os.getPriority()}`), log.join('\n'));
  assert.ok(log.includes('nlimits 16'));
  const nofile = log.find((l) => l.startsWith('limit 7 '));
  const soft = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  assert.match(nofile ?? '', new RegExp(`^limit 7 ${soft} \\d+$`));
});

test('OUT: the bytes on fd 1 and 2 exactly (NUL and non-UTF-8 included), in order; then EXIT', async () => {
  const one = Buffer.from([0x61, 0x00, 0xff, 0xfe, 0x0a, 0xc3]);
  const two = Buffer.from([0x80, 0x00, 0x62]);
  const big = Buffer.alloc(60000, 0x78); // one message larger than a pipe's buffer (the step is an argv word: < 128 KiB of hex)
  const r = await call([send(OUT, 1, one), send(OUT, 2, two), send(OUT, 1, big), send(EXIT, 0)], 'sv', ['x']);
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout, Buffer.concat([one, big]));
  assert.deepEqual(r.stderr, two);
});

test('EXIT: the code is the exit status (0, 1, 111, 255)', async () => {
  for (const code of [0, 1, 111, 255]) {
    const r = await call([send(EXIT, code)], 'sv', ['x']);
    assert.equal(r.code, code);
    assert.equal(r.stderr.length, 0, r.stderr.toString());
  }
});

test('EXEC: the operations (environment edits, chdir, candidates) carried out, then the program', async () => {
  const plan = words('T', '2 file does not exist\n', 'M', '111', 'chpst: fatal: unable to run: x: ', 'e', 'ADDED=yes', 'e', 'TSINIT_RUN_DIR', 'h', hex(Buffer.from('BYTES=\xe9', 'latin1')), 'c', '/', 'X', '/nonexistent/sh', 'X', '/bin/sh', '--', 'sh', '-c', 'pwd; env | sort');
  const r = await call([send(EXEC, plan)], 'chpst', ['-e', 'x', 'sh']);
  assert.equal(r.code, 0, r.stderr.toString());
  const lines = r.stdout.toString('latin1').split('\n');
  assert.equal(lines[0], '/');
  assert.ok(lines.includes('ADDED=yes'));
  assert.ok(lines.includes('BYTES=\xe9'));
  assert.ok(!lines.some((l) => l.startsWith('TSINIT_RUN_DIR=')), 'TSINIT_RUN_DIR removed');
  assert.ok(lines.includes('PATH=/usr/bin:/bin'), 'the client\'s own environment is the base');
  // a failure: the message and the code of M, with the table's text
  const bad = await call([send(EXEC, words('T', '2 file does not exist\n', 'M', '111', 'chpst: fatal: unable to run: x: ', 'X', '/nonexistent/x', '--', 'x'))], 'chpst', ['x']);
  assert.equal(bad.code, 111);
  assert.equal(bad.stderr.toString(), 'chpst: fatal: unable to run: x: file does not exist\n');
});

test('EXEC: the client\'s own descriptors are closed before the operations, so a lock file gets the lowest free number as under runit\'s chpst (3)', async () => {
  const lock = path.join(tmp, 'exec-lock');
  const r = await call([send(EXEC, words('O', lock, 'F', '2', 'X', '/bin/sh', '--', 'sh', '-c', 'readlink /proc/$$/fd/3; for n in 4 5; do [ -e /proc/$$/fd/$n ] && echo "fd $n open"; done; true'))], 'chpst', ['-l', lock, 'sh']);
  assert.equal(r.code, 0, `${r.stdout.toString()}${r.stderr.toString()}`);
  assert.equal(r.stdout.toString(), `${lock}\n`);
});

test('EXEC: the program starts with the caller\'s signal mask, not the client\'s blocked set', async () => {
  // The caller's mask as the shell's children get it (grep reads its own: dash blocks every signal
  // while it forks, so /proc/PID/status may show that instead), then the shell becomes the client, whose
  // program (grep itself: a shell may clear its mask when it starts) prints its own.
  const s = await fakeServer(server, runDir, [send(EXEC, words('X', '/usr/bin/grep', 'X', '/bin/grep', '--', 'grep', 'SigBlk', '/proc/self/status'))]);
  const c = runClient('/bin/sh', 'sh', ['-c', 'grep SigBlk /proc/self/status; exec "$0" "$@"', path.join(bin, 'chpst'), 'sh'], env, tmp);
  try {
    const ex = await c.exit;
    assert.equal(await s.done, 0, s.stderr());
    assert.equal(ex.code, 0, Buffer.concat(c.stderr).toString());
    const [caller, program] = Buffer.concat(c.stdout).toString().trim().split('\n');
    assert.match(caller ?? '', /^SigBlk:\t[0-9a-f]{16}$/);
    assert.equal(program, caller);
  } finally {
    c.proc.kill('SIGKILL');
    s.proc.kill('SIGKILL');
  }
});

test('FALLBACK: the full executable runs with the client\'s argv and environment', async () => {
  const r = await call([send(FALLBACK)], 'sv', []);
  const full = spawnSync(binary, [], { argv0: 'sv', env, cwd: tmp });
  assert.equal(r.code, full.status);
  assert.equal(r.code, 100);
  assert.deepEqual(r.stdout, full.stdout);
  assert.deepEqual(r.stderr, full.stderr);
});

test('DIE: the client dies by the signal (its wait status shows it)', async () => {
  const r = await call([send(DIE, 15)], 'svlogd', ['x']);
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.code, null);
  // a signal whose default is not death: exit 128+signo
  const cont = await call([send(DIE, 18)], 'svlogd', ['x']);
  assert.equal(cont.code, 128 + 18);
});

test('TITLE shows in /proc/PID/cmdline; a signal the client gets reaches the server as SIGNAL 1', async () => {
  const title = 'runsvdir -P /etc/service log: ..........a: started';
  const r = await call([send(TITLE, title), 'signal', send(EXIT, 0)], 'runsvdir', ['-P', '/etc/service', 'log: ' + '.'.repeat(60)], async (pid, s) => {
    const shows = () => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith(`${title}\0`);
      } catch {
        return false;
      }
    };
    assert.ok(await waitUntil(shows), fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
    const area = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    assert.equal(area.length, `runsvdir\0-P\0/etc/service\0log: ${'.'.repeat(60)}\0`.length, 'the argv area keeps its size, NUL-padded');
    assert.match(area.slice(title.length), /^\0+$/);
    process.kill(pid, 'SIGHUP');
    assert.ok(await waitUntil(() => s.log().includes('signal 1')), s.log().join('\n'));
  });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.ok(r.log.includes('signal 1'));
});

test('EOF mid-call: exit 111 with "lost the connection", no fallback', async () => {
  const r = await call([send(OUT, 1, 'partial'), 'close'], 'sv', ['status', 'x']);
  assert.equal(r.code, 111);
  assert.equal(r.stdout.toString(), 'partial');
  assert.equal(r.stderr.toString(), 'tsinit: fatal: lost the connection to tsinit\n');
});

test('an answer it does not understand: exit 111 with "bad answer"', async () => {
  for (const garbage of [message(99), message(EXIT, 256), message(EXIT), message(OUT, 3, 'x'), message(DIE, 0), message(EXEC, 'no-nul'), Buffer.from([1, 0])]) {
    const r = await call([send(garbage)], 'sv', ['x']);
    assert.equal(r.code, 111, garbage.toString('hex'));
    assert.equal(r.stderr.toString(), 'tsinit: fatal: bad answer from tsinit\n');
  }
});

test('the client is static with no interpreter, and small', (t) => {
  for (const file of [path.join(repoRoot, 'build', 'tsinit-client'), path.join(bin, 'sv')]) {
    const seg = execFileSync('readelf', ['-lW', file], { encoding: 'utf8' });
    assert.doesNotMatch(seg, /INTERP|DYNAMIC/, seg);
    const size = fs.statSync(file).size;
    t.diagnostic(`${path.relative(repoRoot, file)}: ${size} bytes`);
    assert.ok(size <= 64 * 1024, `${size} bytes`);
  }
});

test('a closed descriptor 0 is not sent: flags without bit 0, four descriptors', async () => {
  const s = await fakeServer(server, runDir, [send(EXIT, 0)]);
  try {
    const r = spawnSync('sh', ['-c', 'exec "$0" "$@" <&-', path.join(bin, 'sv'), 'x'], { env, cwd: tmp, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await s.done, 0, s.stderr());
    const log = s.log();
    assert.ok(log.includes('flags 30') && log.includes('fds 4'), log.join('\n'));
    assert.ok(log.includes(`fd 2 ${tmp}`) && log.includes('fd 3 /'), log.join('\n'));
  } finally {
    s.proc.kill('SIGKILL');
  }
});
