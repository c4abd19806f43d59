import test from 'node:test';
import assert from 'node:assert/strict';
import { searchExec } from '../../src/chpst/exec.ts';
import { pathCandidates } from '../../src/process/path-search.ts';

const s = (bs: Buffer[]) => bs.map(String);
const b = (x: string) => Buffer.from(x);

test('PATH search: default /bin:/usr/bin, empty element = ".", "/" in the name = as is', () => {
  assert.deepEqual(s(pathCandidates(b('ls'), undefined)), ['/bin/ls', '/usr/bin/ls']);
  assert.deepEqual(s(pathCandidates(b('ls'), b(':/a::/b:'))), ['./ls', '/a/ls', './ls', '/b/ls', './ls']);
  assert.deepEqual(s(pathCandidates(b('ls'), b(''))), ['./ls']);
  assert.deepEqual(s(pathCandidates(b('./x'), b('/a'))), ['./x']);
  assert.deepEqual(s(pathCandidates(b('a/b'), b('/a'))), ['a/b']);
});

function run(errors: Record<string, string>, candidates: string[]): { result: string; tried: string[] } {
  const tried: string[] = [];
  const result = searchExec(candidates.map(b), (f) => {
    tried.push(f.toString());
    return errors[f.toString()] ?? 'ENOENT';
  });
  return { result, tried };
}

test('continues after ENOENT, EACCES, EPERM, EISDIR; reports the last non-ENOENT error', () => {
  const c = ['/a/p', '/b/p', '/c/p', '/d/p'];
  assert.deepEqual(run({}, c), { result: 'ENOENT', tried: c });
  assert.deepEqual(run({ '/a/p': 'EACCES' }, c), { result: 'EACCES', tried: c });
  assert.deepEqual(run({ '/a/p': 'EACCES', '/c/p': 'EISDIR' }, c), { result: 'EISDIR', tried: c });
  assert.deepEqual(run({ '/b/p': 'EPERM' }, c), { result: 'EPERM', tried: c });
});

test('stops at any other error', () => {
  const c = ['/a/p', '/b/p', '/c/p'];
  assert.deepEqual(run({ '/b/p': 'ENOEXEC' }, c), { result: 'ENOEXEC', tried: ['/a/p', '/b/p'] });
  assert.deepEqual(run({ '/a/p': 'EACCES', '/b/p': 'E2BIG' }, c), { result: 'E2BIG', tried: ['/a/p', '/b/p'] });
});
