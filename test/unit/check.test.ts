// tsinit check on fixture folders: one service per mistake, and a clean one.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCheck } from '../../src/check/run-check.ts';
import { editDistance, misspelledOption, scriptProblems } from '../../src/check/service-lint.ts';
import { checkExitCode, parseCheckArgs } from '../../src/check/main.ts';
import { formatReport } from '../../src/check/format.ts';
import { checkInBackground } from '../../src/check/boot.ts';

const SH = '#!/bin/sh\nexec sleep 1000\n';

function write(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
}

function service(root: string, name: string, files: Record<string, string | [string, number]> = {}): void {
  fs.mkdirSync(path.join(root, name), { recursive: true });
  const all: Record<string, string | [string, number]> = { run: [SH, 0o755], ...files };
  for (const [f, v] of Object.entries(all)) {
    const [text, mode] = typeof v === 'string' ? [v, 0o644] : v;
    if (f.endsWith('/')) fs.mkdirSync(path.join(root, name, f), { recursive: true });
    else write(path.join(root, name, f), text, mode);
  }
}

/** A fixture folder with one of each mistake. */
function mistakes(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-check-'));
  fs.mkdirSync(path.join(root, 'norun'));
  service(root, 'noexec', { run: [SH, 0o644] });
  service(root, 'crlf', { run: ['#!/bin/sh\r\nexec sleep 1\r\n', 0o755] });
  service(root, 'noshebang', { run: ['exec sleep 1\n', 0o755] });
  service(root, 'nointerp', { run: ['#!/bin/no-such-shell\nexec sleep 1\n', 0o755] });
  service(root, 'customlog', { 'log/run': ['#!/bin/sh\nexec logger -t web\n', 0o755] });
  service(root, 'typos', { notification_fd: '3\n', timeout_kill: '100\n' });
  service(root, 'cyc-a', { 'dependencies.d/': '', 'dependencies.d/cyc-b': '' });
  service(root, 'cyc-b', { 'dependencies.d/': '', 'dependencies.d/cyc-a': '' });
  service(root, 'lonely', { 'dependencies.d/': '', 'dependencies.d/ghost': '' });
  service(root, 'badvalue', { 'down-signal': 'SIGNOPE\n', 'restart-backoff': '1 2\n' });
  service(root, 'slow', { 'timeout-kill': '20000\n' });
  return root;
}

function clean(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-check-'));
  service(root, 'db', { 'down-signal': 'INT\n', 'timeout-kill': '2000\n' });
  service(root, 'web', { 'dependencies.d/': '', 'dependencies.d/db': '', 'down-signal': 'QUIT\n', 'timeout-kill': '1500\n', 'log/run': ['#!/bin/sh\nexec svlogd -tt ./main\n', 0o755] });
  service(root, 'cron');
  return root;
}

test('each mistake is reported, naming the service and the file', async () => {
  const r = await runCheck(mistakes(), {}, 5);
  const has = (service: string | null, file: string | null, re: RegExp, severity = 'error'): void => {
    const f = r.findings.find((x) => x.service === service && x.file === file && re.test(x.message));
    assert.ok(f, `expected ${service}/${file} ~ ${re}; got:\n${r.findings.map((x) => JSON.stringify(x)).join('\n')}`);
    assert.equal(f.severity, severity, `${service}/${file}`);
  };
  has('norun', 'run', /missing/);
  has('noexec', 'run', /not executable/);
  has('crlf', 'run', /CRLF/);
  has('noshebang', 'run', /no #! line/);
  has('nointerp', 'run', /interpreter \/bin\/no-such-shell does not exist/);
  has('customlog', 'log/run', /not the usual svlogd line.*own process/, 'warning');
  has('typos', 'notification_fd', /did you mean notification-fd/, 'warning');
  has('typos', 'timeout_kill', /did you mean timeout-kill/, 'warning');
  has('cyc-a', 'dependencies.d', /cycle: cyc-a -> cyc-b -> cyc-a/);
  has('lonely', 'dependencies.d', /ghost does not exist/);
  has('badvalue', 'down-signal', /unknown signal/);
  has('badvalue', 'restart-backoff', /four numbers/);
  has(null, null, /more than the whole budget/);
  has(null, null, /not below the grace period/);
  assert.equal(checkExitCode(r.errors, r.warnings, false), 2);
  const text = formatReport(r);
  assert.match(text, /^noexec\/run: error: not executable/m);
});

test('a clean folder: no findings, the start order and the shutdown plan with each phase\'s time', async () => {
  const r = await runCheck(clean(), { TSINIT_SHUTDOWN_TIMEOUT: '10' }, 30);
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.startOrder, [['cron', 'db'], ['web']]);
  assert.deepEqual(r.shutdown.stopWaves.map((w) => w.services.map((s) => s.name)), [['web'], ['cron', 'db']]);
  assert.equal(r.shutdown.chainMs, 3500);
  assert.deepEqual(r.shutdown.phases.map((p) => [p.phase, p.ms]), [
    ['stop services', 5000],
    ['stage 3', 3000],
    ['TERM all', 1000],
    ['KILL all', 1000],
  ]);
  assert.equal(checkExitCode(r.errors, r.warnings, true), 0);
  const text = formatReport(r);
  assert.match(text, /start order \(3 services/);
  assert.match(text, /1\. cron db\n\s+2\. web/);
  assert.match(text, /stop services: 5 s/);
  assert.match(text, /wave 1: web QUIT kill@1\.5 s/);
});

test('a plan beyond the services\' share is a warning; --strict makes warnings exit 1', async () => {
  const root = clean();
  fs.writeFileSync(path.join(root, 'db', 'timeout-kill'), '4000\n');
  const r = await runCheck(root, { TSINIT_SHUTDOWN_TIMEOUT: '9' }, null);
  assert.equal(r.errors, 0);
  assert.ok(r.findings.some((f) => f.severity === 'warning' && /the services get/.test(f.message)));
  assert.equal(checkExitCode(r.errors, r.warnings, false), 0);
  assert.equal(checkExitCode(r.errors, r.warnings, true), 1);
  const g = await runCheck(clean(), { TSINIT_SHUTDOWN_TIMEOUT: '9' }, 9.5);
  assert.ok(g.findings.some((f) => f.severity === 'warning' && /less than 1 s of the grace period/.test(f.message)));
});

test('one service directory can be checked alone', async () => {
  const root = mistakes();
  const r = await runCheck(path.join(root, 'noexec'), {}, null);
  assert.deepEqual([...new Set(r.findings.map((f) => f.service))].filter((s) => s !== null), ['noexec']);
});

test('checking one service plans that service and its dependencies only, not its siblings', async () => {
  const root = clean();
  service(root, 'other', { 'timeout-kill': '900\n' });
  const r = await runCheck(path.join(root, 'web'), { TSINIT_SHUTDOWN_TIMEOUT: '10' }, null);
  assert.equal(r.only, 'web');
  assert.deepEqual(r.services, ['db', 'web']);
  assert.deepEqual(r.startOrder, [['db'], ['web']]);
  assert.deepEqual(r.shutdown.stopWaves.map((w) => w.services.map((s) => s.name)), [['web'], ['db']]);
  assert.equal(r.shutdown.chainMs, 3500);
  const text = formatReport(r);
  assert.match(text, /^start order \(web and 1 dependency\):$/m);
  assert.doesNotMatch(text, /cron|other|3 services|4 services/);
  const alone = formatReport(await runCheck(path.join(root, 'cron'), {}, null));
  assert.match(alone, /^start order \(cron\):\n  1\. cron$/m);
  assert.doesNotMatch(alone, /\bdb\b|\bweb\b|other/);
});

test('services that can never start (cycle, missing dependency) are in no stop wave', async () => {
  const r = await runCheck(mistakes(), {}, null);
  const waves = r.shutdown.stopWaves.flatMap((w) => w.services.map((s) => s.name));
  for (const n of ['cyc-a', 'cyc-b', 'lonely']) assert.ok(!waves.includes(n), `${n} in a stop wave: ${waves.join(' ')}`);
  assert.deepEqual(r.shutdown.neverStarted, ['cyc-a', 'cyc-b', 'lonely']);
  assert.ok(waves.includes('slow'));
  assert.match(formatReport(r), /never started, nothing to stop: cyc-a, cyc-b, lonely/);
  // Checked alone, a service in a cycle: its error, no wave, and only the cycle's services planned.
  const one = await runCheck(path.join(mistakes(), 'cyc-a'), {}, null);
  assert.deepEqual(one.services, ['cyc-a', 'cyc-b']);
  assert.deepEqual(one.shutdown.stopWaves, []);
  assert.deepEqual(one.startOrder, []);
  assert.ok(one.findings.some((f) => f.service === 'cyc-a' && /cycle/.test(f.message)));
});

test('misspellings: close to an option, not any unknown file', () => {
  assert.equal(misspelledOption('notification_fd'), 'notification-fd');
  assert.equal(misspelledOption('Down-Signal'), 'down-signal');
  assert.equal(misspelledOption('timout-kill'), 'timeout-kill');
  assert.equal(misspelledOption('dependencies'), 'dependencies.d');
  assert.equal(misspelledOption('essentail'), 'essential');
  assert.equal(misspelledOption('nginx.conf'), null);
  assert.equal(misspelledOption('run'), null);
  assert.equal(misspelledOption('down'), null);
  assert.equal(editDistance('abcd', 'abdc'), 1);
});

test('script heads: ELF binaries pass, a BOM is named', () => {
  assert.deepEqual(scriptProblems(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1])), []);
  assert.match(scriptProblems(Buffer.from('\xef\xbb\xbf#!/bin/sh\n', 'latin1'))[0]?.message ?? '', /byte order mark/);
});

test('arguments: --strict --json --grace SECONDS DIR', () => {
  assert.deepEqual(parseCheckArgs(['--strict', '--json', '--grace', '30', '/x']), { strict: true, json: true, graceS: 30, dir: '/x' });
  assert.deepEqual(parseCheckArgs(['--grace=2.5']), { strict: false, json: false, graceS: 2.5, dir: null });
  assert.ok('error' in parseCheckArgs(['--grace', 'soon']));
  assert.ok('error' in parseCheckArgs(['--bogus']));
  assert.ok('error' in parseCheckArgs(['a', 'b']));
});

test('the boot check reports the same findings, a slice per service', async () => {
  const lines: string[] = [];
  await new Promise<void>((resolve) => checkInBackground(mistakes(), (l) => lines.push(l), {}, resolve));
  assert.ok(lines.some((l) => /^noexec\/run: not executable/.test(l)), lines.join('\n'));
  assert.ok(lines.every((l) => !/: (error|warning): /.test(l)), 'the severity is the log level, not repeated in the text');
  // The extension files' problems are runsv's to report (once, at each start), not the boot check's.
  assert.ok(!lines.some((l) => /^badvalue\/(down-signal|restart-backoff):/.test(l)), lines.join('\n'));
  assert.ok((await runCheck(mistakes(), {}, null)).findings.some((f) => f.service === 'badvalue' && f.file === 'down-signal'), 'tsinit check still reports them');
  assert.ok(lines.some((l) => /cycle/.test(l)));
});
