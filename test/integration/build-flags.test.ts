// build.mjs refuses what it does not know: a mistyped flag must not quietly
// build the default (and take a minute doing it).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';

test('an unknown build.mjs flag is an error with the usage, and nothing is built', () => {
  for (const args of [['--dsit'], ['--pack', 'extra']]) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'build.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`unknown argument: ${args.at(-1)}`));
    assert.match(r.stderr, /usage:\n.*node build\.mjs --dist/s);
    assert.equal(r.stdout, '', 'no build step ran');
  }
});
