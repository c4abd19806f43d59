import test from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { parseInitArgs } from '../../src/init/main.ts';
import { shutdownDeadlines } from '../../src/init/budget.ts';
import { stageModeExitCode } from '../../src/init/exit-codes.ts';
import { readInitConfig } from '../../src/init/config.ts';
import { spawnErrorExitCode } from '../../src/init/command-mode.ts';
import { installGuards } from '../../src/init/guard.ts';
import { humanLine } from '../../src/log.ts';
import type { Logger } from 'pino';
import { dispatch } from '../../src/dispatch.ts';
import { chpstAliases, isChpstName, linkNames, toolNamesOwn } from '../../src/tool-names.ts';
import { decodeWaitStatus, shellExitCode } from '../../src/process/wait-status.ts';

test('init arguments: stage mode, command mode with -g, install, errors', () => {
  assert.deepEqual(parseInitArgs([]), { mode: 'stages', group: false, command: [] });
  assert.deepEqual(parseInitArgs(['-g', '--', 'nginx', '-g', 'daemon off;']), { mode: 'command', group: true, command: ['nginx', '-g', 'daemon off;'] });
  assert.deepEqual(parseInitArgs(['install', '/usr/local/bin']), { mode: 'install', group: false, command: [], installDir: '/usr/local/bin' });
  assert.ok('error' in parseInitArgs(['--']));
  assert.ok('error' in parseInitArgs(['-x']));
  assert.ok('error' in parseInitArgs(['install']));
});

test('the shutdown budget is shared in order and ends at the budget', () => {
  const d = shutdownDeadlines(1000, 9000);
  assert.ok(d.stage2Kill < d.stage3Kill && d.stage3Kill < d.finalKill && d.finalKill < d.exit);
  assert.equal(d.exit, 10000);
  assert.equal(d.stage2Kill, 5500);
});

test('exit codes: stage 1 failure wins over stage 3 failure', () => {
  assert.equal(stageModeExitCode({ stage1Failed: false, stage3Failed: false }), 0);
  assert.equal(stageModeExitCode({ stage1Failed: true, stage3Failed: true }), 1);
  assert.equal(stageModeExitCode({ stage1Failed: false, stage3Failed: true }), 2);
  assert.equal(spawnErrorExitCode('ENOENT'), 127);
  assert.equal(spawnErrorExitCode('EACCES'), 126);
  assert.equal(spawnErrorExitCode('ENOEXEC'), 126);
});

test('wait statuses map to shell exit codes', () => {
  assert.equal(shellExitCode(decodeWaitStatus(1, 3 << 8)), 3);
  assert.equal(shellExitCode(decodeWaitStatus(1, 15)), 143);
  assert.equal(shellExitCode(decodeWaitStatus(1, 0x80 | 11)), 139);
  assert.equal(decodeWaitStatus(1, 0x80 | 11).core, true);
});

test('configuration from the environment', () => {
  const c = readInitConfig({ TSINIT_RUNIT_DIR: '/x', TSINIT_SHUTDOWN_TIMEOUT: '2.5', TSINIT_LOG_FORMAT: 'json', TSINIT_LOG_LEVEL: 'debug' });
  assert.equal(c.runitDir, '/x');
  assert.equal(c.shutdownTimeoutMs, 2500);
  assert.deepEqual(c.stopitFiles, ['/x/stopit', '/run/runit.stopit']);
  assert.equal(c.ctrlaltdel, '/x/ctrlaltdel');
  assert.equal(c.logFormat, 'json');
  assert.equal(c.logLevel, 'debug');
  const d = readInitConfig({ TSINIT_SHUTDOWN_TIMEOUT: 'soon' });
  assert.equal(d.shutdownTimeoutMs, 9000);
  assert.equal(d.serviceDir, '/etc/service');
});

test('human log lines look like runit', () => {
  assert.equal(humanLine('tsinit', '{"level":30,"msg":"enter stage: /etc/runit/1"}'), '- tsinit: enter stage: /etc/runit/1\n');
  assert.equal(humanLine('tsinit', '{"level":40,"msg":"restarting."}'), '- tsinit: warning: restarting.\n');
  assert.equal(humanLine('tsinit', '{"level":20,"msg":"reaped orphan","pid":7,"status":"exit 0"}'), '- tsinit: debug: reaped orphan (pid=7 status=exit 0)\n');
});

test('an exception that escapes a handler is logged, not fatal', () => {
  const em = new EventEmitter();
  const lines: string[] = [];
  // a fake logger: only error() is used by the guards
  const fake = { error: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`) } as unknown as Logger;
  installGuards(em as unknown as Parameters<typeof installGuards>[0], fake);
  em.emit('uncaughtException', new Error('bug in one service'));
  em.emit('unhandledRejection', new Error('async bug'));
  assert.equal(lines.length, 2);
  assert.match(lines[0] as string, /internal error \(supervision continues\).*bug in one service/);
  assert.match(lines[1] as string, /async bug/);
});

test('multi-call dispatch by argv0 and by first argument', () => {
  const noLink = (): boolean => false;
  assert.deepEqual(dispatch('/usr/bin/sv', ['status', 'x'], noLink), { tool: 'sv', ctx: { argv0: '/usr/bin/sv', args: ['status', 'x'] } });
  assert.deepEqual(dispatch('/sbin/tsinit', ['svlogd', '-tt', 'd'], noLink), { tool: 'svlogd', ctx: { argv0: 'svlogd', args: ['-tt', 'd'] } });
  assert.deepEqual(dispatch('envdir', ['e', 'prog'], noLink), { tool: 'chpst', ctx: { argv0: 'envdir', args: ['e', 'prog'] } });
  assert.deepEqual(dispatch('/sbin/tsinit', [], noLink), { tool: 'tsinit', ctx: { argv0: 'tsinit', args: [] } });
  assert.deepEqual(dispatch('/sbin/tsinit', ['--', 'x'], noLink), { tool: 'tsinit', ctx: { argv0: 'tsinit', args: ['--', 'x'] } });
  const bad = dispatch('/sbin/tsinit', ['frobnicate'], noLink);
  assert.ok('error' in bad && /unknown tool: frobnicate/.test(bad.error));
  // names an Object has are no tools
  assert.ok('error' in dispatch('/sbin/tsinit', ['constructor'], noLink));
  // the HEALTHCHECK names `tsinit install` makes (the client's fallback execs the executable by them)
  assert.deepEqual(dispatch('/usr/local/bin/tsinit-health', ['--ready'], noLink), { tool: 'health', ctx: { argv0: 'health', args: ['--ready'] } });
  assert.deepEqual(dispatch('tsinit-halt', ['3'], noLink), { tool: 'halt', ctx: { argv0: 'halt', args: ['3'] } });
  assert.deepEqual(dispatch('tsinit-events', [], noLink), { tool: 'events', ctx: { argv0: 'events', args: [] } });
  assert.deepEqual(dispatch('tsinit-check', ['--json'], noLink), { tool: 'check', ctx: { argv0: 'check', args: ['--json'] } });
  assert.deepEqual(dispatch('/x/tsinit-other', ['sv'], noLink), { tool: 'sv', ctx: { argv0: 'sv', args: [] } });
});

test('dispatch asks about an sv link only when the name decides nothing', () => {
  const asked: string[] = [];
  const toSv = (argv0: string): boolean => {
    asked.push(argv0);
    return argv0 === '/etc/init.d/web';
  };
  assert.deepEqual(dispatch('/etc/init.d/web', ['status'], toSv), { tool: 'sv', ctx: { argv0: '/etc/init.d/web', args: ['status'], lsbName: 'web' } });
  dispatch('/usr/bin/sv', ['status', 'x'], toSv);
  dispatch('/usr/bin/setuidgid', ['u', 'p'], toSv);
  dispatch('/sbin/tsinit', ['sv', 'status', 'x'], toSv);
  assert.deepEqual(asked, ['/etc/init.d/web']);
});

test('every link name selects its tool by argv[0] (check included); health and events only as tsinit TOOL', () => {
  const noLink = (): boolean => false;
  for (const n of linkNames) {
    const d = dispatch(`/usr/local/bin/${n}`, [], noLink);
    assert.ok('tool' in d, n);
    assert.equal(d.tool, chpstAliases.includes(n) ? 'chpst' : n, n);
  }
  assert.ok(linkNames.includes('check'));
  const asArgv0 = new Set<string>(linkNames);
  assert.deepEqual(toolNamesOwn.filter((n) => !asArgv0.has(n)), ['health', 'events']);
});

test('isChpstName: chpst and its daemontools aliases by basename, nothing else', () => {
  for (const n of ['chpst', '/usr/bin/chpst', 'envdir', '/bin/setuidgid', '-softlimit']) assert.equal(isChpstName(n), true, n);
  for (const n of ['sv', '/sbin/tsinit', 'chpstx', '/usr/bin/env', '']) assert.equal(isChpstName(n), false, n);
});
