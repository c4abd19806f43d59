import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readSetting } from '../../src/settings.ts';
import { DEFAULT_SPEC, parseBackoff, parseServiceSpec, parseSignalName, readServiceSpec, type SpecInput } from '../../src/supervise/service-spec.ts';

const base: SpecInput = { files: {}, dependencyEntries: null, checkExecutable: false, healthExecutable: false };

test('no extension files: the default spec, no problems', () => {
  const r = parseServiceSpec(base);
  assert.deepEqual(r.spec, { ...DEFAULT_SPEC, dependencies: [] });
  assert.deepEqual(r.problems, []);
});

test('every file parsed', () => {
  const r = parseServiceSpec({
    files: {
      'notification-fd': '3\n',
      'health-interval': '2.5',
      'health-timeout': '1',
      'health-retries': '4',
      essential: 'on-failure\n',
      'restart-backoff': '1 2 60 30\n',
      'down-signal': 'SIGQUIT\n',
      'timeout-kill': '2500\n',
    },
    dependencyEntries: ['db', '.hidden', 'cache'],
    checkExecutable: true,
    healthExecutable: true,
  });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.spec, {
    notificationFd: 3,
    hasCheck: true,
    dependencies: ['cache', 'db'],
    health: { intervalMs: 2500, timeoutMs: 1000, retries: 4 },
    essential: 'on-failure',
    essentialAttempts: 3,
    restartBackoff: { initialMs: 1000, factor: 2, capMs: 60000, resetAfterMs: 30000 },
    downSignal: 'QUIT',
    timeoutKillMs: 2500,
  });
});

test('bad values are problems naming the file; the rest still applies', () => {
  const r = parseServiceSpec({
    ...base,
    files: { 'notification-fd': '1', 'down-signal': 'NOPE', 'timeout-kill': '1e9', essential: 'maybe', 'restart-backoff': '1 2' },
  });
  assert.deepEqual(
    r.problems.map((p) => p.file).sort(),
    ['down-signal', 'essential', 'notification-fd', 'restart-backoff', 'timeout-kill'],
  );
  assert.equal(r.spec.notificationFd, null);
  assert.equal(r.spec.downSignal, null);
  assert.equal(r.spec.restartBackoff, null);
});

test('absurd values are clamped or refused, never overflow a timer', () => {
  assert.equal(parseServiceSpec({ ...base, files: { 'timeout-kill': '99999999999' } }).spec.timeoutKillMs, 2 ** 31 - 1);
  assert.equal(parseServiceSpec({ ...base, files: { 'timeout-kill': '0' } }).spec.timeoutKillMs, null);
  assert.equal(parseBackoff('1 2 99999999999 1').ok, false);
  assert.equal(parseBackoff('5 2 1 1').ok, false);
  assert.equal(parseBackoff('0x10 2 60 1').ok, false);
});

test('health files without ./health are warnings', () => {
  const r = parseServiceSpec({ ...base, files: { 'health-interval': '5' } });
  assert.equal(r.spec.health, null);
  assert.equal(r.problems[0]?.severity, 'warning');
});

test('TSINIT_RESTART_BACKOFF applies unless the service has its own file', () => {
  const env = readSetting('restartBackoff', { TSINIT_RESTART_BACKOFF: '0.5 3 10 5' });
  assert.deepEqual(parseServiceSpec({ ...base, defaultBackoff: env }).spec.restartBackoff, {
    initialMs: 500,
    factor: 3,
    capMs: 10000,
    resetAfterMs: 5000,
  });
  assert.equal(
    parseServiceSpec({ ...base, files: { 'restart-backoff': '2 2 4 1' }, defaultBackoff: env }).spec.restartBackoff?.initialMs,
    2000,
  );
});

test('signal names: with or without SIG, any case, or a number', () => {
  assert.deepEqual(parseSignalName('quit'), { ok: true, value: 'QUIT' });
  assert.deepEqual(parseSignalName('SIGWINCH\n'), { ok: true, value: 'WINCH' });
  assert.deepEqual(parseSignalName('2'), { ok: true, value: 'INT' });
  assert.equal(parseSignalName('SIGFOO').ok, false);
});

test('readServiceSpec reads the files of a real directory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-'));
  try {
    fs.writeFileSync(path.join(dir, 'down-signal'), 'HUP\n');
    fs.writeFileSync(path.join(dir, 'check'), '#!/bin/sh\n', { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'dependencies.d'));
    fs.writeFileSync(path.join(dir, 'dependencies.d', 'db'), '');
    fs.writeFileSync(path.join(dir, 'timeout-kill'), 'x'.repeat(5000));
    const r = readServiceSpec(dir, {});
    assert.equal(r.spec.downSignal, 'HUP');
    assert.equal(r.spec.hasCheck, true);
    assert.deepEqual(r.spec.dependencies, ['db']);
    assert.equal(r.spec.timeoutKillMs, null);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]?.file, 'timeout-kill');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every bad extension value names what is used instead, and that is what the spec holds', () => {
  const cases: Array<[Partial<SpecInput>, string, RegExp, (s: ReturnType<typeof parseServiceSpec>['spec']) => unknown, unknown]> = [
    [{ files: { 'notification-fd': '1' } }, 'notification-fd', /; using no notification-fd: ready once up$/, (s) => s.notificationFd, null],
    [{ files: { 'notification-fd': 'x' }, checkExecutable: true }, 'notification-fd', /; using no notification-fd: readiness by \.\/check$/, (s) => s.notificationFd, null],
    [{ files: { 'notification-fd': '3.5' } }, 'notification-fd', /^not a whole number: 3\.5; using no notification-fd/, (s) => s.notificationFd, null],
    [{ files: { 'health-interval': 'x' }, healthExecutable: true }, 'health-interval', /; using the default, 10 s$/, (s) => s.health?.intervalMs, 10000],
    [{ files: { 'health-timeout': '0' }, healthExecutable: true }, 'health-timeout', /; using the default, 5 s$/, (s) => s.health?.timeoutMs, 5000],
    [{ files: { 'health-retries': '0' }, healthExecutable: true }, 'health-retries', /; using the default, 3$/, (s) => s.health?.retries, 3],
    [{ files: { essential: 'sometimes' } }, 'essential', /; using none: the service is not essential$/, (s) => s.essential, null],
    [{ files: { 'restart-backoff': '1 2' } }, 'restart-backoff', /; using runit's 1 s rule$/, (s) => s.restartBackoff, null],
    [{ files: { 'down-signal': 'NOPE' } }, 'down-signal', /; using TERM$/, (s) => s.downSignal, null],
    [{ files: { 'timeout-kill': '1.5' } }, 'timeout-kill', /; using none: no KILL after the down signal \(as runit\)$/, (s) => s.timeoutKillMs, null],
    [{ files: { 'timeout-kill': '-1' } }, 'timeout-kill', /; using none/, (s) => s.timeoutKillMs, null],
    [{ dependencyEntries: ['a/b'] }, 'dependencies.d', /; ignored$/, (s) => s.dependencies, []],
  ];
  for (const [input, file, re, get, want] of cases) {
    const r = parseServiceSpec({ ...base, ...input });
    assert.equal(r.problems.length, 1, `${file}: ${JSON.stringify(r.problems)}`);
    assert.equal(r.problems[0]?.file, file);
    assert.match(r.problems[0]?.message ?? '', re, file);
    assert.deepEqual(get(r.spec), want, file);
  }
});

test('an extension file that cannot be read counts as absent, and says so', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-spec-'));
  fs.mkdirSync(path.join(dir, 'timeout-kill'));
  fs.writeFileSync(path.join(dir, 'essential'), 'x'.repeat(5000));
  const r = readServiceSpec(dir, {});
  assert.deepEqual(
    r.problems.map((p) => `${p.file}: ${p.message}`).sort(),
    ['essential: larger than 4096 bytes; using none: the service is not essential', 'timeout-kill: not a regular file; using none: no KILL after the down signal (as runit)'],
  );
  assert.equal(r.spec.timeoutKillMs, null);
  assert.equal(r.spec.essential, null);
});
