// src/settings.ts: every TSINIT_* variable, accepted spellings, and one
// warning for each value not used as given.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readSettings, readSetting, parseDuration, eventsSocketPath, MAX_SHUTDOWN_TIMEOUT_MS, SETTINGS } from '../../src/settings.ts';
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
  assert.equal(readSetting('logPrefix', { TSINIT_LOG_PREFIX: 'true' }), true);
  assert.equal(readSetting('inprocessLog', { TSINIT_INPROCESS_LOG: 'OFF' }), false);
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

// Every variable: what is accepted (the value used, no warning) and what is
// refused (one warning that names the value used instead, and that value is
// the one used). A variable missing from this table fails the last test.
type Row = { accept: Array<[string, unknown]>; reject: Array<[string, unknown, string]> };
const backoff = { initialMs: 500, factor: 2, capMs: 10000, resetAfterMs: 60000 };
const TABLE: Record<string, Row> = {
  TSINIT_RUNIT_DIR: { accept: [['/srv/runit', '/srv/runit']], reject: [] },
  TSINIT_SERVICE_DIR: { accept: [['/srv/service', '/srv/service']], reject: [] },
  TSINIT_SHUTDOWN_TIMEOUT: {
    accept: [['5', 5000], ['5s', 5000], ['1.5', 1500], ['250ms', 250], ['1m', 60000]],
    reject: [['soon', 9000, 'using the default, 9 s'], ['0x10', 9000, 'using the default, 9 s'], ['-1', 9000, 'using the default, 9 s']],
  },
  TSINIT_STOP_DELAY: {
    accept: [['5', 5000], ['5s', 5000], ['0', 0], ['750ms', 750]],
    reject: [['soon', 0, 'refused'], ['-2', 0, 'refused'], ['5x', 0, 'refused']],
  },
  TSINIT_LOG_FORMAT: { accept: [['json', 'json'], ['HUMAN', 'human']], reject: [['yaml', 'human', 'using the default, human']] },
  TSINIT_LOG_LEVEL: { accept: [['debug', 'debug'], ['off', 'silent']], reject: [['loud', 'info', 'using the default, info']] },
  TSINIT_LOG_PREFIX: {
    accept: [['1', true], ['true', true], ['YES', true], ['on', true], ['0', false], ['false', false], ['no', false], ['Off', false]],
    reject: [['maybe', false, 'using the default, off']],
  },
  TSINIT_INPROCESS_LOG: {
    accept: [['0', false], ['false', false], ['off', false], ['no', false], ['1', true], ['on', true]],
    reject: [['2', true, 'using the default, on']],
  },
  TSINIT_KEEP_LEFTOVERS: { accept: [['1', true], ['yes', true], ['off', false]], reject: [['y', false, 'using the default, off']] },
  TSINIT_CHPST_FASTPATH: {
    accept: [['0', false], ['false', false], ['off', false], ['no', false], ['1', true], ['true', true]],
    reject: [['disabled', true, 'using the default, on']],
  },
  TSINIT_EXIT_REMAP: { accept: [['143:0', new Map([[143, 0]])]], reject: [['x', new Map(), 'using the default, none']] },
  TSINIT_TMPDIR: { accept: [['/var/tmp', '/var/tmp']], reject: [] },
  TSINIT_RLIMIT_NOFILE: {
    accept: [['1024', 1024n], ['unlimited', 'unlimited']],
    reject: [['lots', null, "using the default, the parent process's limit"]],
  },
  TSINIT_HTTP: {
    accept: [['8080', { host: '127.0.0.1', port: 8080 }], ['[::]:80', { host: '::', port: 80 }], ['off', null], ['0', null], ['false', null]],
    reject: [['http://x', null, 'refused'], ['99999', null, 'refused']],
  },
  TSINIT_RUN_DIR: { accept: [['/tmp/x', '/tmp/x']], reject: [] },
  TSINIT_EVENTS_SOCKET: { accept: [['/tmp/e.sock', { path: '/tmp/e.sock' }], ['off', 'off'], ['false', 'off']], reject: [] },
  TSINIT_TOOLS: {
    accept: [['0', false], ['off', false], ['no', false], ['1', true], ['on', true]],
    reject: [['thin', true, 'using the default, on']],
  },
  TSINIT_RESTART_BACKOFF: {
    accept: [['0.5 2 10 60', backoff]],
    reject: [['fast', null, "using the default, runit's 1 s rule"], ['1 2 3', null, "using the default, runit's 1 s rule"]],
  },
  TSINIT_ESSENTIAL_ATTEMPTS: { accept: [['5', 5]], reject: [['0', 3, 'using the default, 3'], ['2.5', 3, 'using the default, 3']] },
};

function valueOf(name: string, env: NodeJS.ProcessEnv): { value: unknown; warnings: string[]; errors: string[] } {
  const key = (Object.keys(SETTINGS) as Array<keyof typeof SETTINGS>).find((k) => SETTINGS[k].name === name);
  assert.ok(key, name);
  const r = readSettings(env);
  return { value: r.values[key], warnings: r.warnings, errors: r.errors };
}

test('every variable: accepted spellings give their value without a warning', () => {
  for (const [name, row] of Object.entries(TABLE)) {
    for (const [raw, want] of row.accept) {
      const r = valueOf(name, { [name]: raw });
      assert.deepEqual(r.value, want, `${name}=${raw}`);
      assert.deepEqual(r.warnings, [], `${name}=${raw}`);
      assert.deepEqual(r.errors, [], `${name}=${raw}`);
    }
  }
});

test('every variable: a bad value warns once, and what the warning names is what is used (or is refused: PID 1 does not start)', () => {
  for (const [name, row] of Object.entries(TABLE)) {
    for (const [raw, used, says] of row.reject) {
      const r = valueOf(name, { [name]: raw });
      if (says === 'refused') {
        assert.deepEqual(r.warnings, [], `${name}=${raw}`);
        assert.equal(r.errors.length, 1, `${name}=${raw}`);
        assert.match(r.errors[0] as string, new RegExp(`^${name}=${raw.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: invalid \\(expected .*\\)$`));
        continue;
      }
      assert.deepEqual(r.errors, [], `${name}=${raw}`);
      assert.equal(r.warnings.length, 1, `${name}=${raw}: ${r.warnings.join(' | ')}`);
      assert.ok((r.warnings[0] as string).startsWith(`${name}=${raw}: invalid`), r.warnings[0]);
      assert.ok((r.warnings[0] as string).endsWith(`: ${says}`), r.warnings[0]);
      assert.deepEqual(r.value, used, `${name}=${raw}`);
      // ...and the same as leaving the variable unset
      assert.deepEqual(r.value, valueOf(name, {}).value, `${name}=${raw}`);
    }
  }
});

test('the table covers every variable settings.ts declares', () => {
  assert.deepEqual(Object.values(SETTINGS).map((s) => s.name).sort(), Object.keys(TABLE).sort());
});

test('one duration syntax for every duration, one set of words for every boolean', () => {
  for (const raw of ['7', '7s', '7000ms', '7.0', ' 7 ']) {
    assert.equal(readSettings({ TSINIT_SHUTDOWN_TIMEOUT: raw }).values.shutdownTimeoutMs, 7000, raw);
    assert.equal(readSettings({ TSINIT_STOP_DELAY: raw }).values.stopDelayMs, 7000, raw);
  }
  for (const [raw, v] of [['1', true], ['true', true], ['yes', true], ['on', true], ['0', false], ['false', false], ['no', false], ['off', false]] as const) {
    const s = readSettings({ TSINIT_LOG_PREFIX: raw, TSINIT_INPROCESS_LOG: raw, TSINIT_KEEP_LEFTOVERS: raw, TSINIT_CHPST_FASTPATH: raw, TSINIT_TOOLS: raw }).values;
    assert.deepEqual([s.logPrefix, s.inprocessLog, s.keepLeftovers, s.chpstFastpath, s.tools], [v, v, v, v, v], raw);
  }
});

test('the events socket follows the run directory unless given; off turns it off', () => {
  assert.equal(eventsSocketPath(readSettings({ TSINIT_RUN_DIR: '/tmp/r' }).values), '/tmp/r/events.sock');
  assert.equal(eventsSocketPath(readSettings({ TSINIT_EVENTS_SOCKET: '/tmp/e' }).values), '/tmp/e');
  assert.equal(eventsSocketPath(readSettings({ TSINIT_EVENTS_SOCKET: 'off' }).values), null);
});
