import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDependencies, problemText } from '../../src/supervise/dependency-graph.ts';

const g = (o: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(o));

test('a chain starts in order and stops in reverse', () => {
  const p = planDependencies(g({ a: ['b'], b: ['c'], c: [] }));
  assert.deepEqual(p.startWaves, [['c'], ['b'], ['a']]);
  assert.deepEqual(p.stopWaves, [['a'], ['b'], ['c']]);
  assert.deepEqual(p.problems, []);
});

test('independent services share a wave (they start and stop in parallel)', () => {
  const p = planDependencies(g({ web: ['db'], worker: ['db'], db: [], cron: [] }));
  assert.deepEqual(p.startWaves, [['cron', 'db'], ['web', 'worker']]);
  assert.deepEqual(p.stopWaves, [['web', 'worker'], ['cron', 'db']]);
});

test('a missing dependency blocks the service and what depends on it; the rest runs', () => {
  const p = planDependencies(g({ web: ['db'], db: ['nope'], other: [] }));
  assert.deepEqual(p.startWaves, [['other']]);
  const byService = Object.fromEntries(p.problems.map((x) => [x.service, x]));
  assert.equal(byService.db?.kind, 'missing');
  assert.equal(problemText(byService.db!), 'dependency nope does not exist');
  assert.equal(byService.web?.kind, 'blocked');
  assert.equal(problemText(byService.web!), 'depends on db, which cannot start');
});

test('a cycle is named in order; its members are not started', () => {
  const p = planDependencies(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'], e: [] }));
  assert.deepEqual(p.startWaves, [['e']]);
  const cyc = p.problems.filter((x) => x.kind === 'cycle');
  assert.deepEqual(cyc.map((x) => x.service), ['a', 'b', 'c']);
  assert.equal(problemText(cyc[0]!), 'dependency cycle: a -> b -> c -> a');
  assert.equal(p.problems.find((x) => x.service === 'd')?.kind, 'blocked');
});

test('a self-dependency is a cycle', () => {
  const p = planDependencies(g({ a: ['a'] }));
  assert.equal(p.problems[0]?.kind, 'cycle');
  assert.deepEqual(p.startWaves, []);
});

test('thousands of services in a long chain: no recursion limit', () => {
  const o: Record<string, string[]> = {};
  for (let i = 0; i < 5000; i++) o[`s${String(i).padStart(5, '0')}`] = i === 0 ? [] : [`s${String(i - 1).padStart(5, '0')}`];
  const p = planDependencies(g(o));
  assert.equal(p.startWaves.length, 5000);
  assert.deepEqual(p.problems, []);
});
