// src/settings.ts: every TSINIT_* variable, accepted spellings, and one
// warning for each value not used as given.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readSettings, readSetting, parseDuration, MAX_SHUTDOWN_TIMEOUT_MS } from '../../src/settings.ts';
import { readInitConfig } from '../../src/init/config.ts';

test('defaults without any TSINIT_* variable, and no warnings', () => {
  const { values, warnings } = readSettings({ PATH: '/bin' });
  assert.deepEqual(warnings, []);
  assert.equal(values.runitDir, '/etc/runit');
  assert.equal(values.serviceDir, '/etc/service');
  assert.equal(values.shutdownTimeoutMs, 9000);
  assert.equal(values.logFormat, 'human');
  assert.equal(values.logLevel, 'info');
  assert.equal(values.exitRemap.size, 0);
});

test('obvious spellings are accepted without a warning', () => {
  for (const [raw, want] of [['json', 'json'], ['JSON', 'json'], [' Json ', 'json'], ['human', 'human'], ['TEXT', 'human']] as const) {
    const r = readSettings({ TSINIT_LOG_FORMAT: raw });
    assert.equal(r.values.logFormat, want, raw);
    assert.deepEqual(r.warnings, [], raw);
  }
  for (const [raw, want] of [['DEBUG', 'debug'], ['Warning', 'warn'], ['warn', 'warn'], ['off', 'silent']] as const) {
    const r = readSettings({ TSINIT_LOG_LEVEL: raw });
    assert.equal(r.values.logLevel, want, raw);
    assert.deepEqual(r.warnings, [], raw);
  }
  for (const [raw, ms] of [['9', 9000], ['2.5', 2500], ['5s', 5000], ['500ms', 500], ['2m', 120000], ['1e3', 1_000_000], ['1e9', 1e12]] as const) {
    const r = readSettings({ TSINIT_SHUTDOWN_TIMEOUT: raw });
    assert.equal(r.values.shutdownTimeoutMs, ms, raw);
    assert.deepEqual(r.warnings, [], raw);
  }
  assert.equal(readSetting('logPrefix', { TSINIT_LOG_PREFIX: 'true' }), '1');
  assert.equal(readSetting('inprocessLog', { TSINIT_INPROCESS_LOG: 'OFF' }), '0');
});

test('a value not used as given gets exactly one warning naming variable and value', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['TSINIT_LOG_FORMAT', 'yaml', /^TSINIT_LOG_FORMAT=yaml: invalid .*using the default, human$/],
    ['TSINIT_LOG_LEVEL', 'loud', /^TSINIT_LOG_LEVEL=loud: invalid .*using the default, info$/],
    ['TSINIT_SHUTDOWN_TIMEOUT', '0x10', /^TSINIT_SHUTDOWN_TIMEOUT=0x10: invalid .*using the default, 9 s$/],
    ['TSINIT_SHUTDOWN_TIMEOUT', '-5', /invalid/],
    ['TSINIT_SHUTDOWN_TIMEOUT', 'soon', /invalid/],
    ['TSINIT_SHUTDOWN_TIMEOUT', 'Infinity', /invalid/],
    ['TSINIT_SHUTDOWN_TIMEOUT', '1e-9', /less than the minimum, 0\.1 s/],
    ['TSINIT_SHUTDOWN_TIMEOUT', '0', /less than the minimum/],
    ['TSINIT_SHUTDOWN_TIMEOUT', '99999999999999999999', /more than the maximum/],
    ['TSINIT_LOG_PREFIX', 'maybe', /invalid/],
    ['TSINIT_EXIT_REMAP', 'x', /invalid/],
    ['TSINIT_EXIT_REMAP', '143:0,300:1', /entries ignored.*300:1/],
    ['TSINIT_SHUTDOWN_TIMOUT', '3', /^TSINIT_SHUTDOWN_TIMOUT: unknown variable, ignored$/],
  ];
  for (const [name, raw, re] of cases) {
    const r = readSettings({ [name]: raw });
    assert.equal(r.warnings.length, 1, `${name}=${raw}: ${r.warnings.join(' | ')}`);
    assert.match(r.warnings[0] as string, re);
  }
  assert.equal(readSettings({ TSINIT_SHUTDOWN_TIMEOUT: '0x10' }).values.shutdownTimeoutMs, 9000);
  assert.equal(readSettings({ TSINIT_SHUTDOWN_TIMEOUT: '1e-9' }).values.shutdownTimeoutMs, 100);
  assert.equal(readSettings({ TSINIT_SHUTDOWN_TIMEOUT: '99999999999999999999' }).values.shutdownTimeoutMs, MAX_SHUTDOWN_TIMEOUT_MS);
});

test('exit remap pairs', () => {
  const m = readSettings({ TSINIT_EXIT_REMAP: '143:0,130:0 2:3' }).values.exitRemap;
  assert.deepEqual([...m], [[143, 0], [130, 0], [2, 3]]);
  assert.deepEqual([...readSettings({ TSINIT_EXIT_REMAP: '143:0,300:1' }).values.exitRemap], [[143, 0]]);
});

test('empty means the default, silently', () => {
  const r = readSettings({ TSINIT_LOG_FORMAT: '', TSINIT_SHUTDOWN_TIMEOUT: '' });
  assert.deepEqual(r.warnings, []);
  assert.equal(r.values.shutdownTimeoutMs, 9000);
});

test('the init configuration carries the values and the warnings', () => {
  const c = readInitConfig({ TSINIT_LOG_FORMAT: 'JSON', TSINIT_SHUTDOWN_TIMEOUT: '5s', TSINIT_BOGUS: '1' });
  assert.equal(c.logFormat, 'json');
  assert.equal(c.shutdownTimeoutMs, 5000);
  assert.deepEqual(c.warnings, ['TSINIT_BOGUS: unknown variable, ignored']);
});

test('parseDuration clamps to its limits', () => {
  const p = parseDuration({ minMs: 10, maxMs: 1000 });
  assert.deepEqual(p('0.5'), { ok: true, value: 500 });
  assert.equal((p('5') as { value: number }).value, 1000);
  assert.equal((p('.001') as { value: number }).value, 10);
  assert.equal(p('1,5').ok, false);
});
