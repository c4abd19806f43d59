// The container's exit code (first code set wins), tsinit halt's request
// channel, and stage mode ending with the code that was set.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { ContainerExitCode, clampExitCode, parseExitCodeArg } from '../../src/init/exit-code.ts';
import { parseHaltRequest, takeHaltRequest, writeHaltRequest, type HaltRequest } from '../../src/runtime/halt-request.ts';
import { checkPrivateDir, ensurePrivateDir } from '../../src/runtime/private-dir.ts';
import { runtimePaths } from '../../src/runtime/paths.ts';

const at = (dir: string): ReturnType<typeof runtimePaths> => runtimePaths({ runDir: dir, eventsSocket: 'default' });
import { StageMode } from '../../src/init/stage-mode.ts';
import { readInitConfig } from '../../src/init/config.ts';
import type { InitSystem } from '../../src/init/system.ts';
import { eventHistory, resetEvents } from '../../src/events/bus.ts';

test('the first code set wins; who set it is kept', () => {
  const e = new ContainerExitCode();
  assert.equal(e.get(), null);
  assert.equal(e.set(7, 'essential service job'), true);
  assert.equal(e.set(3, 'tsinit halt'), false);
  assert.deepEqual(e.get(), { code: 7, by: 'essential service job' });
  assert.equal(clampExitCode(300), 44);
  assert.equal(clampExitCode(-1), 255);
});

test('halt CODE: 0..255 only', () => {
  assert.equal(parseExitCodeArg('3'), 3);
  assert.equal(parseExitCodeArg('255'), 255);
  assert.equal(parseExitCodeArg('256'), null);
  assert.equal(parseExitCodeArg('-1'), null);
  assert.equal(parseExitCodeArg('0x3'), null);
  assert.equal(parseExitCodeArg(''), null);
});

test('halt requests: written exclusively, the first pending one wins, taken once', () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-ctl-')), 'tsinit');
  assert.equal(ensurePrivateDir(dir), null);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(writeHaltRequest(at(dir), { code: 3, by: 'first' }), 'written');
  assert.equal(writeHaltRequest(at(dir), { code: 9, by: 'second' }), 'pending');
  assert.deepEqual(takeHaltRequest(at(dir)), { code: 3, by: 'first' });
  assert.equal(takeHaltRequest(at(dir)), null);
  assert.equal(writeHaltRequest(at(dir), { code: null, by: 'no code' }), 'written');
  assert.deepEqual(takeHaltRequest(at(dir)), { code: null, by: 'no code' });
  assert.deepEqual(parseHaltRequest('garbage'), { code: null, by: 'tsinit halt (unreadable request)' });
  assert.deepEqual(parseHaltRequest('{"code":999,"by":"x"}'), { code: null, by: 'x' });
});

test('halt requests: a directory open to others or a planted link is not used', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-ctl-'));
  const open = path.join(base, 'open');
  fs.mkdirSync(open, { mode: 0o777 });
  fs.chmodSync(open, 0o777);
  assert.match(checkPrivateDir(open) ?? '', /writable by group or others/);
  assert.ok(typeof writeHaltRequest(at(open), { code: 1, by: 'x' }) === 'object');
  const real = path.join(base, 'real');
  fs.mkdirSync(real, { mode: 0o700 });
  const link = path.join(base, 'link');
  fs.symlinkSync(real, link);
  assert.match(checkPrivateDir(link) ?? '', /not a directory/);
  // a halt file that is a symlink is never followed
  const ok = path.join(base, 'ok');
  fs.mkdirSync(ok, { mode: 0o700 });
  fs.writeFileSync(path.join(base, 'secret'), '{"code":5,"by":"planted"}');
  fs.symlinkSync(path.join(base, 'secret'), path.join(ok, 'halt'));
  assert.equal(takeHaltRequest(at(ok)), null);
  assert.equal(writeHaltRequest(at(ok), { code: 1, by: 'x' }), 'pending');
  assert.equal(fs.readFileSync(path.join(base, 'secret'), 'utf8'), '{"code":5,"by":"planted"}');
});

function fakeLog(lines: string[]): Logger {
  const f = (msg: unknown, text?: unknown): void => {
    lines.push(String(typeof msg === 'string' ? msg : text));
  };
  return { info: f, warn: f, error: f, debug: f, fatal: f, trace: f } as unknown as Logger;
}

function fakeSystem(): InitSystem {
  return {
    now: () => Date.now(),
    killGroup: () => {},
    killOrphans: () => {},
    killPid: () => {},
    killAll: () => {},
    hasChildren: () => false,
    onReaped: () => () => {},
    ownerExecutable: () => false,
    exists: () => false,
    chmod: () => {},
  };
}

test('stage mode: a halt request on SIGCONT shuts down with its code; a later code is ignored and logged', async () => {
  resetEvents();
  const lines: string[] = [];
  const pending: HaltRequest[] = [];
  let started = false;
  const sm = new StageMode({
    cfg: readInitConfig({ TSINIT_RUNIT_DIR: '/nonexistent' }),
    sys: fakeSystem(),
    log: fakeLog(lines),
    builtin: async () => ({
      start: () => {
        started = true;
      },
      rescan: () => {},
      stopAll: async () => {},
      pids: () => [],
    }),
    halt: { take: () => pending.shift() ?? null },
  });
  const done = sm.run();
  while (!started) await new Promise((r) => setTimeout(r, 5));
  sm.handleSignal('SIGCONT'); // no request: a stopit check, nothing happens
  pending.push({ code: 3, by: 'tsinit halt (pid 9)' });
  sm.handleSignal('SIGCONT');
  sm.halt(7, 'essential service late');
  assert.equal(await done, 3);
  assert.ok(lines.includes('exit code 3 set by tsinit halt (pid 9)'), lines.join('\n'));
  assert.ok(lines.some((l) => /exit code 7 from essential service late ignored: 3 was set first by tsinit halt \(pid 9\)/.test(l)));
  assert.deepEqual(
    eventHistory().filter((e) => e.type === 'exit-code').map((e) => [e.code, e.by]),
    [[3, 'tsinit halt (pid 9)']],
  );
});

test('stage mode: halt without a code keeps the usual exit code', async () => {
  let started = false;
  const sm = new StageMode({
    cfg: readInitConfig({ TSINIT_RUNIT_DIR: '/nonexistent' }),
    sys: fakeSystem(),
    log: fakeLog([]),
    builtin: async () => ({ start: () => (started = true) && undefined, rescan: () => {}, stopAll: async () => {}, pids: () => [] }),
  });
  const done = sm.run();
  while (!started) await new Promise((r) => setTimeout(r, 5));
  sm.halt(null, 'runit-init 0');
  assert.equal(await done, 0);
});
