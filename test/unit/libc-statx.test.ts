// statxIdentity (native/libc.ts): the tool service's one-call look at a
// caller's / and directory must say what fstat + /proc/self/fdinfo say
// (the way it took before: ~8 system calls, two of them opens, per look).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { statxIdentity } from '../../native/libc.ts';

function fdinfoMount(fd: number): number {
  return Number(/^mnt_id:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))?.[1]);
}

test('statxIdentity: dev and ino as fs.fstat reports them, the mount id of /proc/self/fdinfo, for a descriptor and for a path', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statx-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, 'x');
  // O_PATH descriptors are what the tool client sends for its cwd and root
  const O_PATH = 0o10000000;
  for (const [name, flags] of [['/', O_PATH | fs.constants.O_DIRECTORY], ['/proc', O_PATH], [dir, fs.constants.O_RDONLY], [file, fs.constants.O_RDONLY]] as const) {
    const fd = fs.openSync(name, flags);
    try {
      const st = fs.fstatSync(fd);
      const want = { dev: st.dev, ino: st.ino, mnt: fdinfoMount(fd) };
      assert.ok(want.mnt > 0, `mnt_id of ${name}`);
      assert.deepEqual(statxIdentity(fd), want, `descriptor of ${name}`);
      assert.deepEqual(statxIdentity(undefined, name), want, `path ${name}`);
    } finally {
      fs.closeSync(fd);
    }
  }
  // /proc is its own mount: the ids differ
  assert.notEqual(statxIdentity(undefined, '/proc')?.mnt, statxIdentity(undefined, '/')?.mnt);
});

test('statxIdentity: a failed call throws, naming the path', () => {
  assert.throws(() => statxIdentity(undefined, '/nonexistent/statx-test'), /statx.*\/nonexistent\/statx-test|ENOENT/);
  assert.throws(() => statxIdentity(987654), /statx|EBADF/);
});
