// src/settings.ts is the one reader of TSINIT_* variables: no other file under
// src/ or native/ reads one from an environment object, and settings.ts is a
// leaf (it imports nothing from src/ but util/), so every layer may use it.
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
    else if (/\.(ts|mts|cts|js|mjs)$/.test(e.name)) out.push(p);
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

test('src/settings.ts is a leaf: it imports only node: modules and src/util/', () => {
  const text = fs.readFileSync(path.join(root, 'src/settings.ts'), 'utf8');
  const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1] as string);
  assert.ok(imports.length > 0);
  for (const i of imports) assert.ok(i.startsWith('node:') || i.startsWith('./util/'), i);
});
