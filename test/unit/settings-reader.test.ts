// src/settings.ts is the one reader of TSINIT_* variables: no other file under
// src/ or native/ reads one from an environment object, and settings.ts is a
// leaf (it imports nothing from src/ but util/), so every layer may use it.
// The one exception is the tool client (native/tool-client/tsinit-client.c),
// which finds tools.sock through TSINIT_RUN_DIR itself: a C program cannot
// import settings.ts. It reads that variable and no other.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const READ = /\benv\s*(?:\.\s*TSINIT_|\[\s*['"`]TSINIT_)|process\.env\s*\??\.\s*TSINIT_/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|cts|js|mjs|c|h)$/.test(e.name)) out.push(p);
  }
  return out;
}

export function envReads(text: string): string[] {
  return text.split('\n').filter((l) => READ.test(l));
}

test('the pattern finds every form of a direct read', () => {
  for (const l of [
    'const x = process.env.TSINIT_HTTP;',
    "const x = env['TSINIT_RUN_DIR'];",
    'const x = env["TSINIT_RUN_DIR"] ?? 1;',
    'if (env.TSINIT_STOP_DELAY) {}',
    'const y = process.env?.TSINIT_X;',
    'const z = ctx.env[`TSINIT_${name}`];',
  ]) {
    assert.deepEqual(envReads(l), [l]);
  }
  assert.deepEqual(envReads("err('the events socket is turned off (TSINIT_EVENTS_SOCKET=off)');"), []);
});

test('no TSINIT_* variable is read outside src/settings.ts', () => {
  const found: string[] = [];
  for (const file of [...sources(path.join(root, 'src')), ...sources(path.join(root, 'native'))]) {
    const rel = path.relative(root, file);
    if (rel === path.join('src', 'settings.ts')) continue;
    for (const l of envReads(fs.readFileSync(file, 'utf8'))) found.push(`${rel}: ${l.trim()}`);
  }
  assert.deepEqual(found, []);
});

/** The TSINIT_ names a C file mentions in a string (how C reads an environment entry). */
export function cEnvNames(text: string): string[] {
  return [...text.matchAll(/"(TSINIT_[A-Z0-9_]*)=?"/g)].map((m) => m[1] as string);
}

test('C sources: only the tool client reads a TSINIT_ variable, and only TSINIT_RUN_DIR', () => {
  const found: string[] = [];
  for (const file of sources(path.join(root, 'native')).filter((f) => /\.[ch]$/.test(f))) {
    const rel = path.relative(root, file);
    for (const name of cEnvNames(fs.readFileSync(file, 'utf8'))) found.push(`${rel}: ${name}`);
  }
  assert.deepEqual(found, [`${path.join('native', 'tool-client', 'tsinit-client.c')}: TSINIT_RUN_DIR`]);
  assert.deepEqual(cEnvNames('static const char name[] = "TSINIT_RUN_DIR=";'), ['TSINIT_RUN_DIR']);
});

test('src/settings.ts is a leaf: it imports only node: modules and src/util/', () => {
  const text = fs.readFileSync(path.join(root, 'src/settings.ts'), 'utf8');
  const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1] as string);
  assert.ok(imports.length > 0);
  for (const i of imports) assert.ok(i.startsWith('node:') || i.startsWith('./util/'), i);
});
