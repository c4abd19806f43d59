// Shutdown never starts anything, with real processes: a standalone runsv
// told to stop (SIGTERM) ignores `sv up` and `sv once` arriving while its
// ./finish runs; under runsvdir -P a service that is still waiting for its
// dependants to stop, and is killed from outside meanwhile, is not started
// again; its ./finish runs once. Also: which session each child gets, with
// and without -P.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cleanup, control, makeService, readStatus, startProc, tempRoot, waitFor } from '../helpers/runsv.ts';
import { tool } from '../helpers/tsinit.ts';
import { run, runitDir } from '../helpers/pidns.ts';

const roots: string[] = [];
const tmp2: string[] = [];
const dirs: string[] = [];
after(async () => {
  await cleanup(dirs);
  for (const r of [...roots, ...tmp2]) fs.rmSync(r, { recursive: true, force: true });
});

const count = (file: string): number => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
};

/** run: counts its start, then runs until a signal; finish: counts, and (holdFinish) waits for ../go. */
function countingService(root: string, name: string, extra: { dependsOn?: string; holdFinish?: boolean } = {}): string {
  const hold = extra.holdFinish === false ? '' : `while [ ! -e ${root}/go ]; do sleep 0.05; done\n`;
  const dir = makeService(root, name, {
    run: `#!/bin/sh\necho start >> ${root}/${name}.starts\nexec sleep 2147483647\n`,
    finish: `#!/bin/sh\necho "$1 $2" >> ${root}/${name}.finishes\n${hold}`,
  });
  if (extra.dependsOn) {
    fs.mkdirSync(path.join(dir, 'dependencies.d'));
    fs.writeFileSync(path.join(dir, 'dependencies.d', extra.dependsOn), '');
  }
  dirs.push(dir);
  return dir;
}

/** /proc/PID/stat: [pgrp, session] */
function pgrpSession(pid: number): [number, number] {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return [Number(f[2]), Number(f[3])];
}

test('standalone runsv: sv up and sv once during ./finish after SIGTERM start nothing; finish once, runsv exits 0', async () => {
  const root = tempRoot('tsinit-stop-runsv-');
  roots.push(root);
  const dir = countingService(root, 'svc');
  const p = startProc(tool('runsv'), [dir], root);
  await waitFor('./run started', () => count(`${root}/svc.starts`) === 1 && readStatus(dir)?.stateCode === 1);
  p.child.kill('SIGTERM');
  await waitFor('./finish running', () => count(`${root}/svc.finishes`) === 1 && readStatus(dir)?.stateCode === 2);
  // o and u (runit: want up, so ./run starts again after ./finish), then p:
  // p's flag in supervise/status shows that o and u were read (one byte per loop, in order).
  control(dir, 'oup');
  await waitFor('the commands read', () => readStatus(dir)?.paused === true);
  assert.equal(readStatus(dir)?.want, 'd', 'want stays exit (shown as d)');
  fs.writeFileSync(`${root}/go`, '');
  let code: number | null | undefined;
  void p.exited.then((c) => (code = c));
  await waitFor('runsv exited or ./run started again', () => code !== undefined || count(`${root}/svc.starts`) > 1);
  assert.equal(count(`${root}/svc.starts`), 1, `./run started again after the stop; stderr: ${p.stderr()}`);
  assert.equal(await p.exited, 0);
  assert.equal(count(`${root}/svc.finishes`), 1);
});

test('runsvdir -P: a service killed while it waits for its dependants to stop is not restarted; each finish once', async () => {
  const root = tempRoot('tsinit-stop-runsvdir-');
  roots.push(root);
  const sd = path.join(root, 'service');
  fs.mkdirSync(sd);
  // api depends on db: on the stop, api is stopped first and db waits for api to be down.
  const db = countingService(sd, 'db', { holdFinish: false });
  const api = countingService(sd, 'api', { dependsOn: 'db' });
  const p = startProc(tool('runsvdir'), ['-P', sd], root);
  await waitFor('both started', () => count(`${sd}/db.starts`) === 1 && count(`${sd}/api.starts`) === 1 && readStatus(db)?.stateCode === 1);
  // db's ./run lives past runit's 1 s rule: a restart would follow its finish at once, no pause.
  const dbPid = await waitFor('db up for 1.5 s', () => {
    const st = readStatus(db);
    return st && st.stateCode === 1 && Date.now() / 1000 - st.sec > 1.5 ? st.pid : undefined;
  });
  p.child.kill('SIGTERM');
  // api's finish holds the stop (it waits for ../go): db is not told to stop yet.
  await waitFor("api's finish running", () => count(`${sd}/api.finishes`) === 1);
  assert.equal(readStatus(db)?.stateCode, 1);
  // Someone kills db meanwhile (OOM killer, a stray kill): runsv must not start it again.
  process.kill(dbPid, 'SIGKILL');
  await waitFor("db's finish ran, or db started again", () => (count(`${sd}/db.finishes`) === 1 && readStatus(db)?.stateCode === 0) || count(`${sd}/db.starts`) > 1);
  control(db, 'u');
  fs.writeFileSync(`${sd}/go`, '');
  let code: number | null | undefined;
  void p.exited.then((c) => (code = c));
  await waitFor('runsvdir exited or db started again', () => code !== undefined || count(`${sd}/db.starts`) > 1);
  assert.equal(count(`${sd}/db.starts`), 1, `db started again during the shutdown; stderr: ${p.stderr()}`);
  assert.equal(await p.exited, 0);
  assert.equal(count(`${sd}/api.starts`), 1);
  assert.equal(count(`${sd}/db.finishes`), 1, 'db: finish once');
  assert.equal(count(`${sd}/api.finishes`), 1, 'api: finish once');
  void api;
});

for (const sessionMode of [true, false]) {
  test(`runsvdir ${sessionMode ? '-P: ./run and log/run each lead a session of their own' : 'without -P: the services stay in runsvdir\'s process group'}`, async () => {
    const root = tempRoot('tsinit-sessions-');
    roots.push(root);
    const sd = path.join(root, 'service');
    fs.mkdirSync(sd);
    const dir = makeService(sd, 'svc', {
      run: `#!/bin/sh\nexec sleep 2147483647\n`,
      // a log/run that is not svlogd's one-liner: a real process
      log: `#!/bin/sh\nexec cat > /dev/null\n`,
    });
    dirs.push(dir);
    const p = startProc(tool('runsvdir'), sessionMode ? ['-P', sd] : [sd], root);
    const [runPid, logPid] = await waitFor('run and log up', () => {
      const m = readStatus(dir);
      const l = readStatus(dir, true);
      return m?.stateCode === 1 && l?.stateCode === 1 && m.pid > 0 && l.pid > 0 ? [m.pid, l.pid] : undefined;
    });
    const sup = p.child.pid as number;
    const [supPgrp, supSid] = pgrpSession(sup);
    for (const [what, pid] of [
      ['./run', runPid],
      ['log/run', logPid],
    ] as const) {
      const [pgrp, sid] = pgrpSession(pid);
      if (sessionMode) {
        assert.deepEqual([pgrp, sid], [pid, pid], `${what} leads its own session and group`);
      } else {
        assert.deepEqual([pgrp, sid], [supPgrp, supSid], `${what} in runsvdir's group and session`);
      }
    }
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });
}

test('PID 1: a stage 2 runsvdir -P that crashes takes its services along before stage 2 restarts (no second copy of a daemon)', { timeout: 120_000 }, async () => {
  const root = tempRoot('tsinit-s2crash-');
  roots.push(root);
  const sd = path.join(root, 'service');
  fs.mkdirSync(sd);
  // each start appends its pid (the namespace's) to db.pids
  makeService(sd, 'db', { run: `#!/bin/sh\necho $$ >> ${root}/db.pids\nexec sleep 2147483647\n` });
  const runit = runitDir({ '2': `exec runsvdir -P ${sd}` });
  tmp2.push(runit);
  const r = run([tool('tsinit')], { TSINIT_RUNIT_DIR: runit, PATH: `${path.dirname(tool('runsvdir'))}:${process.env.PATH ?? ''}` });
  const init = await r.initPid();
  await waitFor('db started', () => count(`${root}/db.pids`) === 1);
  // stage 2 (runsvdir) dies by a signal: runit's answer is a restart of stage 2
  const stage2 = Number(fs.readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(' ')[0]);
  process.kill(stage2, 'SIGKILL');
  await r.waitFor('restarting.');
  await waitFor('db started by the new stage 2', () => count(`${root}/db.pids`) === 2);
  // only one db runs: the first one went with its stage 2
  const sleeps = await waitFor('one db left', () => {
    const n = fs
      .readFileSync(`/proc/${init}/task/${init}/children`, 'utf8')
      .trim()
      .split(' ')
      .flatMap((p) => [p, ...fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(' ')])
      .filter((p) => p !== '' && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\0')).length;
    return n === 1 ? n : undefined;
  });
  assert.equal(sleeps, 1);
  await r.signal('SIGTERM');
  assert.equal((await r.exit).code, 0, r.output());
});
