// What `npm run dist` leaves in dist/: checksums over every artifact, the
// executables' size goal and architecture, --version, the npm package's shape,
// the FROM scratch images' one layer (/tsinit and the tool clients).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { artifact, distDir, VERSION } from '../../testkit/dist.ts';
import { repoRoot } from '../../testkit/debian.ts';
import { versionLine } from '../../src/version.ts';
import { INSTALL_NAMES } from '../../src/init/install.ts';
import { clientWithSlot, SLOT_MARKER, SLOT_SIZE } from '../../native/tool-client.ts';

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

test('the images: one layer, /tsinit and the tool client of their architecture under every install name in /usr/local/bin, its slot naming /tsinit', () => {
  for (const [arch, machine] of [['x64', 62], ['arm64', 183]] as const) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `tsinit-image-${arch}-`));
    try {
      execFileSync('tar', ['-xf', artifact(`tsinit-image-${arch}.tar`), '-C', work]);
      const manifest = JSON.parse(fs.readFileSync(path.join(work, 'manifest.json'), 'utf8')) as Array<{ Layers: string[]; Config: string }>;
      assert.equal(manifest[0]?.Layers.length, 1, `${arch}: one layer`);
      const config = JSON.parse(fs.readFileSync(path.join(work, manifest[0]?.Config as string), 'utf8')) as { architecture: string; config: { Entrypoint: string[]; Env?: string[] } };
      assert.equal(config.architecture, arch === 'x64' ? 'amd64' : 'arm64');
      assert.deepEqual(config.config.Entrypoint, ['/tsinit']);
      // what `docker exec` / `podman exec` search (the builder's default PATH)
      const PATH = config.config.Env?.find((e) => e.startsWith('PATH='))?.slice(5).split(':') ?? [];
      assert.ok(PATH.includes('/usr/local/bin'), `${arch}: /usr/local/bin on the image's PATH (${PATH.join(':')})`);
      const layer = path.join(work, manifest[0]?.Layers[0] as string);
      // every entry: type+mode, owner, size, name (and a hard link's target)
      const entries = execFileSync('tar', ['--numeric-owner', '-tvf', layer], { encoding: 'utf8' }).trim().split('\n').map((line) => {
        const m = /^(\S)(\S{9}) (\d+)\/(\d+)\s+(\d+) \S+ \S+ (\S+)(?: link to (\S+))?$/.exec(line);
        assert.ok(m, `${arch}: tar line ${line}`);
        return { type: m[1], mode: m[2], uid: Number(m[3]), gid: Number(m[4]), size: Number(m[5]), name: m[6] as string, target: m[7] };
      });
      const clients = INSTALL_NAMES.map((n) => `usr/local/bin/${n}`);
      assert.deepEqual(entries.map((e) => e.name).sort(), ['tsinit', 'usr/', 'usr/local/', 'usr/local/bin/', ...clients].sort(), `${arch}: the files`);
      for (const e of entries) {
        assert.equal(`${e.uid}/${e.gid}`, '0/0', `${arch}: ${e.name} owned by root`);
        assert.equal(e.mode, 'rwxr-xr-x', `${arch}: ${e.name} mode 0755`);
      }
      // the client's bytes once, hard-linked under the other names
      const regular = entries.filter((e) => clients.includes(e.name) && e.type === '-');
      assert.equal(regular.length, 1, `${arch}: one copy of the client`);
      const first = regular[0]?.name as string;
      for (const e of entries.filter((x) => clients.includes(x.name) && x.name !== first)) {
        assert.deepEqual([e.type, e.target], ['h', first], `${arch}: ${e.name} is a hard link`);
      }
      execFileSync('tar', ['-xf', layer, '-C', work, first]);
      const client = fs.readFileSync(path.join(work, first));
      assert.equal(client.readUInt16LE(18), machine, `${arch}: the client's e_machine`);
      const slot = client.indexOf(SLOT_MARKER) + SLOT_MARKER.length;
      assert.equal(client.subarray(slot, slot + SLOT_SIZE).toString('latin1').replace(/\0+$/, ''), '/tsinit', `${arch}: the slot`);
      // exactly what `tsinit install` writes for an executable at /tsinit (build/ holds the clients --dist built)
      const built = path.join(repoRoot, 'build', arch === process.arch ? 'tsinit-client' : `tsinit-client-${arch}`);
      assert.ok(client.equals(clientWithSlot(fs.readFileSync(built), '/tsinit')), `${arch}: the client is ${built} with the slot filled`);
      // the same executable as tsinit-linux-ARCH
      execFileSync('tar', ['-xf', layer, '-C', work, 'tsinit']);
      assert.ok(fs.readFileSync(path.join(work, 'tsinit')).equals(fs.readFileSync(artifact(`tsinit-linux-${arch}`))), `${arch}: /tsinit`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
});
