// Which of koffi's prebuilt addons the npm package loads: chosen by the ELF
// interpreter of the running Node (musl on Alpine) and the architecture.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addonFolder, detectLibc, elfInterpreter, libcOfInterpreter } from '../../native/koffi-platform.ts';
import { packagedAddon } from '../../native/koffi-loader.ts';

/** A minimal 64-bit little-endian ELF image with one PT_INTERP program header. */
function elfWithInterp(interp: string, bits: 64 | 32 = 64): Buffer {
  const buf = Buffer.alloc(512);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = bits === 64 ? 2 : 1;
  buf[5] = 1; // little-endian
  buf[6] = 1;
  const phoff = 64;
  const text = Buffer.from(`${interp}\0`, 'latin1');
  const strOff = 256;
  text.copy(buf, strOff);
  if (bits === 64) {
    buf.writeBigUInt64LE(BigInt(phoff), 32);
    buf.writeUInt16LE(56, 54);
    buf.writeUInt16LE(2, 56);
    // a PT_LOAD first, then PT_INTERP
    buf.writeUInt32LE(1, phoff);
    buf.writeUInt32LE(3, phoff + 56);
    buf.writeBigUInt64LE(BigInt(strOff), phoff + 56 + 8);
    buf.writeBigUInt64LE(BigInt(text.length), phoff + 56 + 32);
  } else {
    buf.writeUInt32LE(52, 28);
    buf.writeUInt16LE(32, 42);
    buf.writeUInt16LE(1, 44);
    buf.writeUInt32LE(3, 52);
    buf.writeUInt32LE(strOff, 52 + 4);
    buf.writeUInt32LE(text.length, 52 + 16);
  }
  return buf;
}

test('the ELF interpreter is read from the program headers', () => {
  assert.equal(elfInterpreter(elfWithInterp('/lib/ld-musl-x86_64.so.1')), '/lib/ld-musl-x86_64.so.1');
  assert.equal(elfInterpreter(elfWithInterp('/lib/ld-linux-aarch64.so.1')), '/lib/ld-linux-aarch64.so.1');
  assert.equal(elfInterpreter(elfWithInterp('/lib/ld-musl-armhf.so.1', 32)), '/lib/ld-musl-armhf.so.1');
  assert.equal(elfInterpreter(Buffer.from('#!/bin/sh\n')), null, 'not ELF');
  const truncated = elfWithInterp('/lib/ld-musl-x86_64.so.1').subarray(0, 100);
  assert.equal(elfInterpreter(truncated), null);
});

test('musl is recognised by its loader name; everything else is glibc', () => {
  assert.equal(libcOfInterpreter('/lib/ld-musl-x86_64.so.1'), 'musl');
  assert.equal(libcOfInterpreter('/lib/ld-musl-aarch64.so.1'), 'musl');
  assert.equal(libcOfInterpreter('/lib64/ld-linux-x86-64.so.2'), 'glibc');
  assert.equal(libcOfInterpreter('/lib/ld-linux-aarch64.so.1'), 'glibc');
  assert.equal(libcOfInterpreter(null), 'glibc', 'static binaries: glibc prebuilds');
});

test("koffi's folder names: linux_ARCH for glibc, musl_ARCH for musl", () => {
  assert.equal(addonFolder('x64', 'glibc'), 'linux_x64');
  assert.equal(addonFolder('x64', 'musl'), 'musl_x64');
  assert.equal(addonFolder('arm64', 'glibc'), 'linux_arm64');
  assert.equal(addonFolder('arm64', 'musl'), 'musl_arm64');
});

test('a musl Node binary selects the musl addon of the npm package', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-libc-'));
  const fakeNode = path.join(dir, 'node');
  fs.writeFileSync(fakeNode, elfWithInterp('/lib/ld-musl-x86_64.so.1'));
  assert.equal(detectLibc(fakeNode), 'musl');
  fs.writeFileSync(fakeNode, elfWithInterp('/lib64/ld-linux-x86-64.so.2'));
  assert.equal(detectLibc(fakeNode), 'glibc');
  assert.equal(detectLibc(path.join(dir, 'missing')), 'glibc');
  // this machine's Node (Debian: glibc)
  assert.equal(detectLibc(process.execPath), 'glibc');

  // packagedAddon looks for koffi/<folder>/koffi.node beside the bundle
  for (const f of ['linux_x64', 'musl_x64', 'linux_arm64', 'musl_arm64']) {
    fs.mkdirSync(path.join(dir, 'koffi', f), { recursive: true });
    fs.writeFileSync(path.join(dir, 'koffi', f, 'koffi.node'), f);
  }
  assert.equal(packagedAddon(dir, 'arm64'), path.join(dir, 'koffi', 'linux_arm64', 'koffi.node'));
  assert.equal(packagedAddon(dir, 'arm64', fakeNode), path.join(dir, 'koffi', 'linux_arm64', 'koffi.node'));
  fs.writeFileSync(fakeNode, elfWithInterp('/lib/ld-musl-aarch64.so.1'));
  assert.equal(packagedAddon(dir, 'arm64', fakeNode), path.join(dir, 'koffi', 'musl_arm64', 'koffi.node'));
  assert.equal(packagedAddon(dir, 'x64', fakeNode), path.join(dir, 'koffi', 'musl_x64', 'koffi.node'));
  assert.equal(packagedAddon(path.join(dir, 'nowhere'), 'x64', fakeNode), undefined, 'a checkout: koffi from node_modules');
  fs.rmSync(dir, { recursive: true });
});
