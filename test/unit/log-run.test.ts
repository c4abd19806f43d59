import test from 'node:test';
import assert from 'node:assert/strict';
import { planInprocessLog } from '../../src/supervise/log-run.ts';
import { IN_PROCESS_LOG_DIRS_MAX } from '../../src/svlogd/options.ts';

test('the usual one-liners run in-process', () => {
  assert.deepEqual(planInprocessLog('#!/bin/sh\nexec svlogd -tt ./main\n'), { args: ['-tt', './main'], stderrToStdout: false });
  assert.deepEqual(planInprocessLog('#!/bin/sh\n# log\n\nexec /usr/bin/svlogd -t /var/log/web\n'), { args: ['-t', '/var/log/web'], stderrToStdout: false });
  assert.deepEqual(planInprocessLog('#!/bin/sh\nset -e\nexec 2>&1\nexec chpst -u log svlogd -tt ./main\n'), { args: ['-tt', './main'], user: 'log', stderrToStdout: true });
  assert.deepEqual(planInprocessLog('#!/usr/bin/env sh\nexec chpst -ulog:adm svlogd main\n'), { args: ['main'], user: 'log:adm', stderrToStdout: false });
  assert.deepEqual(planInprocessLog('#!/bin/bash\nexec setuidgid nobody svlogd -tt a b\n'), { args: ['-tt', 'a', 'b'], user: 'nobody', stderrToStdout: false });
});

test('anything else runs as a process', () => {
  const no = [
    'exec svlogd -tt ./main\n', // no shebang
    '#!/usr/bin/execlineb -P\nsvlogd -tt ./main\n',
    '#!/bin/sh\nexec svlogd -tt "$LOGDIR"\n',
    '#!/bin/sh\nexec svlogd -tt ./main 2>/dev/null\n',
    '#!/bin/sh\nsvlogd -tt ./main\n', // no exec: a shell stays around
    '#!/bin/sh\nmkdir -p main\nexec svlogd -tt ./main\n',
    '#!/bin/sh\nexec svlogd -tt ./main\necho never\n',
    '#!/bin/sh\nexec s6-log t ./main\n',
    '#!/bin/sh\nexec chpst -e ./env svlogd ./main\n',
    '#!/bin/sh\nexec chpst -u log -m 1000 svlogd ./main\n',
    '#!/bin/sh\nexec svlogd\n',
    '#!/bin/sh\nexec svlogd -tt ./m*\n',
    '#!/bin/sh\nexec logger -t web\n',
  ];
  for (const s of no) assert.equal(planInprocessLog(s), undefined, JSON.stringify(s));
});

test('an svlogd of more than IN_PROCESS_LOG_DIRS_MAX directories runs as a process (each line goes to each)', () => {
  const dirs = (n: number): string[] => Array.from({ length: n }, (_, i) => `./d${i}`);
  const at = dirs(IN_PROCESS_LOG_DIRS_MAX);
  assert.deepEqual(planInprocessLog(`#!/bin/sh\nexec svlogd -tt ${at.join(' ')}\n`), { args: ['-tt', ...at], stderrToStdout: false });
  assert.equal(planInprocessLog(`#!/bin/sh\nexec svlogd -tt ${dirs(IN_PROCESS_LOG_DIRS_MAX + 1).join(' ')}\n`), undefined);
});

import { LinePrefixer } from '../../src/supervise/prefix-output.ts';

test('prefixer: whole lines only, partial lines held until their newline or the end', () => {
  const p = new LinePrefixer('web');
  const s = (bs: Buffer[]): string => Buffer.concat(bs).toString();
  assert.equal(s(p.push(Buffer.from('one\ntw'))), 'web: one\n');
  assert.equal(s(p.push(Buffer.from('o\nthree'))), 'web: two\n');
  assert.equal(s(p.push(Buffer.from(''))), '');
  assert.equal(s(p.flush()), 'web: three\n');
  assert.equal(s(p.flush()), '');
  const big = 'z'.repeat(70 * 1024);
  const out = s(p.push(Buffer.from(big)));
  assert.equal(out, `web: ${big}\n`, 'an endless line is cut at 64 KiB');
});
