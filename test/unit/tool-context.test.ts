// A tool is a function of its context: run through a ToolContext (its own
// environment, directory and descriptors) it leaves this process alone - no
// chdir, nothing on this process's stdout/stderr, process.env not consulted.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../../src/tool.ts';
import { main as runsvchdir } from '../../src/tools/runsvchdir.ts';
import { main as utmpset } from '../../src/tools/utmpset.ts';
import { main as health } from '../../src/observe/health-main.ts';
import { main as check } from '../../src/check/main.ts';
import { main as sv } from '../../src/sv/main.ts';
import { main as chpst } from '../../src/chpst/main.ts';
import { main as svlogd } from '../../src/svlogd/main.ts';
import { main as halt } from '../../src/init/halt.ts';
import { formatRecord, selfRecord } from '../../src/runtime/instance.ts';
import { main as events } from '../../src/events/client-main.ts';
import net from 'node:net';
import { main as runsv } from '../../src/supervise/runsv-main.ts';
import { main as runsvdir } from '../../src/supervise/runsvdir-main.ts';
import { main as runit } from '../../src/init/runit-main.ts';
import { main as runitInit } from '../../src/init/runit-init.ts';
import { main as tsinit } from '../../src/init/main.ts';
import { install, INSTALL_NAMES } from '../../src/init/install.ts';
import { SLOT_MARKER } from '../../native/tool-client.ts';
import { spawnSync } from 'node:child_process';
import { fakeService, runningStatus } from '../helpers/fake-service.ts';

interface Run {
  ctx: ToolContext;
  stdout(): string;
  stderr(): string;
  close(): void;
}

/** A context whose stdout and stderr are files in dir (not this process's 1 and 2). */
function context(dir: string, argv0: string, args: string[], env: Record<string, string>): Run {
  const o = path.join(dir, `${argv0}.out`);
  const e = path.join(dir, `${argv0}.err`);
  const stdout = fs.openSync(o, 'w+');
  const stderr = fs.openSync(e, 'w+');
  return {
    ctx: { argv0, args, env, cwd: dir, stdin: stdout, stdout, stderr, pid: process.pid, uid: os.userInfo().uid, gid: os.userInfo().gid },
    stdout: () => fs.readFileSync(o, 'utf8'),
    stderr: () => fs.readFileSync(e, 'utf8'),
    close: () => {
      fs.closeSync(stdout);
      fs.closeSync(stderr);
    },
  };
}

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-toolctx-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('runsvchdir through its context: RUNSVDIR relative to the context directory, output to its stdout, no chdir', (t) => {
  const dir = tmp(t);
  const tree = path.join(dir, 'runsvdir');
  fs.mkdirSync(path.join(tree, 'a'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'b'));
  fs.symlinkSync('a', path.join(tree, 'current'));
  const before = process.cwd();
  delete process.env.RUNSVDIR;
  const r = context(dir, 'runsvchdir', ['b'], { RUNSVDIR: 'runsvdir' });
  try {
    assert.equal(runsvchdir(r.ctx), 0, r.stderr());
    assert.equal(r.stdout(), 'runsvchdir: b: now current.\n');
    assert.equal(fs.readlinkSync(path.join(tree, 'current')), 'b');
    assert.equal(fs.readlinkSync(path.join(tree, 'previous')), 'a');
    assert.equal(runsvchdir(r.ctx), 0);
    assert.equal(r.stdout(), 'runsvchdir: b: now current.\nrunsvchdir: b: current.\n');
    // runit's messages for a tree that is not there
    const bad = context(dir, 'runsvchdir', ['b'], { RUNSVDIR: 'missing' });
    assert.equal(runsvchdir(bad.ctx), 111);
    assert.equal(bad.stderr(), 'runsvchdir: fatal: unable to chdir: missing: file does not exist\n');
    bad.close();
  } finally {
    r.close();
  }
  assert.equal(process.cwd(), before);
});

test('runsvchdir and utmpset print argv[0] as the context gives it, a full path as a full path', (t) => {
  const dir = tmp(t);
  for (const [tool, main, usage] of [
    ['runsvchdir', runsvchdir, 'dir'],
    ['utmpset', utmpset, '[-w] line'],
  ] as const) {
    const r = context(dir, tool, [], {});
    r.ctx.argv0 = `/usr/sbin/${tool}`;
    assert.equal(main(r.ctx), 1);
    assert.equal(r.stderr(), `usage: /usr/sbin/${tool} ${usage}\n\n`);
    r.close();
  }
});

test('utmpset through its context: usage on its stderr', (t) => {
  const dir = tmp(t);
  const r = context(dir, 'utmpset', [], {});
  try {
    assert.equal(utmpset(r.ctx), 1);
    assert.equal(r.stderr(), 'usage: utmpset [-w] line\n\n');
    assert.equal(r.stdout(), '');
  } finally {
    r.close();
  }
});

test('tsinit health through its context: the service directory from its environment and directory', async (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/bin/sh\n', { mode: 0o755 });
  const r = context(dir, 'health', [], { TSINIT_SERVICE_DIR: 'svc' });
  try {
    assert.equal(await health(r.ctx), 1);
    assert.match(r.stdout(), /^web: /);
    const empty = context(dir, 'health-empty', [path.join(dir, 'runsvdir-none')], {});
    fs.mkdirSync(path.join(dir, 'runsvdir-none'));
    assert.equal(await health(empty.ctx), 0);
    assert.equal(empty.stdout(), '');
    empty.close();
    const bad = context(dir, 'health-bad', ['--bogus'], {});
    assert.equal(await health(bad.ctx), 100);
    assert.match(bad.stderr(), /unknown argument: --bogus/);
    bad.close();
  } finally {
    r.close();
  }
});

test('tsinit check through its context: the report on its stdout', async (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
  const r = context(dir, 'check', ['--json'], { TSINIT_SERVICE_DIR: path.join(dir, 'svc'), PATH: '/usr/bin:/bin' });
  try {
    const code = await check(r.ctx);
    const report = JSON.parse(r.stdout()) as { errors: number; warnings: number };
    assert.equal(code, report.errors > 0 ? 2 : 0);
    assert.equal(r.stderr(), '');
  } finally {
    r.close();
  }
});

test('tsinit check through its context: #!/usr/bin/env PROG looked up in the context PATH', async (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'tsinit-ctx-prog'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/usr/bin/env tsinit-ctx-prog\n', { mode: 0o755 });
  const notFound = /tsinit-ctx-prog is not found in PATH/;
  const found = context(dir, 'check-found', [path.join(dir, 'svc')], { PATH: `/usr/bin:${path.join(dir, 'bin')}` });
  await check(found.ctx);
  assert.doesNotMatch(found.stdout(), notFound);
  found.close();
  const missing = context(dir, 'check-missing', [path.join(dir, 'svc')], { PATH: '/usr/bin' });
  await check(missing.ctx);
  assert.match(missing.stdout(), notFound);
  missing.close();
});

test('sv through its context: SVDIR from its environment, relative to its directory; ./check in the service with its env and stderr', async (t) => {
  const dir = tmp(t);
  const svdir = path.join(dir, 'service');
  fs.mkdirSync(path.join(svdir, 'idle'), { recursive: true });
  const web = fakeService(path.join(svdir, 'web'), { status: runningStatus(process.pid), fifoMode: 0o644 });
  // ./check reports where it runs and what it was given, on sv's stderr
  fs.writeFileSync(path.join(svdir, 'web', 'check'), '#!/bin/sh\necho "check in $(pwd) with $PROBE" >&2\nexit 0\n', { mode: 0o755 });
  const before = process.cwd();
  const envBefore = { ...process.env };
  const r = context(dir, 'sv', ['status', 'web', 'idle', 'nope'], { SVDIR: 'service' });
  try {
    assert.equal(await sv(r.ctx), 2);
    const lines = r.stdout().split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^run: web: \\(pid ${process.pid}\\) \\d+s$`));
    assert.equal(lines[1], 'warning: idle: unable to open supervise/ok: file does not exist');
    assert.equal(lines[2], 'fail: nope: unable to change to service directory: file does not exist');
    assert.equal(r.stderr(), '');

    const c = context(dir, 'sv-check', ['check', './service/web'], { PROBE: 'context-env', PATH: '/usr/bin:/bin' });
    c.ctx.argv0 = 'sv';
    assert.equal(await sv(c.ctx), 0, c.stderr());
    assert.match(c.stdout(), new RegExp(`^ok: run: \\./service/web: \\(pid ${process.pid}\\) \\d+s\n$`));
    assert.equal(c.stderr(), `check in ${fs.realpathSync(path.join(svdir, 'web'))} with context-env\n`);
    c.close();

    // sending: the control byte reaches supervise/control
    const u = context(dir, 'sv-down', ['-w', '0', 'down', 'web'], { SVDIR: svdir });
    u.ctx.argv0 = 'sv';
    assert.equal(await sv(u.ctx), 1);
    assert.match(u.stdout(), /^timeout: run: web: /);
    u.close();

    const usage = context(dir, 'sv-usage', [], {});
    usage.ctx.argv0 = 'sv';
    assert.equal(await sv(usage.ctx), 100);
    assert.match(usage.stderr(), /^usage: sv \[-v\] \[-w sec\] command service \.\.\.\n/);
    usage.close();
  } finally {
    r.close();
    web.close();
  }
  assert.equal(process.cwd(), before);
  assert.deepEqual({ ...process.env }, envBefore);
});

test('chpst and its aliases through their context: usage on its stderr, else an exec plan and this process unchanged', (t) => {
  const dir = tmp(t);
  const before = process.cwd();
  const envBefore = { ...process.env };
  const sid = fs.readFileSync('/proc/self/stat', 'latin1').split(') ')[1]?.split(' ')[3];
  const r = context(dir, 'chpst', [], {});
  try {
    assert.equal(chpst(r.ctx), 100);
    assert.match(r.stderr(), /^usage: chpst \[-vVP012\] /);
    assert.equal(r.stdout(), '');
    const alias = context(dir, 'setuidgid', [], {});
    assert.equal(chpst(alias.ctx), 100);
    assert.equal(alias.stderr(), 'usage: setuidgid account child\n\n');
    alias.close();
    // a valid command line changes nothing here: the caller is told what to become
    const ok = context(dir, 'chpst-ok', ['-P', '-C', '/', '-e', 'no-such-envdir', 'true'], {});
    ok.ctx.argv0 = 'chpst';
    assert.deepEqual(chpst(ok.ctx), { tool: 'chpst', argv0: 'chpst', args: ['-P', '-C', '/', '-e', 'no-such-envdir', 'true'] });
    assert.equal(ok.stderr(), '');
    ok.close();
  } finally {
    r.close();
  }
  assert.equal(process.cwd(), before);
  assert.deepEqual({ ...process.env }, envBefore);
  assert.equal(fs.readFileSync('/proc/self/stat', 'latin1').split(') ')[1]?.split(' ')[3], sid);
});

test('svlogd through its context: reads its stdin, logs into a directory named relative to its directory, stops listening for signals', async (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'log'));
  fs.writeFileSync(path.join(dir, 'input'), 'one\ntwo\nunterminated');
  const before = process.cwd();
  const envBefore = { ...process.env };
  const listeners = (['SIGTERM', 'SIGHUP', 'SIGALRM', 'SIGCHLD'] as const).map((s) => process.listenerCount(s));
  const r = context(dir, 'svlogd', ['-v', 'log'], {});
  const input = fs.openSync(path.join(dir, 'input'), 'r');
  try {
    assert.equal(await svlogd({ ...r.ctx, stdin: input }), 0, r.stderr());
    assert.equal(fs.readFileSync(path.join(dir, 'log', 'current'), 'utf8'), 'one\ntwo\n');
    assert.equal(r.stdout(), '');
    const bad = context(dir, 'svlogd-bad', ['missing'], {});
    bad.ctx.argv0 = 'svlogd';
    assert.equal(await svlogd({ ...bad.ctx, stdin: input }), 111);
    assert.equal(
      bad.stderr(),
      'svlogd: warning: unable to open log directory: missing: file does not exist\nsvlogd: fatal: no functional log directories.\n',
    );
    bad.close();
  } finally {
    fs.closeSync(input);
    r.close();
  }
  assert.equal(process.cwd(), before);
  assert.deepEqual({ ...process.env }, envBefore);
  assert.deepEqual((['SIGTERM', 'SIGHUP', 'SIGALRM', 'SIGCHLD'] as const).map((s) => process.listenerCount(s)), listeners);
});

test('tsinit halt through its context: the runtime directory from its environment, the caller named by its pid and directory', (t) => {
  const dir = tmp(t);
  const run = path.join(dir, 'run');
  fs.mkdirSync(run, { mode: 0o700 });
  // the "init" to wake is this test process, announced as one in stage mode: SIGCONT does nothing to it
  const me = selfRecord('stages');
  assert.ok(me);
  fs.writeFileSync(path.join(run, 'pid'), formatRecord(me), { mode: 0o600 });
  const before = process.cwd();
  const envBefore = { ...process.env };
  const r = context(dir, 'halt', ['3'], { TSINIT_RUN_DIR: run });
  // a caller that is not this process: its pid, its parent, its directory
  const caller = process.ppid;
  const parent = Number(fs.readFileSync(`/proc/${caller}/stat`, 'latin1').split(') ')[1]?.split(' ')[1]);
  try {
    assert.equal(halt({ ...r.ctx, pid: caller }), 0, r.stderr());
    const req = JSON.parse(fs.readFileSync(path.join(run, 'halt'), 'utf8')) as { code: number; by: string };
    assert.equal(req.code, 3);
    assert.match(req.by, new RegExp(`^tsinit halt \\(pid ${caller}, parent ${parent} .*, cwd ${dir}\\)$`));
    // a second request: the first code wins, said on the context's stderr
    assert.equal(halt({ ...r.ctx, args: ['4'] }), 0);
    assert.equal(r.stderr(), 'tsinit halt: warning: a halt request is already pending; its exit code wins\n');
    const bad = context(dir, 'halt-bad', ['256'], { TSINIT_RUN_DIR: run });
    assert.equal(halt(bad.ctx), 100);
    assert.equal(bad.stderr(), 'tsinit halt: fatal: not an exit code (0 to 255): 256\nusage: tsinit halt [CODE]\n');
    bad.close();
  } finally {
    r.close();
  }
  assert.equal(process.cwd(), before);
  assert.deepEqual({ ...process.env }, envBefore);
});

test('tsinit events through its context: a socket named relative to its directory, what it sends on its stdout', async (t) => {
  const dir = tmp(t);
  const lines = '{"kind":"start","service":"web"}\n{"kind":"exit","service":"web"}\n';
  const server = net.createServer((c) => c.end(lines));
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'ev.sock'), resolve));
  t.after(() => server.close());
  const before = process.cwd();
  const envBefore = { ...process.env };
  const r = context(dir, 'events', [], { TSINIT_EVENTS_SOCKET: 'ev.sock' });
  try {
    assert.equal(await events(r.ctx), 0, r.stderr());
    assert.equal(r.stdout(), lines);
    const off = context(dir, 'events-off', [], { TSINIT_EVENTS_SOCKET: 'off' });
    assert.equal(await events(off.ctx), 111);
    assert.equal(off.stderr(), 'tsinit events: fatal: the events socket is turned off (TSINIT_EVENTS_SOCKET=off)\n');
    off.close();
    const none = context(dir, 'events-none', ['missing.sock'], {});
    assert.equal(await events(none.ctx), 111);
    assert.equal(none.stderr(), 'tsinit events: fatal: unable to connect to missing.sock: file does not exist\n');
    none.close();
  } finally {
    r.close();
  }
  assert.equal(process.cwd(), before);
  assert.deepEqual({ ...process.env }, envBefore);
});

test('runsv, runsvdir, runit and runit-init through their context: usage and refusals on its stderr, pid 1 decided by the context', async (t) => {
  const dir = tmp(t);
  const rv = context(dir, 'runsv', [], {});
  assert.equal(await runsv(rv.ctx), 1);
  assert.equal(rv.stderr(), 'usage: runsv dir\n\n');
  rv.close();
  const rd = context(dir, 'runsvdir', [], {});
  assert.equal(await runsvdir(rd.ctx), 1);
  assert.equal(rd.stderr(), 'usage: runsvdir [-P] dir\n\n');
  rd.close();
  // not process no 1: what matters is the caller's pid, not this process's
  const rt = context(dir, 'runit', [], {});
  assert.equal(await runit({ ...rt.ctx, pid: 2 }), 111);
  assert.equal(rt.stderr(), '- runit: fatal: must be run as process no 1.\n');
  rt.close();
  const ri = context(dir, 'runit-init', ['-V'], {});
  assert.equal(await runitInit({ ...ri.ctx, pid: 2 }), 0);
  assert.equal(ri.stderr(), '$Id: f075d98bf7dd17c893021f9572cbb970cdad8dcf $\nusage: runit-init 0|6\n\n');
  ri.close();
});

test('the init through its context: usage, help and a refused setting before anything starts', async (t) => {
  const dir = tmp(t);
  const envBefore = { ...process.env };
  const bad = context(dir, 'tsinit', ['--bogus'], {});
  assert.equal(await tsinit(bad.ctx), 100);
  assert.match(bad.stderr(), /\nusage: tsinit /);
  bad.close();
  const help = context(dir, 'tsinit-help', ['--help'], {});
  assert.equal(await tsinit(help.ctx), 0);
  assert.match(help.stdout(), /^usage: tsinit /);
  help.close();
  // the setting is read from the context's environment, not this process's
  const refused = context(dir, 'tsinit-refused', ['--', 'true'], { TSINIT_STOP_DELAY: 'soon' });
  assert.equal(await tsinit(refused.ctx), 111);
  assert.match(refused.stderr(), /^tsinit: fatal: TSINIT_STOP_DELAY=soon: invalid /);
  refused.close();
  assert.deepEqual({ ...process.env }, envBefore);
});

test('tsinit install through its context: a relative DIR is the caller\'s, messages on its stdout', (t) => {
  const dir = tmp(t);
  const binary = path.join(dir, 'tsinit');
  fs.writeFileSync(binary, '', { mode: 0o755 });
  const before = process.cwd();
  const r = context(dir, 'install', [], {});
  try {
    // a script (not the single executable): symlinks, and one line saying why
    assert.equal(install('bin', r.ctx, binary, false), 0, r.stderr());
    assert.match(r.stdout(), new RegExp(`tsinit: linked ${INSTALL_NAMES.length} tools in bin to ${binary}\n$`));
    for (const name of INSTALL_NAMES) assert.equal(fs.readlinkSync(path.join(dir, 'bin', name)), binary);
    assert.equal(r.stderr(), `tsinit: warning: installing symlinks, not the tool client: ${binary} is a script (#! drops the name a tool is called by)\n`);
  } finally {
    r.close();
  }
  assert.equal(process.cwd(), before);
  assert.equal(fs.existsSync(path.join(before, 'bin', 'sv')), false);
});

test('tsinit install of the single executable: the client under every name, its slot naming the executable, over the old links', (t) => {
  const dir = tmp(t);
  const binary = path.join(dir, 'tsinit');
  fs.writeFileSync(binary, '', { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.symlinkSync('/planted', path.join(dir, 'bin', 'sv'));
  const r = context(dir, 'install', [], {});
  try {
    // the client of this checkout (build/tsinit-client, made by `node build.mjs`)
    assert.equal(install('bin', r.ctx, binary, true), 0, r.stderr());
    assert.equal(r.stdout(), `tsinit: installed the tool client as ${INSTALL_NAMES.length} tools in bin (falling back to ${binary})\n`);
    assert.equal(r.stderr(), '');
  } finally {
    r.close();
  }
  const client = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'build', 'tsinit-client'));
  const at = client.indexOf(SLOT_MARKER) + SLOT_MARKER.length;
  for (const name of INSTALL_NAMES) {
    const file = path.join(dir, 'bin', name);
    const st = fs.lstatSync(file);
    assert.ok(st.isFile(), `${name} is a file (the planted link replaced, not followed)`);
    assert.equal(st.mode & 0o7777, 0o755);
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.length, client.length);
    assert.equal(bytes.subarray(at, at + binary.length + 1).toString('latin1'), `${binary}\0`);
    // the rest is the client, byte for byte
    assert.deepEqual(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 4096)]), Buffer.concat([client.subarray(0, at), client.subarray(at + 4096)]));
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, 'bin')).sort(), [...INSTALL_NAMES].sort(), 'no temporary file left');
  assert.equal(fs.existsSync('/planted'), false);
});

test('every tool with a ctx.write sink: its text goes to the sink, nothing to the process\'s own stdout and stderr', (t) => {
  const dir = tmp(t);
  const result = path.join(dir, 'result.json');
  const scratch = path.join(dir, 'scratch');
  fs.mkdirSync(scratch);
  // a process of its own: its 1 and 2 are what is checked
  const child = spawnSync(process.execPath, [path.join(import.meta.dirname, '../helpers/tool-sink-child.ts'), result, scratch], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, '');
  assert.equal(child.stderr, '');
  const r = JSON.parse(fs.readFileSync(result, 'utf8')) as Record<string, { code: number | string; out: string; err: string }>;
  const is = (label: string, code: number | string, out: RegExp | string, err: RegExp | string): void => {
    const got = r[label];
    assert.ok(got, label);
    assert.equal(got.code, code, `${label}: ${JSON.stringify(got)}`);
    if (typeof out === 'string') assert.equal(got.out, out, label);
    else assert.match(got.out, out, label);
    if (typeof err === 'string') assert.equal(got.err, err, label);
    else assert.match(got.err, err, label);
  };
  is('runsvchdir', 0, 'runsvchdir: b: now current.\n', '');
  is('runsvchdir-missing', 111, '', 'runsvchdir: fatal: unable to chdir: missing: file does not exist\n');
  is('utmpset', 1, '', 'usage: utmpset [-w] line\n\n');
  is('health', 1, /^web: /, '');
  is('health-bad', 100, '', /unknown argument: --bogus/);
  is('check', 0, /^\{/, '');
  is('sv', 2, /^warning: web: unable to open supervise\/ok: file does not exist\nfail: nope: /, '');
  is('sv-usage', 100, '', /^usage: sv \[-v\]/);
  is('chpst', 100, '', /^usage: chpst /);
  is('chpst-plan', 'plan chpst', '', '');
  is('svlogd-usage', 111, '', /^usage: svlogd /);
  is('halt', 111, '', /^tsinit halt: fatal: /);
  is('halt-bad', 100, '', /^tsinit halt: fatal: not an exit code/);
  is('events', 0, '{"kind":"start","service":"web"}\n', '');
  is('events-none', 111, '', 'tsinit events: fatal: unable to connect to missing.sock: file does not exist\n');
  is('runsv', 1, '', 'usage: runsv dir\n\n');
  is('runsvdir', 1, '', 'usage: runsvdir [-P] dir\n\n');
  is('runit', 111, '', '- runit: fatal: must be run as process no 1.\n');
  is('runit-init', 0, '', /^\$Id: /);
  is('tsinit-usage', 100, '', /\nusage: tsinit /);
  is('tsinit-help', 0, /^usage: tsinit /, '');
  is('tsinit-refused', 111, '', /^tsinit: fatal: TSINIT_STOP_DELAY=soon: invalid /);
});

test('tsinit events ends when its caller is gone (ctx.gone), following a socket that never closes', async (t) => {
  const dir = tmp(t);
  const conns: net.Socket[] = [];
  const server = net.createServer((c) => {
    conns.push(c);
    c.write('{"kind":"start","service":"web"}\n');
  });
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'ev.sock'), resolve));
  t.after(() => {
    for (const c of conns) c.destroy();
    server.close();
  });
  let leave: () => void = () => {};
  const gone = new Promise<void>((resolve) => {
    leave = resolve;
  });
  let out = '';
  const r = context(dir, 'events-gone', [], { TSINIT_EVENTS_SOCKET: 'ev.sock' });
  try {
    const done = events({ ...r.ctx, gone, write: (_s, text) => (out += text.toString()) });
    while (out === '') await new Promise((resolve) => setTimeout(resolve, 10));
    leave();
    assert.equal(await done, 0);
    assert.equal(out, '{"kind":"start","service":"web"}\n');
    assert.equal(r.stdout(), '');
  } finally {
    r.close();
  }
});

test('tsinit check through its context: a relative SERVICEDIR is the caller\'s, named as given', async (t) => {
  const dir = tmp(t);
  fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
  assert.notEqual(process.cwd(), dir);
  for (const [label, args, env] of [
    ['argument', ['--json', 'svc'], {}],
    ['TSINIT_SERVICE_DIR', ['--json'], { TSINIT_SERVICE_DIR: 'svc' }],
    ['one service', ['--json', 'svc/web'], {}],
  ] as const) {
    const r = context(dir, `check-rel-${label.replace(/ /g, '-')}`, [...args], { PATH: '/usr/bin:/bin', ...env });
    try {
      await check(r.ctx);
      const report = JSON.parse(r.stdout()) as { dir: string; order?: unknown; services?: Record<string, unknown> };
      assert.ok(JSON.stringify(report).includes('"web"'), `${label}: ${r.stdout()}`);
      assert.equal(r.stderr(), '');
    } finally {
      r.close();
    }
  }
});
