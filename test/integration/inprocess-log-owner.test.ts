// The in-process logger for `exec chpst -u nobody svlogd ./main` runs as
// root inside tsinit, in a directory nobody owns. Whatever nobody plants
// there (symlinks, FIFOs, its own config) must gain it nothing: no file
// created or changed outside the directory, nothing root-only read, a
// processor running as nobody, the supervisor never blocked.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type Run } from '../helpers/pidns.ts';
import { tool, toolBin } from '../helpers/tsinit.ts';

const NOBODY = Number(/^nobody:[^:]*:(\d+):/m.exec(fs.readFileSync('/etc/passwd', 'utf8'))?.[1]);
const roots: string[] = [];
const runs: Run[] = [];
after(async () => {
  // whatever a failed test left running
  for (const r of runs) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const read = (f: string): string => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/** Run a command as nobody (the second user that plants files). */
function asNobody(...cmd: string[]): void {
  execFileSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', ...cmd], { stdio: 'ignore' });
}

interface Setup {
  root: string;
  /** a root-only directory (0700) with a root-only file `secret` in it */
  secret: string;
  main: string;
  svc: string;
}

/** A service whose log/run is `exec chpst -u nobody svlogd ./main`; main/ belongs to nobody. */
function setup(plant: (s: Setup) => void, opts: { logOwnedByNobody?: boolean } = {}): Setup {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-owner-'));
  roots.push(root);
  fs.chmodSync(root, 0o755);
  const secret = path.join(root, 'secret');
  fs.mkdirSync(secret, { mode: 0o700 });
  fs.writeFileSync(path.join(secret, 'secret'), 'pPLANTED: \n!id -u\ns1\n', { mode: 0o600 });
  const svc = path.join(root, 'sv');
  const log = path.join(svc, 'web', 'log');
  const main = path.join(log, 'main');
  fs.mkdirSync(main, { recursive: true });
  fs.writeFileSync(path.join(svc, 'web', 'run'), '#!/bin/sh\necho hello from web\nexec sleep 1000\n', { mode: 0o755 });
  fs.writeFileSync(path.join(log, 'run'), '#!/bin/sh\nexec chpst -u nobody svlogd ./main\n', { mode: 0o755 });
  fs.chownSync(main, NOBODY, NOBODY);
  if (opts.logOwnedByNobody) fs.chownSync(log, NOBODY, NOBODY);
  const s = { root, secret, main, svc };
  plant(s);
  return s;
}

function start(s: Setup): Run {
  const r = run([tool('runsvdir'), s.svc], { PATH: `${toolBin()}:${process.env.PATH}` }, { pidns: false });
  runs.push(r);
  return r;
}

/** Once the service's line is logged: `sv alarm` rotates, which starts the processor. */
async function rotate(s: Setup): Promise<void> {
  await until(() => read(path.join(s.main, 'current')).includes('hello from web'), 'logged');
  execFileSync(tool('sv'), ['alarm', path.join(s.svc, 'web', 'log')]);
}

async function stop(r: Run): Promise<void> {
  r.proc.kill('SIGTERM');
  // a supervisor blocked by a planted file never exits on TERM
  const killer = setTimeout(() => r.proc.kill('SIGKILL'), 20_000);
  await r.exit;
  clearTimeout(killer);
}

/** Nothing in the root-only directory but the secret, unchanged, still root's. */
function secretUntouched(s: Setup): void {
  assert.deepEqual(fs.readdirSync(s.secret), ['secret']);
  const st = fs.statSync(path.join(s.secret, 'secret'));
  assert.equal(st.uid, 0);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(read(path.join(s.secret, 'secret')), 'pPLANTED: \n!id -u\ns1\n');
}

test('a symlink planted at main/lock: no file created through it, the directory is refused', { timeout: 600_000 }, async () => {
  const s = setup((s) => asNobody('ln', '-s', path.join(s.secret, 'created-by-root'), path.join(s.main, 'lock')));
  const r = start(s);
  await until(() => /unable to lock directory: \.\/main/.test(r.output()), 'the lock refused');
  await stop(r);
  secretUntouched(s);
  assert.equal(read(path.join(s.main, 'current')), '');
});

test('symlinks planted at current and config: nothing followed, the line logged in a current of nobody', { timeout: 600_000 }, async () => {
  const s = setup((s) => {
    asNobody('ln', '-s', path.join(s.secret, 'secret'), path.join(s.main, 'current'));
    asNobody('ln', '-s', path.join(s.secret, 'secret'), path.join(s.main, 'config'));
  });
  const r = start(s);
  const cur = path.join(s.main, 'current');
  await until(() => read(cur).includes('hello from web'), 'logged');
  await stop(r);
  secretUntouched(s);
  // the secret config (prefix PLANTED) was not loaded
  assert.equal(read(cur), 'hello from web\n');
  const st = fs.lstatSync(cur);
  assert.ok(st.isFile());
  assert.equal(st.uid, NOBODY);
});

test('the log directory replaced by a symlink to a root-only directory: nothing created there', { timeout: 600_000 }, async () => {
  const s = setup(
    (s) => {
      fs.rmdirSync(s.main);
      asNobody('ln', '-s', s.secret, s.main);
    },
    { logOwnedByNobody: true },
  );
  const r = start(s);
  // runit's svlogd as nobody fails at open(dir, O_RDONLY): nobody may not read it
  await until(() => /unable to open log directory: \.\/main: access denied/.test(r.output()), 'the directory refused');
  await stop(r);
  secretUntouched(s);
});

test('a processor in nobody\'s config runs as nobody', { timeout: 600_000 }, async () => {
  // nobody's own config: a processor that prints its uid
  const s = setup((s) => asNobody('sh', '-c', `printf '!id -u\\n' > ${path.join(s.main, 'config')}`));
  const r = start(s);
  await rotate(s);
  const processed = (): string[] => fs.readdirSync(s.main).filter((f) => f.endsWith('.s'));
  await until(() => processed().length > 0, 'a processed file', 40_000);
  assert.equal(read(path.join(s.main, processed()[0] as string)), `${NOBODY}\n`, 'the processor ran as nobody');
  await stop(r);
  secretUntouched(s);
});

test('state and newstate planted as symlinks: the processor does not start, nothing followed', { timeout: 600_000 }, async () => {
  const s = setup((s) => {
    asNobody('sh', '-c', `printf '!id -u\\n' > ${path.join(s.main, 'config')}`);
    asNobody('ln', '-s', path.join(s.secret, 'secret'), path.join(s.main, 'state'));
    asNobody('ln', '-s', path.join(s.secret, 'newstate'), path.join(s.main, 'newstate'));
  });
  const r = start(s);
  await rotate(s);
  await until(() => /unable to open state for processor/.test(r.output()), 'the planted state refused');
  secretUntouched(s);
  assert.deepEqual(fs.readdirSync(s.main).filter((f) => f.endsWith('.s')), []);
  // As with runit, svlogd retries the processor (here once a second) and
  // waits for it before exiting: nobody removes its links, the next run works.
  asNobody('rm', path.join(s.main, 'state'), path.join(s.main, 'newstate'));
  await until(() => fs.readdirSync(s.main).some((f) => f.endsWith('.s')), 'processed after the links are gone', 40_000);
  await stop(r);
  secretUntouched(s);
});

test('a FIFO planted as config does not block the supervisor', { timeout: 600_000 }, async () => {
  const s = setup((s) => asNobody('mkfifo', path.join(s.main, 'config')));
  const r = start(s);
  const cur = path.join(s.main, 'current');
  await until(() => read(cur).includes('hello from web'), 'logged');
  await stop(r);
  secretUntouched(s);
});

test('a root-owned log directory is refused, as nobody\'s own svlogd would be', { timeout: 600_000 }, async () => {
  const s = setup((s) => fs.chownSync(s.main, 0, 0));
  const r = start(s);
  await until(() => /unable to lock directory: \.\/main: access denied/.test(r.output()), 'the directory refused');
  await stop(r);
  assert.deepEqual(fs.readdirSync(s.main), []);
});
