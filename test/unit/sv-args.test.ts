// sv's option parsing: runit's djb getopt behaviour (observed with Debian's
// sv) and tsinit's --json; LSB mode selection and exit codes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, scanUlong, usageText, SV_ID } from '../../src/sv/args.ts';
import { capExit, fatalExit, lsbStatusExit, modeOf, usageExit } from '../../src/sv/lsb.ts';

const ok = (args: string[]) => {
  const r = parseArgs('sv', args);
  assert.equal(r.kind, 'ok', JSON.stringify(args));
  return r.kind === 'ok' ? r.options : assert.fail();
};

test('options stop at the command; -w implies -v and takes attached or separate values', () => {
  assert.deepEqual(ok(['status', 'a', '-v']), { verbose: false, waitSec: undefined, json: false, action: 'status', services: ['a', '-v'] });
  assert.deepEqual(ok(['-w5', 'up', 'a']), { verbose: true, waitSec: 5, json: false, action: 'up', services: ['a'] });
  assert.deepEqual(ok(['-vw', '12', 'up', 'a', 'b']), { verbose: true, waitSec: 12, json: false, action: 'up', services: ['a', 'b'] });
  // "-w -v": -v is the (lenient, = 0) value; observed with Debian's sv
  assert.deepEqual(ok(['-w', '-v', 'status', 'a']).waitSec, 0);
  assert.equal(ok(['-w', '3x', 'status', 'a']).waitSec, 3);
  assert.equal(ok(['-wabc', 'status', 'a']).waitSec, 0);
});

test('"--" and any "--word" end the options and are consumed; "-" is a command', () => {
  assert.equal(ok(['-v', '--', 'status', 'a']).action, 'status');
  assert.equal(ok(['--foo', 'status', 'a']).action, 'status');
  assert.equal(ok(['-', 'status']).action, '-');
});

test('--json is tsinit\'s option, accepted among the options', () => {
  const o = ok(['--json', 'status', 'a']);
  assert.equal(o.json, true);
  assert.equal(o.action, 'status');
  assert.equal(ok(['-v', '--json', 'status', 'a']).json, true);
  // right after `status` too (the spelling); anywhere later it is a service name
  assert.deepEqual(ok(['status', '--json', 'a']), { verbose: false, waitSec: undefined, json: true, action: 'status', services: ['a'] });
  assert.deepEqual(ok(['status', 'a', '--json']).services, ['a', '--json']);
  assert.equal(ok(['up', '--json', 'a']).json, false);
});

test('getopt complaints and -V, as Debian prints them', () => {
  assert.deepEqual(parseArgs('sv', ['-x', 'status', 'a']), { kind: 'usage', stderr: 'sv: illegal option -- x\n' });
  assert.deepEqual(parseArgs('sv', ['-v-x']), { kind: 'usage', stderr: 'sv: illegal option -- -\n' });
  assert.deepEqual(parseArgs('sv', ['-w']), { kind: 'usage', stderr: 'sv: option requires an argument -- w\n' });
  assert.deepEqual(parseArgs('sv', ['-vw']), { kind: 'usage', stderr: 'sv: option requires an argument -- w\n' });
  assert.deepEqual(parseArgs('web', ['-x']), { kind: 'usage', stderr: 'web: illegal option -- x\n' });
  assert.deepEqual(parseArgs('sv', ['-V', 'status', 'a']), { kind: 'usage', stderr: `${SV_ID}\n` });
  assert.deepEqual(parseArgs('sv', []), { kind: 'usage', stderr: '' });
  assert.equal(usageText('sv', false), 'usage: sv [-v] [-w sec] command service ...\n\n');
  assert.equal(usageText('web', true), 'usage: web [-w sec] command\n\n');
});

test('scan_ulong leniency', () => {
  assert.equal(scanUlong('42abc'), 42);
  assert.equal(scanUlong(''), 0);
  assert.equal(scanUlong('x1'), 0);
});

test('LSB mode and exit codes', () => {
  assert.deepEqual(modeOf('sv', undefined), { progname: 'sv', lsb: false });
  assert.deepEqual(modeOf('/usr/bin/sv', undefined), { progname: 'sv', lsb: false });
  assert.deepEqual(modeOf('/etc/init.d/web', 'web'), { progname: 'web', lsb: true });
  assert.equal(usageExit(false), 100);
  assert.equal(usageExit(true), 2);
  assert.equal(fatalExit(false), 100);
  assert.equal(fatalExit(true), 151);
  assert.equal(lsbStatusExit(1), 0);
  assert.equal(lsbStatusExit(2), 3);
  assert.equal(lsbStatusExit(0), 4);
  assert.equal(capExit(5), 5);
  assert.equal(capExit(150), 99);
});
