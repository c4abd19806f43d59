// Safe extraction of embedded assets (native/sea-asset.ts), with a second
// user (nobody) planting files and links where tsinit writes.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ExtractError,
  extractAssetSafely,
  installAsset,
  openIfIdentical,
  unsafeDirReason,
  untrustedReason,
  UntrustedFileError,
} from '../../native/sea-asset.ts';

const NOBODY = 65534;
const bytes = Buffer.from('embedded asset bytes\n'.repeat(1000));

function asNobody(js: string, args: string[]): void {
  const r = spawnSync(process.execPath, ['-e', js, '--', ...args], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
  assert.equal(r.status, 0, `as nobody: ${r.stderr}`);
}

/** A base directory anyone may write to, with the sticky bit (as /tmp and /dev/shm). */
function worldWritable(mode = 0o1777): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-asset-'));
  fs.chmodSync(d, mode);
  return d;
}

test('untrustedReason: owned by the user or root, writable by nobody else, the right type', () => {
  const reg = 0o100000;
  const dir = 0o040000;
  assert.equal(untrustedReason({ uid: 0, mode: reg | 0o555 }, 0, 'file'), null);
  assert.equal(untrustedReason({ uid: 0, mode: reg | 0o555 }, 1000, 'file'), null, "root's file: trusted by everyone");
  assert.equal(untrustedReason({ uid: 1000, mode: reg | 0o500 }, 1000, 'file'), null);
  assert.match(untrustedReason({ uid: NOBODY, mode: reg | 0o444 }, 0, 'file') ?? '', /owned by uid 65534/);
  assert.match(untrustedReason({ uid: 0, mode: reg | 0o646 }, 0, 'file') ?? '', /writable by others/);
  assert.match(untrustedReason({ uid: 0, mode: reg | 0o575 }, 0, 'file') ?? '', /writable by its group/);
  assert.match(untrustedReason({ uid: 0, mode: dir | 0o755 }, 0, 'file') ?? '', /not a regular file/);
  assert.match(untrustedReason({ uid: 0, mode: reg | 0o700 }, 0, 'dir') ?? '', /not a directory/);
});

test('unsafeDirReason: every folder from / owned by the user or root, not writable by others unless sticky', () => {
  const D = 0o040000;
  const table: Record<string, { uid: number; mode: number }> = {
    '/': { uid: 0, mode: D | 0o755 },
    '/tmp': { uid: 0, mode: D | 0o1777 },
    '/tmp/mine': { uid: 0, mode: D | 0o700 },
    '/run': { uid: 0, mode: D | 0o777 },
    '/home': { uid: 0, mode: D | 0o755 },
    '/home/app': { uid: 1000, mode: D | 0o755 },
    '/grp': { uid: 0, mode: D | 0o775 },
    '/file': { uid: 0, mode: 0o100644 },
  };
  const lstat = (p: string): { uid: number; mode: number } => {
    const st = table[p];
    if (!st) throw new Error(`unexpected lstat ${p}`);
    return st;
  };
  assert.equal(unsafeDirReason('/tmp', lstat, 0), null, 'sticky: others cannot rename what root puts there');
  assert.equal(unsafeDirReason('/tmp/mine', lstat, 0), null);
  assert.match(unsafeDirReason('/run', lstat, 0) ?? '', /\/run is writable by others without the sticky bit/);
  assert.match(unsafeDirReason('/home/app', lstat, 0) ?? '', /\/home\/app is owned by uid 1000/);
  assert.equal(unsafeDirReason('/home/app', lstat, 1000), null, 'its own folder, for that user');
  assert.match(unsafeDirReason('/grp', lstat, 0) ?? '', /writable by its group/);
  assert.match(unsafeDirReason('/file', lstat, 0) ?? '', /not a directory/);
});

test('extraction as root refuses a world-writable folder without the sticky bit, and one reached through it', () => {
  const open = worldWritable(0o777);
  const inner = path.join(open, 'inner');
  fs.mkdirSync(inner, { mode: 0o700 });
  for (const base of [open, inner]) {
    assert.throws(
      () => extractAssetSafely('koffi.node', bytes, () => 1, { bases: [base] }),
      (e: unknown) => e instanceof ExtractError && /writable by others without the sticky bit/.test(e.message),
    );
  }
  // a symlink to such a folder is resolved first, and refused the same
  const link = path.join(os.tmpdir(), `tsinit-asset-link-${process.pid}`);
  fs.symlinkSync(open, link);
  assert.throws(() => extractAssetSafely('koffi.node', bytes, () => 1, { bases: [link] }), /without the sticky bit/);
  fs.rmSync(link);
  assert.deepEqual(fs.readdirSync(open), ['inner'], 'nothing created there');
  fs.rmSync(open, { recursive: true, force: true });
});

test('extraction: a fresh 0700 directory, an exclusive file, used through /proc/self/fd', () => {
  const base = worldWritable();
  // nobody plants what it can guess: the file name, the directory prefix
  asNobody(
    'const fs=require("fs"); const b=process.argv[1]; fs.symlinkSync("/etc/passwd", b+"/koffi.node"); fs.mkdirSync(b+"/.tsinit-koffi.node-AAAAAA"); fs.symlinkSync("/etc/passwd", b+"/.tsinit-koffi.node-AAAAAA/koffi.node")',
    [base],
  );
  const { value, asset } = extractAssetSafely('koffi.node', bytes, (a) => fs.readFileSync(a.pinned), { bases: [base] });
  assert.deepEqual(value, bytes);
  assert.equal(path.dirname(asset.dir), base);
  assert.match(path.basename(asset.dir), /^\.tsinit-koffi\.node-[A-Za-z0-9]{6}$/);
  assert.notEqual(asset.dir, path.join(base, '.tsinit-koffi.node-AAAAAA'));
  const dst = fs.lstatSync(asset.dir);
  assert.ok(dst.isDirectory());
  assert.equal(dst.mode & 0o777, 0o700);
  assert.equal(dst.uid, process.geteuid?.());
  const fst = fs.lstatSync(asset.file);
  assert.ok(fst.isFile());
  assert.equal(fst.mode & 0o777, 0o500);
  assert.equal(asset.pinned, `/proc/self/fd/${asset.fd}`);
  assert.equal(fs.readlinkSync(path.join(base, 'koffi.node')), '/etc/passwd', 'the planted link is left alone');

  // Should anyone still move the private directory away and put a link to
  // another file in its place (here the test itself does, as nobody cannot in
  // a sticky folder), the pinned descriptor still names the bytes tsinit wrote.
  fs.renameSync(asset.dir, `${asset.dir}.moved`);
  asNobody('require("fs").writeFileSync(process.argv[1], "evil")', [path.join(base, 'evil')]);
  fs.mkdirSync(asset.dir);
  fs.symlinkSync(path.join(base, 'evil'), path.join(asset.dir, 'koffi.node'));
  assert.equal(fs.readFileSync(asset.file, 'utf8'), 'evil', 'the name now leads to the planted file');
  assert.deepEqual(fs.readFileSync(asset.pinned), bytes, 'the pinned path does not');
  asset.remove();
  fs.rmSync(base, { recursive: true, force: true });
});

test('extraction: a failing use (e.g. a noexec mount) tries the next base; all failures are reported', () => {
  const good = worldWritable();
  const missing = path.join(good, 'no-such-dir');
  let calls = 0;
  const { value, asset } = extractAssetSafely(
    'helper',
    bytes,
    (a) => {
      calls++;
      if (calls === 1) throw new Error('failed to map segment from shared object');
      return a.file;
    },
    { bases: [missing, good, good] },
  );
  assert.equal(calls, 2);
  assert.equal(path.dirname(path.dirname(value)), good);
  assert.deepEqual(fs.readdirSync(good), [path.basename(asset.dir)], 'the failed attempt removed its directory');
  asset.remove();
  assert.deepEqual(fs.readdirSync(good), []);

  assert.throws(
    () => extractAssetSafely('helper', bytes, () => { throw new Error('noexec'); }, { bases: [missing, good] }),
    (e: unknown) => {
      assert.ok(e instanceof ExtractError);
      assert.match(e.message, new RegExp(`${missing}: ENOENT; ${good}: noexec`));
      assert.match(e.message, /TSINIT_TMPDIR|tsinit install/);
      return true;
    },
  );
  assert.deepEqual(fs.readdirSync(good), []);
  fs.rmSync(good, { recursive: true, force: true });
});

test('reuse: only a trusted regular file with the same sha256', () => {
  const d = worldWritable();
  const f = path.join(d, '.tsinit-koffi.node');
  assert.equal(openIfIdentical(f, bytes), undefined, 'no file: nothing to reuse');

  fs.writeFileSync(f, bytes, { mode: 0o555 });
  const ok = openIfIdentical(f, bytes);
  assert.ok(ok);
  assert.deepEqual(fs.readFileSync(ok.pinned), bytes);
  ok.close();

  const refused = (why: RegExp): void => {
    assert.throws(() => openIfIdentical(f, bytes), (e: unknown) => e instanceof UntrustedFileError && why.test(e.message));
  };
  const changed = Buffer.from(bytes);
  changed[10] = (changed[10] as number) ^ 1;
  fs.rmSync(f);
  fs.writeFileSync(f, changed, { mode: 0o555 });
  refused(/content differs/);
  fs.rmSync(f);
  fs.writeFileSync(f, bytes.subarray(1), { mode: 0o555 });
  refused(/size/);
  fs.rmSync(f);
  fs.writeFileSync(f, bytes);
  fs.chmodSync(f, 0o666);
  refused(/writable by others/);
  fs.rmSync(f);
  fs.writeFileSync(path.join(d, 'src'), bytes);
  asNobody('const fs=require("fs"); fs.writeFileSync(process.argv[1], fs.readFileSync(process.argv[2]), { mode: 0o555 })', [f, path.join(d, 'src')]);
  refused(/owned by uid 65534/);
  fs.rmSync(f);
  fs.writeFileSync(path.join(d, 'genuine'), bytes, { mode: 0o555 });
  asNobody('require("fs").symlinkSync(process.argv[2], process.argv[1])', [f, path.join(d, 'genuine')]);
  refused(/symbolic link/);
  fs.rmSync(f);
  asNobody('require("child_process").execFileSync("mkfifo", [process.argv[1]])', [f]);
  refused(/not a regular file/); // and it did not block on the FIFO
  fs.rmSync(d, { recursive: true, force: true });
});

test('install: a planted symlink at the target is replaced, not followed', () => {
  const d = worldWritable();
  const victim = path.join(d, 'victim');
  fs.writeFileSync(victim, 'original');
  const target = path.join(d, '.tsinit-koffi.node');
  asNobody('require("fs").symlinkSync(process.argv[2], process.argv[1])', [target, victim]);
  installAsset(target, bytes, 0o555);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'original');
  const st = fs.lstatSync(target);
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o7777, 0o555);
  assert.deepEqual(fs.readFileSync(target), bytes);
  assert.deepEqual(fs.readdirSync(d).sort(), ['.tsinit-koffi.node', 'victim'], 'no temporary left behind');
  fs.rmSync(d, { recursive: true, force: true });
});
