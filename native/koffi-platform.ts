// Which of koffi's prebuilt addons fits this process: koffi ships one per
// C library and architecture (linux_x64, musl_x64, linux_arm64, musl_arm64).
// The C library is read from the ELF interpreter of the running Node binary
// (/lib/ld-musl-x86_64.so.1 on Alpine), as koffi's own loader does.
import fs from 'node:fs';

export type Libc = 'glibc' | 'musl';

const PT_INTERP = 3;

/** PT_INTERP of a little-endian ELF image (its first few KiB suffice), or null. */
export function elfInterpreter(buf: Buffer): string | null {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[5] !== 1) return null;
  const is64 = buf[4] === 2;
  const phoff = is64 ? Number(buf.readBigUInt64LE(32)) : buf.readUInt32LE(28);
  const phentsize = buf.readUInt16LE(is64 ? 54 : 42);
  const phnum = buf.readUInt16LE(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > buf.length) return null;
    if (buf.readUInt32LE(at) !== PT_INTERP) continue;
    const off = is64 ? Number(buf.readBigUInt64LE(at + 8)) : buf.readUInt32LE(at + 4);
    const size = is64 ? Number(buf.readBigUInt64LE(at + 32)) : buf.readUInt32LE(at + 16);
    if (off + size > buf.length || size === 0) return null;
    return buf.subarray(off, off + size - 1).toString('latin1');
  }
  return null;
}

/** musl's loader is named ld-musl-ARCH.so.1; anything else is taken as glibc. */
export function libcOfInterpreter(interp: string | null): Libc {
  const base = interp?.slice(interp.lastIndexOf('/') + 1) ?? '';
  return base.startsWith('ld-musl-') ? 'musl' : 'glibc';
}

/** The C library of the running Node binary. */
export function detectLibc(execPath: string = process.execPath): Libc {
  let fd: number | undefined;
  try {
    fd = fs.openSync(execPath, 'r');
    const buf = Buffer.alloc(8192);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return libcOfInterpreter(elfInterpreter(buf.subarray(0, n)));
  } catch {
    return 'glibc';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** koffi's folder name for a prebuilt addon, e.g. musl_arm64. */
export function addonFolder(arch: string, libc: Libc): string {
  return `${libc === 'musl' ? 'musl' : 'linux'}_${arch}`;
}

