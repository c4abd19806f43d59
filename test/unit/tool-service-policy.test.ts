// PID 1's policy for thin-client calls (pure): what runs in-process for
// whom, FALLBACK otherwise, and the stopping rule.
import test from 'node:test';
import assert from 'node:assert/strict';
import { decide, ROOT_TOOLS, type CallFacts } from '../../src/tool-service/policy.ts';
import { toolNamesOwn, type ToolName } from '../../src/tool-names.ts';
import { IN_PROCESS_LOG_DIRS_MAX } from '../../src/svlogd/options.ts';

function facts(over: Partial<CallFacts> & { tool?: ToolName; args?: string[]; argv0?: string } = {}): CallFacts {
  const { tool = 'sv', args = ['status', 'web'], argv0 = tool, ...rest } = over;
  return {
    pid: 4242,
    uid: 0,
    sameRoot: true,
    sameMounts: true,
    hasDir: true,
    linkUnread: false,
    text: true,
    call: { kind: 'tool', tool, argv0, args },
    stopping: false,
    served: ROOT_TOOLS,
    ...rest,
  };
}

const kind = (f: CallFacts): string => decide(f).kind;

test('root callers: runit\'s tools and tsinit\'s commands run in-process; the init and runsv fall back', () => {
  const inProcess = ['sv', 'chpst', 'svlogd', 'runsvdir', 'runsvchdir', 'utmpset', 'health', 'events', 'halt', 'check'];
  for (const tool of toolNamesOwn) {
    assert.equal(kind(facts({ tool, args: [] })), inProcess.includes(tool) ? 'run' : 'fallback', tool);
  }
});

test('the caller\'s situation: outside our PID namespace, another root, another mount namespace, no directory, bytes that are not text', () => {
  assert.equal(kind(facts({ pid: 0 })), 'fallback');
  assert.equal(kind(facts({ sameRoot: false })), 'fallback');
  assert.deepEqual(decide(facts({ sameMounts: false })), { kind: 'fallback', why: 'caller in another mount namespace' });
  assert.equal(kind(facts({ sameMounts: false, call: { kind: 'text' } })), 'fallback');
  assert.equal(kind(facts({ hasDir: false })), 'fallback');
  assert.equal(kind(facts({ text: false })), 'fallback');
  // argv0 not a tool's name, from a non-root caller: an LSB link to sv, not read for it
  assert.equal(kind(facts({ uid: 1000, linkUnread: true, call: { kind: 'text' } })), 'fallback');
  // the same for a text answer: nothing is answered for a caller we cannot place
  assert.equal(kind(facts({ pid: 0, call: { kind: 'text' } })), 'fallback');
  assert.equal(kind(facts({ uid: 1000, call: { kind: 'text' } })), 'run');
});

test('a uid 65534 caller: chpst and svlogd in-process, chpst reading an envdir and everything else falls back', () => {
  const nobody = (over: Parameters<typeof facts>[0]): string => kind(facts({ uid: 65534, ...over }));
  assert.equal(nobody({ tool: 'chpst', args: ['-u', 'nobody', 'prog'] }), 'run');
  assert.equal(nobody({ tool: 'chpst', argv0: 'setuidgid', args: ['nobody', 'prog'] }), 'run');
  assert.equal(nobody({ tool: 'chpst', argv0: '/usr/bin/softlimit', args: ['-o', '5', 'prog'] }), 'run');
  assert.equal(nobody({ tool: 'svlogd', args: ['-tt', './main'] }), 'run');
  assert.equal(nobody({ tool: 'chpst', args: ['-e', './env', 'prog'] }), 'fallback');
  assert.equal(nobody({ tool: 'chpst', args: ['-v', '-e./env', 'prog'] }), 'fallback');
  assert.equal(nobody({ tool: 'chpst', argv0: 'envdir', args: ['./env', 'prog'] }), 'fallback');
  assert.equal(nobody({ tool: 'chpst', argv0: '/usr/local/bin/envdir', args: ['./env', 'prog'] }), 'fallback');
  for (const tool of ['sv', 'runsvdir', 'runsvchdir', 'utmpset', 'health', 'events', 'halt', 'check', 'runsv', 'tsinit', 'runit', 'runit-init'] as const) {
    const d = decide(facts({ uid: 65534, tool, args: [] }));
    assert.equal(d.kind, 'fallback', tool);
  }
});

test('stopping: runsvdir and runsv are refused with exit 111, never a fallback that would start services', () => {
  for (const tool of ['runsvdir', 'runsv'] as const) {
    for (const uid of [0, 1000]) {
      assert.deepEqual(decide(facts({ tool, uid, stopping: true, args: ['/etc/service'] })), {
        kind: 'refuse',
        code: 111,
        message: 'tsinit: fatal: tsinit is stopping\n',
      });
    }
  }
  // the other tools work on (sv from stage 3)
  assert.equal(kind(facts({ tool: 'sv', stopping: true })), 'run');
  assert.equal(kind(facts({ tool: 'runsvdir', stopping: false })), 'run');
});

test('a tool this tsinit does not serve to clients falls back', () => {
  const served = new Set<ToolName>(['sv']);
  assert.equal(kind(facts({ tool: 'sv', served })), 'run');
  assert.equal(kind(facts({ tool: 'svlogd', args: ['x'], served })), 'fallback');
  assert.equal(kind(facts({ tool: 'svlogd', args: ['x'], uid: 9, served })), 'fallback');
});

test('svlogd with more than IN_PROCESS_LOG_DIRS_MAX log directories runs as a process of its own, for any caller', () => {
  const dirs = (n: number): string[] => Array.from({ length: n }, (_, i) => `/var/log/d${i}`);
  for (const uid of [0, 65534]) {
    assert.equal(kind(facts({ uid, tool: 'svlogd', args: ['-tt', ...dirs(IN_PROCESS_LOG_DIRS_MAX)] })), 'run', `uid ${uid}`);
    assert.deepEqual(decide(facts({ uid, tool: 'svlogd', args: ['-tt', ...dirs(IN_PROCESS_LOG_DIRS_MAX + 1)] })), {
      kind: 'fallback',
      why: `svlogd with more than ${IN_PROCESS_LOG_DIRS_MAX} log directories`,
    });
  }
});
