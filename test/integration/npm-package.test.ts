// The npm package (dist/tsinit-VERSION.tgz) for images that already have
// Node: installed into a clean prefix with `npm install -g --prefix`, run by
// each Node major it supports (official binaries from the npm registry, not
// the Node 24 that built it): command mode, tsinit install, stage mode with
// services in a PID namespace, sv status; koffi's addon comes from the
// package's own folder, and sv status loads none. The supported majors are
// stated in the manifest's engines and in docs/install.md: checked here too.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';
import { artifact, nodeBinOf, PACKAGE_NODE_MAJORS, VERSION } from '../../testkit/dist.ts';
import { run } from '../helpers/pidns.ts';

const tgz = artifact(`tsinit-${VERSION}.tgz`);

test('engines and docs/install.md state the Node majors tested here', () => {
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' })) as { engines?: { node?: string } };
  assert.deepEqual(manifest.engines, { node: `>=${PACKAGE_NODE_MAJORS[0]}` });
  const install = fs.readFileSync(path.join(repoRoot, 'docs', 'install.md'), 'utf8');
  const majors = PACKAGE_NODE_MAJORS.map(String);
  const listed = `Node ${majors.slice(0, -1).join(', ')} and ${majors.at(-1)}`;
  assert.ok(install.includes(listed), `docs/install.md names "${listed}"`);
  assert.doesNotMatch(install, /Node >= ?22/, 'no open-ended claim beyond what is tested');
});

for (const major of PACKAGE_NODE_MAJORS) {
  const nodeBin = nodeBinOf(major);
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), `tsinit-npm${major}-`));
  const env = { PATH: `${prefix}/bin:${nodeBin}:/usr/bin:/bin:/usr/sbin:/sbin` };
  const pkgDir = path.join(prefix, 'lib', 'node_modules', 'tsinit');
  test.after(() => fs.rmSync(prefix, { recursive: true, force: true }));
  packageTests(major, nodeBin, prefix, env, pkgDir);
}

function shIn(env: NodeJS.ProcessEnv, cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...env, ...extra }, timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function du(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += du(p);
    else n += fs.lstatSync(p).size;
  }
  return n;
}

function packageTests(major: number, nodeBin: string, prefix: string, env: NodeJS.ProcessEnv, pkgDir: string): void {
  const sh = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) => shIn(env, cmd, args, extra);
  test(`Node ${major}: npm install -g --prefix: a few MB, a tsinit bin, no dependency to download`, (t) => {
    assert.match(sh(path.join(nodeBin, 'node'), ['--version']).stdout, new RegExp(`^v${major}\\.`));
    // offline: everything is in the tarball
    const i = sh('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tgz]);
    assert.equal(i.status, 0, i.stderr);
    assert.doesNotMatch(i.stderr, /EBADENGINE/, 'a supported Node');
    assert.equal(fs.readlinkSync(path.join(prefix, 'bin', 'tsinit')), '../lib/node_modules/tsinit/tsinit.cjs');
    const size = du(pkgDir);
    t.diagnostic(`installed size: ${(size / 1048576).toFixed(1)} MiB`);
    assert.ok(size < 8 * 1048576, `installed package is ${size} bytes`);
    for (const f of ['linux_x64', 'musl_x64', 'linux_arm64', 'musl_arm64']) {
      assert.ok(fs.existsSync(path.join(pkgDir, 'koffi', f, 'koffi.node')), `koffi/${f}/koffi.node shipped`);
    }
    assert.ok(!fs.existsSync(path.join(pkgDir, 'node_modules')), 'no dependency installed');
  });

  test(`npm package under Node ${major}: --version, command mode exit codes, the addon from its own folder`, () => {
    const v = sh('tsinit', ['--version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, new RegExp(`^tsinit ${VERSION.replace(/\./g, '\\.')} \\([0-9a-z]+\\) x64\\n$`));
    assert.equal(sh('tsinit', ['--', 'sh', '-c', 'exit 5']).status, 5);
    assert.equal(sh('tsinit', ['--', 'sh', '-c', 'kill -TERM $$']).status, 143);
    // Which Node runs tsinit, and which addon it mapped.
    const who = sh('tsinit', ['--', 'sh', '-c', 'readlink /proc/$PPID/exe; grep "\\.node$" /proc/$PPID/maps | head -1']);
    assert.equal(who.status, 0, who.stderr);
    const [exe, mapped] = who.stdout.trim().split('\n');
    assert.equal(exe, fs.realpathSync(path.join(nodeBin, 'node')));
    assert.match(mapped ?? '', new RegExp(`${pkgDir}/koffi/linux_x64/koffi\\.node$`));
  });

  test(`npm package under Node ${major}: tsinit install links the tools to the script`, () => {
    const i = sh('tsinit', ['install', path.join(prefix, 'bin')]);
    assert.equal(i.status, 0, i.stderr);
    assert.equal(fs.readlinkSync(path.join(prefix, 'bin', 'sv')), path.join(pkgDir, 'tsinit.cjs'));
    assert.equal(fs.readlinkSync(path.join(prefix, 'bin', 'chpst')), path.join(pkgDir, 'tsinit.cjs'));
    const usage = sh('sv', []);
    assert.equal(usage.status, 100);
    assert.match(usage.stderr, /^usage: sv /);
  });

  test(`npm package under Node ${major}: stage mode as PID 1 with two services; sv status loads no addon`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-npm-stage-'));
    fs.mkdirSync(path.join(dir, 'runit'));
    for (const name of ['a', 'b']) {
      const svc = path.join(dir, 'service', name);
      fs.mkdirSync(svc, { recursive: true });
      fs.writeFileSync(path.join(svc, 'run'), `#!/bin/sh\necho "${name}: started"\nexec sleep 1000\n`, { mode: 0o755 });
    }
    const r = run([path.join(prefix, 'bin', 'tsinit')], { ...env, TSINIT_RUNIT_DIR: path.join(dir, 'runit'), TSINIT_SERVICE_DIR: path.join(dir, 'service') });
    try {
      await r.waitFor('a: started');
      await r.waitFor('b: started');
      const svs = [path.join(dir, 'service', 'a'), path.join(dir, 'service', 'b')];
      let st = sh('sv', ['status', ...svs]);
      for (let i = 0; i < 600 && (st.stdout.match(/^run: /gm)?.length ?? 0) < 2; i++) {
        await new Promise((res) => setTimeout(res, 100));
        st = sh('sv', ['status', ...svs]);
      }
      assert.equal(st.status, 0, st.stderr);
      assert.match(st.stdout, /^run: .*\/service\/a: \(pid \d+\) \d+s\nrun: .*\/service\/b: \(pid \d+\) \d+s\n$/);
      const traced = sh('strace', ['-f', '-qq', '-e', 'trace=open,openat', '-o', path.join(dir, 'trace'), 'sv', 'status', ...svs]);
      assert.equal(traced.status, 0, traced.stderr);
      const trace = fs.readFileSync(path.join(dir, 'trace'), 'utf8');
      assert.match(trace, /supervise\/status/);
      assert.doesNotMatch(trace, /koffi/, 'sv status opened the addon');
      await r.signal('SIGTERM');
      const ex = await r.exit;
      assert.equal(ex.code, 0, r.output());
    } finally {
      r.proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
