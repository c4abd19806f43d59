// `--help`: tsinit's help names every command and tool dispatch knows; each
// has its own help; runit's tools answer only a lone `--help` (more words
// after it are runit's end of options), never in sv's LSB mode, and runit /
// runit-init never as process 1.
import test from 'node:test';
import assert from 'node:assert/strict';
import { toolNames } from '../../src/tool-names.ts';
import { helpRequest, helpTopics, TSINIT_HELP } from '../../src/help.ts';

const plain = { lsb: false, pid1: false };

test('tsinit --help lists every command and tool, install included', () => {
  for (const name of [...toolNames.filter((t) => t !== 'tsinit'), 'install']) {
    assert.match(TSINIT_HELP, new RegExp(`(^|[\\s(])${name}([\\s),]|$)`, 'm'), `${name} missing from tsinit --help`);
    assert.ok(helpTopics.includes(name), `${name} has no help of its own`);
  }
  const h = helpRequest('tsinit', 'tsinit', ['--help'], plain);
  assert.deepEqual(h, { text: TSINIT_HELP, stream: 'out', code: 0 });
  assert.equal(helpRequest('tsinit', 'tsinit', ['-h'], plain)?.text, TSINIT_HELP);
  assert.equal(helpRequest('tsinit', 'tsinit', ['-g', '--help'], plain)?.text, TSINIT_HELP);
  // after `--` it belongs to the command
  assert.equal(helpRequest('tsinit', 'tsinit', ['--', 'prog', '--help'], plain), undefined);
});

test("tsinit's own commands: help on stdout, exit 0, wherever --help or -h stands before --", () => {
  for (const cmd of ['health', 'events', 'halt', 'check']) {
    for (const args of [['--help'], ['-h'], ['--json', '--help']]) {
      const h = helpRequest(cmd, cmd, args, plain);
      assert.equal(h?.stream, 'out', `${cmd} ${args.join(' ')}`);
      assert.equal(h?.code, 0);
      assert.match(h?.text ?? '', new RegExp(`^usage: tsinit ${cmd}`));
    }
    assert.equal(helpRequest(cmd, cmd, ['--', '--help'], plain), undefined);
  }
  assert.match(helpRequest('tsinit', 'tsinit', ['install', '--help'], plain)?.text ?? '', /^usage: tsinit install DIR\n/);
  assert.equal(helpRequest('tsinit', 'tsinit', ['install', '/usr/local/bin'], plain), undefined);
});

test("runit's tools: stderr and runit's usage exit code, only for a lone --help", () => {
  const expect: Record<string, number> = {
    sv: 100, chpst: 100, svlogd: 111, runsvdir: 1, utmpset: 1, runsv: 1, runsvchdir: 1, runit: 111, 'runit-init': 0,
  };
  for (const [tool, code] of Object.entries(expect)) {
    const h = helpRequest(tool, tool, ['--help'], plain);
    assert.equal(h?.stream, 'err', tool);
    assert.equal(h?.code, code, tool);
    assert.match(h?.text ?? '', new RegExp(`^usage: ${tool} `), tool);
    // `sv --help status web` is `sv status web` for runit's getopt
    assert.equal(helpRequest(tool, tool, ['--help', 'x'], plain), undefined, tool);
    assert.equal(helpRequest(tool, tool, ['-h'], plain), undefined, tool);
  }
  assert.match(helpRequest('sv', 'sv', ['--help'], plain)?.text ?? '', /^usage: sv \[-v\] \[-w sec\] \[--json\] command service/);
});

test("chpst's alias names get their own help (a leading d ignored, as chpst does)", () => {
  for (const alias of ['envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock']) {
    for (const argv0 of [alias, `/usr/local/bin/${alias}`, `d${alias}`]) {
      const h = helpRequest('chpst', argv0, ['--help'], plain);
      assert.match(h?.text ?? '', new RegExp(`^usage: ${alias} `), argv0);
      assert.equal(h?.code, 100);
      assert.equal(h?.stream, 'err');
    }
  }
  assert.match(helpRequest('chpst', '/bin/chpst', ['--help'], plain)?.text ?? '', /^usage: chpst /);
});

test('no help in LSB mode, nor for runit and runit-init as process 1', () => {
  assert.equal(helpRequest('sv', '/etc/init.d/web', ['--help'], { lsb: true, pid1: false }), undefined);
  assert.equal(helpRequest('runit', 'runit', ['--help'], { lsb: false, pid1: true }), undefined);
  assert.equal(helpRequest('runit-init', 'runit-init', ['--help'], { lsb: false, pid1: true }), undefined);
  assert.ok(helpRequest('tsinit', 'tsinit', ['--help'], { lsb: false, pid1: true }));
});
