// owner-path.ts: a log directory is reached for another account only
// through directories that account may search, links followed as the kernel
// follows them, relative names from a working directory it is already in.
import test from 'node:test';
import assert from 'node:assert/strict';
import { reachDir, type PathFs } from '../../src/svlogd/owner-path.ts';

type Node = { kind: 'dir' | 'other'; mode: number; uid: number } | { kind: 'link'; to: string };

/** A file system of absolute paths; stat follows links. */
function fakeFs(nodes: Record<string, Node>): PathFs {
  const ino = new Map(Object.keys(nodes).map((p, i) => [p, i + 1]));
  const get = (p: string): Node => {
    const n = nodes[p];
    if (!n) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return n;
  };
  const view = (p: string, n: Node): ReturnType<PathFs['lstat']> =>
    n.kind === 'link'
      ? { kind: 'link', uid: 0, gid: 0, mode: 0o777, dev: 1, ino: ino.get(p) ?? 0 }
      : { kind: n.kind, uid: n.uid, gid: n.uid, mode: n.mode, dev: 1, ino: ino.get(p) ?? 0 };
  const fs: PathFs = {
    lstat: (p) => view(p, get(p)),
    stat: (p) => {
      const n = get(p);
      return n.kind === 'link' ? fs.stat(n.to) : view(p, n);
    },
    readlink: (p) => {
      const n = get(p);
      if (n.kind !== 'link') throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
      return n.to;
    },
  };
  return fs;
}

const nobody = { uid: 65534, gid: 65534, gids: [65534] };
const dir = (mode: number, uid = 0): Node => ({ kind: 'dir', mode, uid });

const tree = fakeFs({
  '/': dir(0o755),
  '/root': dir(0o700),
  '/root/log': dir(0o777),
  '/srv': dir(0o755),
  '/srv/log': dir(0o755, 65534),
  '/srv/in': { kind: 'link', to: '/root/log' },
  '/srv/rel': { kind: 'link', to: 'log' },
  '/srv/up': { kind: 'link', to: '../root/log' },
  '/srv/loop': { kind: 'link', to: 'loop' },
  '/srv/file': { kind: 'other', mode: 0o644, uid: 0 },
  '/proc/self/fd/7': { kind: 'link', to: '/root/log' },
});

test('absolute names: every directory on the way must be searchable', () => {
  assert.deepEqual(reachDir('/srv/log', '/', nobody, tree), { ok: true, dev: 1, ino: 5 });
  assert.deepEqual(reachDir('/root/log', '/', nobody, tree), { ok: false, code: 'EACCES' });
  assert.equal(reachDir('/root/log', '/', { uid: 0, gid: 0, gids: [] }, tree).ok, true);
});

test('links are followed as the kernel follows them: a link into an unsearchable place is refused', () => {
  assert.deepEqual(reachDir('/srv/in', '/', nobody, tree), { ok: false, code: 'EACCES' });
  assert.deepEqual(reachDir('/srv/up', '/', nobody, tree), { ok: false, code: 'EACCES' });
  assert.equal(reachDir('/srv/rel', '/', nobody, tree).ok, true);
  assert.deepEqual(reachDir('/srv/loop', '/', nobody, tree), { ok: false, code: 'ELOOP' });
  assert.deepEqual(reachDir('/srv/file', '/', nobody, tree), { ok: false, code: 'ENOTDIR' });
  assert.deepEqual(reachDir('/srv/none', '/', nobody, tree), { ok: false, code: 'ENOENT' });
});

test('relative names start at the working directory, which needs no search above it', () => {
  // a process of nobody already in /root/log (put there by root) may log to "."
  assert.equal(reachDir('.', '/root/log', nobody, tree).ok, true);
  // but not climb out through /root
  assert.deepEqual(reachDir('../log', '/root/log', nobody, tree), { ok: false, code: 'EACCES' });
  assert.equal(reachDir('log', '/srv', nobody, tree).ok, true);
});

test('a working directory passed as a descriptor: used as is, never climbed out of', () => {
  assert.equal(reachDir('.', '/proc/self/fd/7', nobody, tree).ok, true);
  assert.deepEqual(reachDir('../log', '/proc/self/fd/7', nobody, tree), { ok: false, code: 'EACCES' });
});
