// Lifecycle events of a real tsinit: `tsinit events` follows them through
// the Unix socket (mode 0600) and sees a scripted sequence in order; with
// TSINIT_LOG_FORMAT=json the same events are lines of tsinit's own log.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { tool } from '../helpers/tsinit.ts';
import { serviceDir, waitFile } from '../helpers/services.ts';

type Ev = Record<string, unknown>;

/** Runs `tsinit events SOCKET`, collecting its JSON lines until it exits. */
function follower(sock: string): { lines: Ev[]; waitFor(ok: (e: Ev) => boolean): Promise<void>; exit: Promise<number | null> } {
  const child = spawn(tsinit(), ['events', sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Ev[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)) as Ev);
      buf = buf.slice(i + 1);
    }
    for (const w of [...waiters]) w();
  });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    lines,
    exit,
    waitFor: (ok) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`event never came; got:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)), 20000);
        const check = (): void => {
          if (lines.some(ok)) {
            clearTimeout(timer);
            resolve();
          }
        };
        waiters.push(check);
        check();
      }),
  };
}

/** Index of the first event after `from` matching every given field. */
function find(lines: Ev[], fields: Ev, from = 0): number {
  for (let i = from; i < lines.length; i++) {
    const l = lines[i] as Ev;
    if (Object.entries(fields).every(([k, v]) => l[k] === v)) return i;
  }
  return -1;
}

test('tsinit events: a scripted sequence in order, through a 0600 socket; the same events in the JSON log', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-events-'));
  const sock = path.join(tmp, 'run', 'events.sock');
  const svc = serviceDir({ web: { run: 'exec sleep 1000' } });
  const r = run([tsinit()], {
    TSINIT_RUNIT_DIR: runitDir({}),
    TSINIT_SERVICE_DIR: svc,
    TSINIT_EVENTS_SOCKET: sock,
    TSINIT_RUN_DIR: path.join(tmp, 'run'),
    TSINIT_LOG_FORMAT: 'json',
  });
  try {
    await waitFile(path.join(svc, 'web', 'supervise', 'stat'), 'run\n');
    const st = fs.statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600, 'socket mode');
    assert.equal(st.uid, process.getuid?.());
    // 0711 (searchable, not listable): the tool service's socket is in it too, for callers of any uid
    assert.equal(fs.statSync(path.dirname(sock)).mode & 0o777, 0o711, 'directory created 0700, opened to search for the tool socket');

    const f = follower(sock);
    // History first: the start of web happened before we connected.
    await f.waitFor((e) => e.type === 'spawned' && e.service === 'web');
    const firstPid = Number(fs.readFileSync(path.join(svc, 'web', 'supervise', 'pid'), 'utf8'));

    assert.equal(spawnSync(tool('sv'), ['-w', '5', 'down', path.join(svc, 'web')]).status, 0);
    await f.waitFor((e) => e.type === 'exited' && e.service === 'web');
    assert.equal(spawnSync(tool('sv'), ['up', path.join(svc, 'web')]).status, 0);
    await f.waitFor((e) => e.type === 'spawned' && e.service === 'web' && e.pid !== firstPid);
    await r.signal('SIGTERM');
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    assert.equal(await f.exit, 0, 'tsinit events ends when the socket closes');

    const L = f.lines;
    let i = find(L, { type: 'spawned', service: 'web', side: 'main', pid: firstPid });
    assert.ok(i >= 0, 'spawned');
    i = find(L, { type: 'control', service: 'web', command: 'd' }, i);
    assert.ok(i >= 0, 'control d after spawned');
    i = find(L, { type: 'exited', service: 'web', pid: firstPid, signal: 'SIGTERM' }, i);
    assert.ok(i >= 0, 'exited by TERM after control d');
    i = find(L, { type: 'control', service: 'web', command: 'u' }, i);
    assert.ok(i >= 0, 'control u after exited');
    i = find(L, { type: 'spawned', service: 'web' }, i);
    assert.ok(i >= 0, 'spawned again after control u');
    i = find(L, { type: 'shutdown-phase', phase: 'stage2', state: 'started' }, i);
    assert.ok(i >= 0, 'shutdown began after the restart');
    const j = find(L, { type: 'exited', service: 'web', signal: 'SIGTERM' }, i);
    assert.ok(j > i, 'web stopped during stage 2 shutdown');
    assert.ok(find(L, { type: 'shutdown-phase', phase: 'stage2', state: 'ended' }, j) > j, 'stage 2 ended after web exited');
    for (const l of L) assert.equal(typeof l.time, 'number');

    // The JSON log: one object per line, the events among them.
    const logLines = r.output().trim().split('\n').map((l) => JSON.parse(l) as Ev);
    assert.ok(logLines.some((l) => l.type === 'spawned' && l.service === 'web' && l.pid === firstPid && l.msg === 'event: spawned'));
    assert.ok(logLines.some((l) => l.type === 'control' && l.command === 'd'));
    assert.ok(logLines.some((l) => l.type === 'shutdown-phase' && l.phase === 'stage2' && l.state === 'ended'));
    assert.equal(fs.existsSync(sock), false, 'socket removed at exit');
  } finally {
    if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  }
});

test('tsinit events: a clear error when nothing listens', () => {
  const r = spawnSync(tsinit(), ['events', path.join(os.tmpdir(), 'tsinit-nothing-here.sock')], { encoding: 'utf8' });
  assert.equal(r.status, 111);
  assert.match(r.stderr, /^tsinit events: fatal: unable to connect to .*tsinit-nothing-here\.sock: file does not exist\n$/);
});
