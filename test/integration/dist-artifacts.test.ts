// What `npm run dist` leaves in dist/: checksums over every artifact, the
// executables' size goal and architecture, --version, the npm package's shape.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { artifact, distDir, VERSION } from '../../testkit/dist.ts';
import { versionLine } from '../../src/version.ts';

test('SHA256SUMS covers every artifact and matches', () => {
  const sums = fs.readFileSync(artifact('SHA256SUMS'), 'utf8');
  const names = sums.trim().split('\n').map((l) => l.split(/\s+/)[1]);
  for (const n of ['tsinit-linux-x64', 'tsinit-linux-arm64', `tsinit-${VERSION}.tgz`]) assert.ok(names.includes(n), `${n} in SHA256SUMS`);
  for (const n of names) assert.ok(fs.existsSync(path.join(distDir, n as string)), `${n} exists`);
  const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: distDir, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('the executables: ELF of their architecture, stripped, x64 at most 112 MiB', () => {
  for (const [name, machine] of [['tsinit-linux-x64', 62], ['tsinit-linux-arm64', 183]] as const) {
    const file = artifact(name);
    const head = Buffer.alloc(64);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, head, 0, 64, 0);
    fs.closeSync(fd);
    assert.equal(head.readUInt16LE(18), machine, `${name}: e_machine`);
    const sections = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' });
    assert.doesNotMatch(sections, /\.debug_info|\.symtab/, `${name} is stripped`);
    assert.match(sections, /\.dynsym/, `${name} keeps the dynamic symbols addons link against`);
  }
  assert.ok(fs.statSync(artifact('tsinit-linux-x64')).size <= 112 * 1048576);
});

test('--version: version, short commit, architecture', () => {
  assert.match(versionLine('arm64'), /^tsinit \S+ \(\S+\) arm64\n$/);
  const v = spawnSync(artifact('tsinit-linux-x64'), ['--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  const m = new RegExp(`^tsinit ${VERSION.replace(/\./g, '\\.')} \\(([0-9a-f]{7,}|unknown)\\) x64\\n$`).exec(v.stdout);
  assert.ok(m, v.stdout);
  // built from this checkout: the hash names one of its commits
  const known = spawnSync('git', ['cat-file', '-e', `${m[1]}^{commit}`]);
  if (spawnSync('git', ['rev-parse', 'HEAD']).status === 0) assert.equal(known.status, 0, `${m[1]} is a commit of this repository`);
});

test('the npm package: bin, engines, the bundle, four koffi addons, the exec helpers and tool clients, nothing else to install', () => {
  const tgz = artifact(`tsinit-${VERSION}.tgz`);
  const list = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).trim().split('\n').sort();
  for (const f of ['package/package.json', 'package/tsinit.cjs', 'package/koffi/linux_x64/koffi.node', 'package/koffi/musl_x64/koffi.node', 'package/koffi/linux_arm64/koffi.node', 'package/koffi/musl_arm64/koffi.node', 'package/koffi/LICENSE.txt', 'package/exec-helper/x64/tsinit-exec', 'package/exec-helper/arm64/tsinit-exec', 'package/client/x64/tsinit-client', 'package/client/arm64/tsinit-client']) {
    assert.ok(list.includes(f), `${f} in the package:\n${list.join('\n')}`);
  }
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
  assert.equal(manifest.name, 'tsinit');
  assert.equal(manifest.version, VERSION);
  assert.deepEqual(manifest.bin, { tsinit: 'tsinit.cjs' });
  assert.deepEqual(manifest.engines, { node: '>=22' });
  assert.equal(manifest.dependencies, undefined);
  const script = execFileSync('tar', ['-xzOf', tgz, 'package/tsinit.cjs'], { encoding: 'utf8' });
  assert.ok(script.startsWith('#!/usr/bin/env node\n'));
});
