// Paths are bytes: a service directory whose name is not UTF-8 (here
// "caf\xe9", Latin-1) is supervised like any other, by runsvdir (the
// scanner), by runsv given that name, and sv finds it by that name; the
// log service and the control FIFO work too. runit does all of this.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { startProc, tempRoot, waitFor } from '../helpers/runsv.ts';

const root = tempRoot('non-utf8-');
const procs: Array<ReturnType<typeof startProc>> = [];
after(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const p of procs) await p.exited;
  // the services (sleep) were children of the killed supervisors: find them by cwd
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`, { encoding: 'buffer' }).includes(Buffer.from(root))) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone, or not ours
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
});

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const join = (dir: string, name: Buffer, ...rest: string[]): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), name, ...rest.map((r) => Buffer.from(`/${r}`))]);

function makeService(dir: string, name: Buffer): void {
  fs.mkdirSync(join(dir, name));
  fs.writeFileSync(join(dir, name, 'run'), '#!/bin/sh\necho started\nexec sleep 1000\n', { mode: 0o755 });
  fs.mkdirSync(join(dir, name, 'log'));
  fs.writeFileSync(join(dir, name, 'log', 'run'), '#!/bin/sh\nexec cat >>out\n', { mode: 0o755 });
}

function stat(dir: string, name: Buffer, log = false): string | undefined {
  try {
    return fs.readFileSync(log ? join(dir, name, 'log', 'supervise', 'stat') : join(dir, name, 'supervise', 'stat'), 'utf8');
  } catch {
    return undefined;
  }
}

/** Run sv (or a shell line) with the raw name: Node cannot pass non-UTF-8 argv, printf can. */
function svRaw(sv: string, action: string, svdir: string, name: Buffer): string {
  const octal = [...name].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  return execFileSync('sh', ['-c', `exec "$0" ${action} "$(printf '${octal}')"`, sv], { env: { ...process.env, SVDIR: svdir } }).toString('latin1');
}

test('runsvdir supervises a directory whose name is not UTF-8; sv reaches it by its bytes', async () => {
  const dir = path.join(root, 'svdir');
  fs.mkdirSync(dir);
  const name = latin1('caf\xe9');
  makeService(dir, name);
  const p = startProc(tool('runsvdir'), [dir], root);
  procs.push(p);
  await waitFor('service up', () => stat(dir, name) === 'run\n' && stat(dir, name, true) === 'run\n', 60_000);
  // ./run's output went through the log pipe to log/run
  await waitFor('log written', () => fs.readFileSync(join(dir, name, 'log', 'out'), 'utf8') === 'started\n');
  assert.match(svRaw(tool('sv'), 'status', dir, name), /^run: .*: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\n$/);
  svRaw(tool('sv'), 'down', dir, name);
  await waitFor('service down', () => stat(dir, name) === 'down\n', 60_000);
  assert.equal(p.stderr(), '');
});

test('runsv NAME with a name that is not UTF-8, as Debian runsv', async () => {
  const name = latin1('d\xe9j\xe0');
  for (const [impl, runsv] of [['ts', tool('runsv')], ['deb', debianRunit().runsv]] as const) {
    const dir = path.join(root, impl);
    fs.mkdirSync(dir);
    makeService(dir, name);
    const octal = [...name].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    const p = startProc('sh', ['-c', `exec "$0" "$(printf '${octal}')"`, runsv], dir);
    procs.push(p);
    await waitFor(`${impl}: service up`, () => stat(dir, name) === 'run\n' && stat(dir, name, true) === 'run\n', 60_000);
    // the control FIFO is reached through the name's bytes
    fs.writeFileSync(join(dir, name, 'supervise', 'control'), 'x');
    assert.equal(await p.exited, 0, `${impl}: runsv exits after x`);
    assert.equal(p.stderr(), '', `${impl}: no message`);
  }
});

test("runsv's messages print the name's bytes, as Debian's runsv", async () => {
  const name = latin1('na\xefve');
  const lines: Record<string, Buffer> = {};
  for (const [impl, runsv] of [['ts', tool('runsv')], ['deb', debianRunit().runsv]] as const) {
    const dir = path.join(root, `msg-${impl}`);
    fs.mkdirSync(dir);
    fs.mkdirSync(join(dir, name)); // no ./run: runit's fatal line, once a second
    const octal = [...name].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    const child = spawn('sh', ['-c', `exec "$0" "$(printf '${octal}')"`, runsv], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const first = await waitFor(`${impl}: a message`, () => {
        const all = Buffer.concat(chunks);
        const nl = all.indexOf(0x0a);
        return nl >= 0 ? all.subarray(0, nl + 1) : undefined;
      }, 60_000);
      lines[impl] = first;
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }
  assert.deepEqual(lines.ts, Buffer.concat([Buffer.from('runsv '), name, Buffer.from(': fatal: unable to start ./run: file does not exist\n')]));
  assert.deepEqual(lines.ts, lines.deb);
});
