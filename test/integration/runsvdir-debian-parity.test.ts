// Side by side with Debian's runsvdir (and its runsv): the same command
// lines give the same messages, exit codes and .forced-rescan format.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { debianRunit } from '../../testkit/debian.ts';
import { toolBin } from '../helpers/tsinit.ts';
import { makeService, statOf, tempDir, waitFor } from '../helpers/runsvdir.ts';

const tmp: string[] = [];
const stopDirs: string[] = [];
after(() => {
  // Debian's runsvdir leaves its runsv's on TERM: `x` makes each one exit.
  for (const d of stopDirs) {
    try {
      const fd = fs.openSync(path.join(d, 'supervise', 'control'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      fs.writeSync(fd, 'x');
      fs.closeSync(fd);
    } catch {
      // no runsv there
    }
  }
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

type Impl = 'debian' | 'tsinit';
const impls: Impl[] = ['debian', 'tsinit'];

function pathFor(impl: Impl): string {
  const bin = impl === 'debian' ? debianRunit().bin : toolBin();
  return `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

interface Run {
  stderr: () => string;
  kill: (sig: NodeJS.Signals) => void;
  exited: Promise<number | null>;
}

function run(impl: Impl, args: string[], cwd?: string): Run {
  const child = spawn('runsvdir', args, { env: { PATH: pathFor(impl) }, stdio: ['ignore', 'ignore', 'pipe'], ...(cwd ? { cwd } : {}) });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { stderr: () => err, kill: (s) => child.kill(s), exited };
}

async function both<T>(fn: (impl: Impl) => Promise<T>): Promise<Record<Impl, T>> {
  const out = {} as Record<Impl, T>;
  for (const impl of impls) out[impl] = await fn(impl);
  return out;
}

test('usage: no directory, or only -P / --', async () => {
  for (const args of [[], ['-P'], ['--']]) {
    const r = await both(async (impl) => {
      const p = run(impl, args);
      return { code: await p.exited, err: p.stderr() };
    });
    assert.deepEqual(r.tsinit, r.debian, `runsvdir ${args.join(' ')}`);
    assert.deepEqual(r.debian, { code: 1, err: 'usage: runsvdir [-P] dir\n\n' });
  }
});

test('-X becomes the directory; a short log argument gives the same two warnings', async () => {
  const cwd = tempDir('parity-x-');
  tmp.push(cwd);
  const r = await both(async (impl) => {
    const p = run(impl, ['-X', 'log: '], cwd);
    await waitFor('three lines', () => p.stderr().split('\n').length > 3, 60_000);
    p.kill('SIGTERM');
    return { code: await p.exited, first: p.stderr().split('\n').slice(0, 3) };
  });
  assert.deepEqual(r.tsinit, r.debian);
  assert.deepEqual(r.debian.first, [
    'runsvdir -X: warning: log must have at least seven characters.',
    'runsvdir -X: warning: log service disabled.',
    'runsvdir -X: warning: unable to stat -X: file does not exist',
  ]);
});

test('one scan: dot entries and files ignored, dangling symlink warned, services run; SIGALRM; SIGHUP 111', async () => {
  const r = await both(async (impl) => {
    const sd = tempDir(`parity-${impl}-`);
    tmp.push(sd);
    const a = makeService(sd, 'a', 'exec sleep 1000');
    makeService(sd, '.hidden', 'exec sleep 1000');
    fs.writeFileSync(path.join(sd, 'file'), '');
    fs.symlinkSync('/nonexistent', path.join(sd, 'dangling'));
    stopDirs.push(a);
    const p = run(impl, [sd]);
    await waitFor('a running', () => statOf(a) === 'run', 60_000);
    await waitFor('the dangling warning', () => p.stderr().includes('\n'), 60_000);
    p.kill('SIGALRM');
    // runsvdir creates the file, then writes the label: wait for the label
    const label = await waitFor('.forced-rescan', () => {
      try {
        return fs.readFileSync(path.join(sd, '.forced-rescan'), 'latin1') || undefined;
      } catch {
        return undefined;
      }
    }, 60_000);
    p.kill('SIGHUP');
    const code = await p.exited;
    const lines = new Set(p.stderr().split('\n').filter((l) => l !== '').map((l) => l.replace(sd, 'SD')));
    return {
      code,
      lines: [...lines],
      label: label.replace(/^@4[0-9a-f]{23}$/, 'TAI64N'),
      hidden: fs.existsSync(path.join(sd, '.hidden', 'supervise')),
    };
  });
  assert.deepEqual(r.tsinit, r.debian);
  assert.deepEqual(r.debian, {
    code: 111,
    lines: ['runsvdir SD: warning: unable to stat dangling: file does not exist'],
    label: 'TAI64N',
    hidden: false,
  });
});
