// The FFI addon embedded in dist/tsinit must never come from a file another
// user planted (issue 8 item 8). A second user (nobody) plants files where
// the old code wrote or looked: predictable names in a world-writable /run
// and /dev/shm (symlinks to a root-owned victim file), and a
// .tsinit-koffi.node beside the binary. root tsinit must follow none of them,
// load none of them, and still work.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary } from '../helpers/tsinit.ts';

const NOBODY = 65534;

function workDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-planted-'));
  fs.chmodSync(d, 0o755);
  fs.mkdirSync(path.join(d, 'bin'));
  fs.copyFileSync(binary, path.join(d, 'bin', 'tsinit'));
  fs.chmodSync(path.join(d, 'bin', 'tsinit'), 0o755);
  return d;
}

/** As nobody: plant what `js` does (a CommonJS script body; argv after it). */
function asNobody(js: string, args: string[]): void {
  const r = spawnSync(process.execPath, ['-e', js, '--', ...args], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  assert.equal(r.status, 0, `planting as nobody failed: ${r.stderr}`);
}

/** The addon's bytes as install leaves them beside a binary. */
function genuineAddon(d: string): Buffer {
  const i = spawnSync(path.join(d, 'bin', 'tsinit'), ['install', path.join(d, 'links')], { encoding: 'utf8' });
  assert.equal(i.status, 0, i.stderr);
  const file = path.join(d, 'bin', '.tsinit-koffi.node');
  const bytes = fs.readFileSync(file);
  fs.rmSync(file);
  fs.rmSync(path.join(d, 'links'), { recursive: true });
  return bytes;
}

/**
 * The same bytes with one byte changed where the dynamic loader never looks
 * (the last section header's sh_entsize: section headers end the file), so
 * the tampered copy still loads and a load would show in /proc/PID/maps.
 */
function tampered(bytes: Buffer): Buffer {
  const shoff = Number(bytes.readBigUInt64LE(0x28));
  const shnum = bytes.readUInt16LE(0x3c);
  assert.equal(shoff + shnum * 64, bytes.length, 'section headers end the addon');
  const t = Buffer.from(bytes);
  t[t.length - 1] = (t[t.length - 1] as number) ^ 0x40;
  return t;
}

/** tsinit -- sh -c: the command prints its parent's (tsinit's) mapped addon files. */
function runShowingMaps(d: string): { status: number | null; stderr: string; maps: string[] } {
  const r = spawnSync(path.join(d, 'bin', 'tsinit'), ['--', 'sh', '-c', 'grep "\\.node" /proc/$PPID/maps; exit 42'], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
  });
  const maps = [...new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.replace(/^.*?\s(\/.*)$/, '$1')))];
  return { status: r.status, stderr: r.stderr, maps };
}

test('a .tsinit-koffi.node beside the binary is reused only when trusted and identical', async (t) => {
  const d = workDir();
  const bin = path.join(d, 'bin');
  const beside = path.join(bin, '.tsinit-koffi.node');
  const bytes = genuineAddon(d);

  await t.test('the genuine copy from tsinit install is used (root-owned, 0555)', () => {
    const i = spawnSync(path.join(bin, 'tsinit'), ['install', path.join(d, 'links')], { encoding: 'utf8' });
    assert.equal(i.status, 0, i.stderr);
    assert.equal(fs.statSync(beside).mode & 0o7777, 0o555);
    const r = runShowingMaps(d);
    assert.equal(r.status, 42, r.stderr);
    assert.deepEqual(r.maps, [beside], 'the installed addon is the one mapped');
    fs.rmSync(beside);
  });

  // The folder is writable by nobody, as an application folder often is.
  fs.chmodSync(bin, 0o777);
  const cases: Array<{ name: string; plant: () => void; why: RegExp }> = [
    {
      name: 'planted by nobody (identical bytes, mode 0644)',
      plant: () => asNobody('require("fs").writeFileSync(process.argv[1], require("fs").readFileSync(process.argv[2]), { mode: 0o644 })', [beside, path.join(d, 'genuine')]),
      why: /owned by uid 65534/,
    },
    {
      name: 'root-owned but writable by others',
      plant: () => {
        fs.writeFileSync(beside, bytes);
        fs.chmodSync(beside, 0o666);
      },
      why: /writable by others/,
    },
    {
      name: 'root-owned, right size, one byte changed',
      plant: () => fs.writeFileSync(beside, tampered(bytes), { mode: 0o555 }),
      why: /content differs from the embedded copy/,
    },
    {
      name: 'a symlink planted by nobody to an identical root-owned copy',
      plant: () => asNobody('require("fs").symlinkSync(process.argv[2], process.argv[1])', [beside, path.join(d, 'genuine')]),
      why: /a symbolic link/,
    },
  ];
  fs.writeFileSync(path.join(d, 'genuine'), bytes, { mode: 0o555 });
  for (const c of cases) {
    await t.test(c.name, () => {
      fs.rmSync(beside, { force: true });
      c.plant();
      const before = fs.lstatSync(beside);
      const r = runShowingMaps(d);
      assert.equal(r.status, 42, r.stderr);
      assert.match(r.stderr, c.why, r.stderr);
      assert.ok(!r.maps.includes(beside) && !r.maps.includes(path.join(d, 'genuine')), `planted file loaded: ${r.maps.join(', ')}`);
      assert.equal(r.maps.length, 1, r.maps.join(', '));
      // The embedded copy was extracted into a private directory and removed.
      assert.match(r.maps[0] as string, /\/\.tsinit-koffi\.node-[A-Za-z0-9]{6}\/koffi\.node \(deleted\)$/);
      const after = fs.lstatSync(beside);
      assert.equal(after.ino, before.ino, 'the planted file is left alone');
      assert.equal(after.mtimeMs, before.mtimeMs);
    });
  }
  fs.rmSync(d, { recursive: true, force: true });
});

test('as PID 1, files planted by nobody in a world-writable /run and /dev/shm are neither followed nor loaded', () => {
  const d = workDir();
  const victim = path.join(d, 'victim');
  fs.writeFileSync(victim, 'original\n', { mode: 0o644 });
  // The old extraction names were .tsinit-koffi-PID-MILLISECONDS.node: as PID 1
  // they are predictable. nobody plants symlinks to the victim for the next 30 s.
  const plant = path.join(d, 'plant.cjs');
  fs.writeFileSync(
    plant,
    `const fs = require('fs');
const [victim, ...dirs] = process.argv.slice(2);
const now = Date.now();
for (const dir of dirs) {
  for (let ms = now - 2000; ms < now + 30000; ms++) fs.symlinkSync(victim, dir + '/.tsinit-koffi-1-' + ms + '.node');
  fs.symlinkSync(victim, dir + '/.tsinit-koffi.node');
}
`,
  );
  const script = [
    'set -e',
    'D=$1',
    // private mounts in this namespace: /run without the sticky bit (anyone may
    // rename anything there), /dev/shm as usual; the binary's folder read-only
    'mount -t tmpfs -o mode=0777 tmpfs /run',
    'mount -t tmpfs -o mode=1777 tmpfs /dev/shm',
    'mount --bind "$D/bin" "$D/bin"',
    'mount -o remount,bind,ro "$D/bin"',
    `setpriv --reuid ${NOBODY} --regid ${NOBODY} --clear-groups "$NODE" "$D/plant.cjs" "$D/victim" /run /dev/shm`,
    // what the command reports: the addon files PID 1 mapped, and the planted names still there
    'exec "$D/bin/tsinit" -- sh -c \'grep "\\.node" /proc/1/maps > "$0/maps"; ls -A /run /dev/shm | grep -c "^\\.tsinit-koffi" > "$0/planted"; exit 42\' "$D"',
  ].join('\n');
  const r = spawnSync('unshare', ['--mount', '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', '-c', script, 'sh', d], {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NODE: process.execPath },
    timeout: 120000,
  });
  assert.equal(r.status, 42, `${r.stdout}${r.stderr}`);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'original\n', 'a planted symlink was followed: the victim was overwritten');
  assert.equal(fs.readFileSync(path.join(d, 'planted'), 'utf8').trim(), String(2 * (32000 + 1)), 'planted names untouched');
  const maps = [...new Set(fs.readFileSync(path.join(d, 'maps'), 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^.*?\s(\/.*)$/, '$1')))];
  assert.equal(maps.length, 1, maps.join(', '));
  // /run, writable by all without the sticky bit, is refused; /dev/shm (sticky) is used
  assert.match(maps[0] as string, /^\/dev\/shm\/\.tsinit-koffi\.node-[A-Za-z0-9]{6}\/koffi\.node \(deleted\)$/, 'loaded from a private directory of its own');
  fs.rmSync(d, { recursive: true, force: true });
});
