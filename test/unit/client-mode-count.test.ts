// The client mode's count of tool calls (test/helpers/client-mode.ts): from
// the serving tsinit's debug lines and the fallback recorder's lines, which
// calls were served, answered FALLBACK, or fell back without reaching it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { countCalls, describeCounts } from '../helpers/client-mode.ts';

const RUN = '/cache/client-x/run';

test('served, FALLBACK by policy (a served chpst whose plan fell back is one FALLBACK), and calls that never reached the service', () => {
  const serveLog = [
    '- tsinit: debug: tool service listening in /cache/client-x/run',
    '- tsinit: debug: tool call of pid 10 (uid 0): served: sv',
    '- tsinit: debug: tool call of pid 11 (uid 0): served: chpst',
    '- tsinit: debug: tool call of pid 12 (uid 0): served: chpst',
    '- tsinit: debug: tool call of pid 12 (uid 0): fallback: chpst not planned exactly',
    '- tsinit: debug: tool call of pid 13 (uid 65534): fallback: sv for uid 65534: the kernel judges it',
    '- tsinit: debug: tool call of pid 0 (uid 0): fallback: caller outside our PID namespace',
    // pid 10 again, later (pids are reused): a second call
    '- tsinit: debug: tool call of pid 10 (uid 0): served: a text answer',
    '',
  ].join('\n');
  const fallbackLog = [
    `12\t${RUN}\tchpst\t-e\tdir\ttrue`,
    `13\t${RUN}\tsv\tstatus\tx`,
    `5\t${RUN}\t/bin/sv\tstatus`, // in another PID namespace: tsinit logged pid 0
    `14\t(unset)\tsv\tstatus`, // env -: the default run directory
    `15\t/tmp/other/run\trunsvdir\t/etc/service`, // another tsinit's
    `16\t${RUN}\tsv`, // our run directory, but tsinit never saw it (not listening yet)
    '',
  ].join('\n');
  const c = countCalls('test/interop/x.test.ts', serveLog, fallbackLog, RUN);
  assert.deepEqual(c, {
    file: 'test/interop/x.test.ts',
    served: { sv: 1, chpst: 1, 'a text answer': 1 },
    fellBack: { 'chpst not planned exactly': 1, 'sv for uid 65534: the kernel judges it': 1, 'caller outside our PID namespace': 1 },
    unreached: { "sv (TSINIT_RUN_DIR (unset))": 1, 'runsvdir (TSINIT_RUN_DIR /tmp/other/run)': 1, "sv (TSINIT_RUN_DIR this test's)": 1 },
  });
  assert.match(describeCounts(c), /^# client mode, test\/interop\/x\.test\.ts: 3 calls served by the tool service \(.*\); 3 answered FALLBACK \(.*\); 3 fell back without reaching it \(.*\)$/);
});
