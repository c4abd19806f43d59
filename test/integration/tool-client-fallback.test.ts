// The tool client where PID 1 is not tsinit (docker build RUN steps, another
// init): nothing listens on tools.sock, so every tool name behaves exactly as
// the full executable does - same stdout, stderr and exit code. The ways
// nothing is there: no socket, a regular file in its place, a socket nobody
// accepts on (its listener killed), and TSINIT_RUN_DIR unset with no
// /run/tsinit (a mount namespace with an empty /run).
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary } from '../helpers/tsinit.ts';
import { buildFakeServer, fakeServer, installClients } from '../helpers/tool-client-fixture.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-client-fallback-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
fs.chmodSync(tmp, 0o755);
const bin = installClients(path.join(tmp, 'bin'));
// the full executable under the same names (argv[0] picks the tool)
const full = path.join(tmp, 'full');
fs.mkdirSync(full);
const service = path.join(tmp, 'service');
fs.mkdirSync(service);

const COMMANDS: Array<[string, string[]]> = [
  ['sv', ['status', service]],
  ['sv', []],
  ['sv', ['--help']],
  ['sv', ['-w', 'x', 'status', service]],
  ['chpst', ['-u', 'nobody', 'id', '-u']],
  ['envdir', []],
  ['svlogd', []],
  ['runsvchdir', []],
  ['tsinit-health', ['--help']],
];
for (const [name] of COMMANDS) if (!fs.existsSync(path.join(full, name))) fs.symlinkSync(binary, path.join(full, name));

function empty(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  return d;
}

interface Way {
  what: string;
  env: NodeJS.ProcessEnv;
  /** a wrapper the call runs under (argv[0] is then the file's path) */
  wrap?: string[];
}

async function ways(): Promise<Way[]> {
  const noSocket = empty('no-socket');
  const regular = empty('regular');
  fs.writeFileSync(path.join(regular, 'tools.sock'), 'not a socket\n');
  const dead = empty('dead');
  const s = await fakeServer(buildFakeServer(tmp), dead, []);
  s.proc.kill('SIGKILL');
  await s.done;
  assert.ok(fs.lstatSync(path.join(dead, 'tools.sock')).isSocket(), 'the killed listener left its socket');
  const base = { PATH: `${bin}:/usr/bin:/bin` };
  return [
    { what: 'no socket', env: { ...base, TSINIT_RUN_DIR: noSocket } },
    { what: 'a regular file as the socket', env: { ...base, TSINIT_RUN_DIR: regular } },
    { what: 'a socket nobody accepts on', env: { ...base, TSINIT_RUN_DIR: dead } },
    {
      what: 'TSINIT_RUN_DIR unset, no /run/tsinit',
      env: base,
      wrap: ['unshare', '-m', '--', 'sh', '-c', 'mount -t tmpfs tmpfs /run && test ! -e /run/tsinit && exec "$@"', 'sh'],
    },
  ];
}

function runAs(dir: string, name: string, args: string[], way: Way) {
  const file = path.join(dir, name);
  const r = way.wrap
    ? spawnSync(way.wrap[0] as string, [...way.wrap.slice(1), file, ...args], { env: way.env, cwd: tmp, timeout: 120000 })
    : spawnSync(file, args, { argv0: name, env: way.env, cwd: tmp, timeout: 120000 });
  assert.equal(r.error, undefined);
  // the wrapped runs name the file by its path: the same text but for the directory
  const norm = (b: Buffer): string => b.toString('latin1').split(dir).join('DIR');
  return { status: r.status, signal: r.signal, stdout: norm(r.stdout), stderr: norm(r.stderr) };
}

test('every tool name behaves as the full executable when nothing listens on tools.sock', async () => {
  for (const way of await ways()) {
    for (const [name, args] of COMMANDS) {
      const client = runAs(bin, name, args, way);
      const exe = runAs(full, name, args, way);
      const label = `${way.what}: ${name} ${args.join(' ')}`;
      assert.deepEqual(client, exe, label);
      assert.notEqual(client.status, null, label);
      if (name === 'chpst') assert.equal(client.stdout, '65534\n', label);
    }
  }
});

test('the fallback keeps the client\'s pid (an exec, not a child): `exec sv` is still the shell\'s $!', () => {
  const r = spawnSync('sh', ['-c', `"${path.join(bin, 'chpst')}" sh -c 'echo $$' & echo $!; wait`], {
    env: { PATH: '/usr/bin:/bin', TSINIT_RUN_DIR: path.join(tmp, 'no-socket') },
    encoding: 'utf8',
  });
  const [inner, outer] = r.stdout.trim().split('\n');
  assert.equal(inner, outer, r.stdout + r.stderr);
});

test('an empty slot, or one naming the client itself: "unable to find the tsinit executable", 111', () => {
  const raw = path.join(tmp, 'raw-sv');
  const client = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'build', 'tsinit-client'));
  fs.writeFileSync(raw, client, { mode: 0o755 });
  const env = { PATH: '/usr/bin:/bin', TSINIT_RUN_DIR: path.join(tmp, 'no-socket') };
  const r = spawnSync(raw, ['status', 'x'], { env, encoding: 'utf8' });
  assert.equal(r.status, 111);
  assert.equal(r.stderr, 'tsinit: fatal: unable to find the tsinit executable\n');
  const self = path.join(tmp, 'self-sv');
  const marker = Buffer.from('tsinit-client fallback path slot\0');
  const at = client.indexOf(marker) + marker.length;
  const copy = Buffer.from(client);
  copy.write(`${self}\0`, at, 'latin1');
  fs.writeFileSync(self, copy, { mode: 0o755 });
  const s = spawnSync(self, ['status', 'x'], { env, encoding: 'utf8' });
  assert.equal(s.status, 111);
  assert.equal(s.stderr, 'tsinit: fatal: unable to find the tsinit executable\n');
});
