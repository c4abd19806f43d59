// PID 1's modules must not load Node builtins only an opt-in feature uses:
// each one is compiled at every start (node:http cost ~1.5 ms of CPU per PID 1
// start with the probe server off, the default).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

/** The builtins a fresh Node has loaded after importing the modules. */
function builtinsAfterImport(modules: string[]): string[] {
  const code = `${modules.map((m) => `await import(${JSON.stringify(path.join(root, m))});`).join('\n')}\nprocess.stdout.write(JSON.stringify(process.moduleLoadList));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
}

test('init and svlogd modules load neither node:http (probe server, TSINIT_HTTP) nor node:dgram (svlogd u/U lines) at import', () => {
  const loaded = builtinsAfterImport(['src/init/main.ts', 'src/observe/setup.ts', 'src/svlogd/main.ts', 'src/svlogd/logdir.ts']);
  assert.ok(loaded.includes('net'), `the events socket's node:net is loaded (a sanity check of the method): ${loaded.join(' ')}`);
  assert.ok(!loaded.includes('http'), 'node:http loaded at import');
  assert.ok(!loaded.includes('dgram'), 'node:dgram loaded at import');
});
