// Issue 18's security tests, end to end: the real C client (installed by
// `dist/tsinit install DIR`) calling a real tsinit PID 1 in a PID namespace,
// the caller run as nobody. For planted symlinks, directories nobody cannot
// write and FIFOs it cannot open, the answer is exactly what Debian's C
// runit tools print and do for nobody on the same tree, and nothing is
// created or changed as root. A nobody caller cannot make PID 1 act as root.
// Which path a call took (served in-process or FALLBACK) is read from PID 1's
// debug log, or shown by a client whose fallback slot names nothing.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { encodeStatus } from '../../src/supervise/status-file.ts';
import { wallNow } from '../../src/util/tai64n.ts';
import { binary } from '../helpers/tsinit.ts';
import { debianAsNobody, fakeService, NOWHERE_ERR, scratch, startPid1, until, type Pid1, type Ran } from '../helpers/pid1-tools.ts';

const running = (pid: number): Buffer => encodeStatus({ since: wallNow(), pid, paused: false, want: 'up', termSent: false, state: 'run' });

/** Waits for PID 1's debug line about the call of `tool` by `uid` made after `mark`: served in-process or FALLBACK. */
async function tookPath(p: Pid1, mark: number, tool: string, uid: number): Promise<'fallback' | 'in-process'> {
  const line = new RegExp(`\\(uid ${uid}\\): (served: ${tool}|fallback: )`);
  await until(`PID 1's line about ${tool}`, () => line.test(p.log().slice(mark)));
  return line.exec(p.log().slice(mark))?.[1]?.startsWith('served') ? 'in-process' : 'fallback';
}

async function fallbackLogged(p: Pid1, mark: number, text: string): Promise<void> {
  await until(`PID 1's line "${text}"`, () => p.log().slice(mark).includes(text));
}

const same = (ours: Ran, theirs: Ran, what: string): void => {
  assert.deepEqual({ code: ours.code, out: ours.out, err: ours.err }, { code: theirs.code, out: theirs.out, err: theirs.err }, what);
};

/** Every entry under dir (not following links): name, owner, mode, link target or content. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const f = path.join(d, name);
      const st = fs.lstatSync(f);
      let what = '';
      if (st.isSymbolicLink()) what = `-> ${fs.readlinkSync(f)}`;
      else if (st.isFile()) what = fs.readFileSync(f).toString('hex');
      out.push(`${path.relative(dir, f)} ${st.uid}:${st.gid} ${st.mode.toString(8)} ${what}`);
      if (st.isDirectory()) walk(f);
    }
  };
  walk(dir);
  return out;
}

test('planted symlinks: sv status/up LINK into a root-only service, chpst -e LINK to a root-only envdir - runit\'s answers for nobody, nothing done', async (t) => {
  const p = await startPid1(t);
  const tree = scratch(t, 'tsinit-sec-links-');
  const priv = path.join(tree, 'private');
  fs.mkdirSync(priv, { mode: 0o700 });
  const svc = fakeService(path.join(priv, 'svc'), { status: running(4242), fifoMode: 0o600 });
  t.after(() => svc.close());
  fs.symlinkSync(svc.dir, path.join(tree, 'link'));
  const envDir = path.join(tree, 'envdir');
  fs.mkdirSync(envDir, { mode: 0o700 });
  fs.writeFileSync(path.join(envDir, 'SECRET'), 'root only\n', { mode: 0o600 });
  fs.symlinkSync(envDir, path.join(tree, 'envlink'));
  const before = snapshot(tree);
  const link = path.join(tree, 'link');
  const cases: Array<{ tool: 'sv' | 'chpst'; args: string[]; why: string }> = [
    { tool: 'sv', args: ['status', link], why: 'sv for uid 65534' },
    { tool: 'sv', args: ['up', link], why: 'sv for uid 65534' },
    { tool: 'chpst', args: ['-e', path.join(tree, 'envlink'), 'env'], why: 'envdir read for a non-root caller' },
  ];
  for (const c of cases) {
    const mark = p.log().length;
    const ours = await p.call([c.tool, ...c.args], { nobody: true, cwd: tree });
    await fallbackLogged(p, mark, `(uid 65534): fallback: ${c.why}`);
    const theirs = await debianAsNobody(c.tool, c.args, { cwd: tree });
    same(ours, theirs, `${c.tool} ${c.args.join(' ')}`);
    assert.notEqual(ours.code, 0, `${c.tool} ${c.args.join(' ')}: ${JSON.stringify(ours)}`);
    assert.doesNotMatch(ours.out, /root only/);
  }
  assert.equal(svc.control(), '', 'nothing reached the control FIFO');
  assert.deepEqual(snapshot(tree), before);
  // root still reaches the service through the same link, in-process
  const mark = p.log().length;
  const root = await p.call(['sv', 'status', link], { nowhere: true, cwd: tree });
  assert.equal(root.err, '');
  assert.match(root.out, new RegExp(`^run: ${link}: \\(pid 4242\\) \\d+s\\n$`));
  assert.equal(await tookPath(p, mark, 'sv', 0), 'in-process');
});

test('planted symlinks: svlogd DIR as nobody with DIR a link to a root-only directory, DIR/current or DIR/lock a link to a root file - as Debian\'s svlogd, nothing created or changed as root', async (t) => {
  const p = await startPid1(t);
  /** The same tree twice (ours, Debian's): svlogd changes it. */
  const build = (base: string): { a: string; b: string; c: string; d: string; rootFile: string; rootDir: string } => {
    fs.mkdirSync(base, { mode: 0o755 });
    const rootDir = path.join(base, 'rootdir');
    fs.mkdirSync(rootDir, { mode: 0o755 });
    fs.chmodSync(rootDir, 0o755);
    const rootFile = path.join(rootDir, 'file');
    fs.writeFileSync(rootFile, 'root data\n', { mode: 0o644 });
    const privLog = path.join(base, 'privlog');
    fs.mkdirSync(privLog, { mode: 0o700 });
    const a = path.join(base, 'a');
    fs.symlinkSync(privLog, a);
    const logDir = (name: string): string => {
      const d = path.join(base, name);
      fs.mkdirSync(d, { mode: 0o755 });
      fs.chownSync(d, 65534, 65534);
      return d;
    };
    const b = logDir('b');
    fs.symlinkSync(rootFile, path.join(b, 'current'));
    const c = logDir('c');
    // a lock through a link into a directory only root may write: created as root it would appear there
    fs.symlinkSync(path.join(rootDir, 'lock'), path.join(c, 'lock'));
    // root's, searchable and writable by all but not readable: runit's open() of it fails
    const d = path.join(base, 'd');
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o733);
    return { a, b, c, d, rootFile, rootDir };
  };
  const top = scratch(t, 'tsinit-sec-svlogd-');
  const ours = build(path.join(top, 'ours'));
  const theirs = build(path.join(top, 'debian'));
  const norm = (s: string, base: string): string => s.split(base).join('BASE').replace(/@[0-9a-f]{24}\.[us]/g, '@TAI');
  const paths: Array<'fallback' | 'in-process'> = [];
  for (const k of ['a', 'b', 'c', 'd'] as const) {
    const mark = p.log().length;
    const r1 = await p.call(['svlogd', ours[k]], { nobody: true, stdin: 'one\n', cwd: top });
    paths.push(await tookPath(p, mark, 'svlogd', 65534));
    const r2 = await debianAsNobody('svlogd', [theirs[k]], { stdin: 'one\n', cwd: top });
    assert.deepEqual(
      { code: r1.code, out: norm(r1.out, path.join(top, 'ours')), err: norm(r1.err, path.join(top, 'ours')) },
      { code: r2.code, out: norm(r2.out, path.join(top, 'debian')), err: norm(r2.err, path.join(top, 'debian')) },
      `svlogd ${k}`,
    );
  }
  t.diagnostic(`svlogd as nobody was ${[...new Set(paths)].join(' and ')}`);
  const ourTree = snapshot(path.join(top, 'ours')).map((l) => norm(l, path.join(top, 'ours')));
  const debTree = snapshot(path.join(top, 'debian')).map((l) => norm(l, path.join(top, 'debian')));
  assert.deepEqual(ourTree, debTree);
  // the root file and root's directories as they were; every file svlogd made is nobody's
  assert.equal(fs.readFileSync(ours.rootFile, 'utf8'), 'root data\n');
  assert.deepEqual(fs.readdirSync(ours.rootDir), ['file']);
  assert.deepEqual(fs.readdirSync(path.join(top, 'ours', 'privlog')), []);
  assert.deepEqual(fs.readdirSync(ours.d), []);
  for (const line of ourTree) {
    if (/^(rootdir|privlog|a|b|c|d)( |\/file )/.test(line) || / -> /.test(line)) continue;
    assert.match(line, / 65534:65534 /, `made as root: ${line}`);
  }
});

test('directories nobody cannot write, control FIFOs it cannot open (0600 root): sv up/down/status as nobody answers as Debian\'s sv, the service untouched', async (t) => {
  const p = await startPid1(t);
  const tree = scratch(t, 'tsinit-sec-fifo-');
  // all closed; and ok open to everyone, control still root's
  const closed = fakeService(path.join(tree, 'closed'), { status: running(4343), fifoMode: 0o600 });
  t.after(() => closed.close());
  const okOpen = fakeService(path.join(tree, 'okopen'), { status: running(4344), fifoMode: 0o600 });
  t.after(() => okOpen.close());
  fs.chmodSync(path.join(okOpen.dir, 'supervise', 'ok'), 0o666);
  const before = snapshot(tree);
  for (const svc of [closed, okOpen]) {
    for (const cmd of ['status', 'up', 'down', 'once', 'term']) {
      const args = [cmd, svc.dir];
      const mark = p.log().length;
      const ours = await p.call(['sv', ...args], { nobody: true, cwd: tree });
      await fallbackLogged(p, mark, '(uid 65534): fallback: sv for uid 65534');
      const theirs = await debianAsNobody('sv', args, { cwd: tree });
      same(ours, theirs, `sv ${args.join(' ')}`);
      // (with ok open, `sv up` of a service already wanted up writes nothing and succeeds, as runit's)
      if (svc === closed || cmd === 'down') assert.notEqual(ours.code, 0, JSON.stringify(ours));
    }
    assert.equal(svc.control(), '', `nothing reached ${svc.dir}'s control FIFO`);
  }
  assert.deepEqual(snapshot(tree), before, 'status files, FIFOs and directories as they were');
  // what root's sv does with the same service, in-process: the FIFO is reachable
  const root = await p.call(['sv', 'down', closed.dir], { nowhere: true, cwd: tree });
  assert.equal(root.err, '');
  assert.equal(closed.control(), 'd');
});

test('a nobody caller cannot make PID 1 act as root: chpst -u root, chpst -/ DIR, a chpst chained through a root-only directory, tsinit-halt, tsinit-events', async (t) => {
  const p = await startPid1(t);
  const tree = scratch(t, 'tsinit-sec-root-');
  // chpst's plan is carried out by the client with nobody's rights (the
  // nowhere client: a fallback would show as its slot's absence)
  for (const args of [['-u', 'root', 'id', '-u'], ['-u', ':0:0', 'id', '-u'], ['-/', tree, 'id', '-u'], ['-n', '-5', 'id', '-u']]) {
    const ours = await p.call(['chpst', ...args], { nobody: true, nowhere: args[0] !== '-n', cwd: tree });
    const theirs = await debianAsNobody('chpst', args, { cwd: tree });
    same(ours, theirs, `chpst ${args.join(' ')}`);
    assert.equal(ours.code, 111, JSON.stringify(ours));
    assert.equal(ours.out, '');
  }
  // A chpst in a directory only root may search: runit's chpst cannot run it
  // for nobody; PID 1 must not look at it for nobody either (and chain it).
  const priv = path.join(tree, 'private');
  fs.mkdirSync(priv, { mode: 0o700 });
  fs.symlinkSync(binary, path.join(priv, 'chpst'));
  for (const args of [[path.join(priv, 'chpst'), 'id', '-u'], [path.join(priv, 'chpst'), '-u', 'root', 'id', '-u']]) {
    const ours = await p.call(['chpst', ...args], { nobody: true, nowhere: true, cwd: tree });
    const theirs = await debianAsNobody('chpst', args, { cwd: tree });
    same(ours, theirs, `chpst ${args.join(' ')}`);
    assert.equal(ours.err, `chpst: fatal: unable to run: ${path.join(priv, 'chpst')}: access denied\n`);
  }
  // halt and events fall back for nobody; the full executable refuses as when run directly
  for (const [name, sub] of [['tsinit-halt', 'halt'], ['tsinit-events', 'events']] as const) {
    const mark = p.log().length;
    const ours = await p.call([name], { nobody: true, cwd: tree });
    await fallbackLogged(p, mark, `(uid 65534): fallback: ${sub} for uid 65534`);
    const direct = await p.exec([binary, sub], { nobody: true, cwd: tree });
    same(ours, direct, name);
    assert.equal(ours.code, 111, JSON.stringify(ours));
    assert.match(ours.err, new RegExp(`^tsinit ${sub}: fatal: `));
  }
  // PID 1 is still there and serving
  assert.equal(p.init.proc.exitCode, null);
  const id = await p.call(['chpst', '-u', 'nobody', 'id', '-u'], { nowhere: true });
  assert.deepEqual({ code: id.code, out: id.out, err: id.err }, { code: 0, out: '65534\n', err: '' });
});
