// The events socket: mode 0600 from the start, history then live events,
// nothing read from clients, a follower that falls behind is dropped, a
// stale socket is replaced and a live one is left alone.
import test, { beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { emitEvent, resetEvents } from '../../src/events/bus.ts';
import { follow } from '../../src/events/follower.ts';
import { startEventsServer } from '../../src/events/socket-server.ts';

beforeEach(() => resetEvents());

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-events-'));
}

/** Connect and collect JSON lines until `n` have arrived. */
function collect(sock: string, n: number, onLine?: (count: number) => void): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const lines: Array<Record<string, unknown>> = [];
    const c = net.connect(sock);
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        onLine?.(lines.length);
        if (lines.length === n) {
          c.destroy();
          resolve(lines);
        }
      }
    });
    c.on('error', reject);
  });
}

test('socket mode 0600 in a directory created 0700; history, then live events in order', async () => {
  const dir = path.join(tmp(), 'run', 'tsinit');
  const sock = path.join(dir, 'events.sock');
  emitEvent({ type: 'spawned', service: 'a', side: 'main', pid: 1 });
  emitEvent({ type: 'spawned', service: 'b', side: 'main', pid: 2 });
  const server = await startEventsServer(sock, (e) => assert.fail(String(e)));
  try {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
    assert.ok(fs.statSync(sock).isSocket());
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const lines = await collect(sock, 4, (count) => {
      if (count === 2) {
        emitEvent({ type: 'control', service: 'a', side: 'main', command: 'd' });
        emitEvent({ type: 'exited', service: 'a', side: 'main', pid: 1, signal: 'SIGTERM' });
      }
    });
    assert.deepEqual(
      lines.map((l) => `${l.type}:${l.service}`),
      ['spawned:a', 'spawned:b', 'control:a', 'exited:a'],
    );
  } finally {
    server.close();
  }
  assert.equal(fs.existsSync(sock), false, 'removed on close');
});

test('accepts no commands: what a client writes is never read, and followers still work', async () => {
  const sock = path.join(tmp(), 'events.sock');
  const server = await startEventsServer(sock, () => {});
  try {
    const writer = net.connect(sock);
    await new Promise<void>((r) => writer.on('connect', () => r()));
    writer.write('x'.repeat(1 << 16));
    writer.write('d\nexit\n');
    emitEvent({ type: 'spawned', service: 'web', side: 'main', pid: 3 });
    const lines = await collect(sock, 2, (count) => {
      if (count === 1) emitEvent({ type: 'ready', service: 'web', readiness: 'up' });
    });
    assert.deepEqual(lines.map((l) => l.type), ['spawned', 'ready']);
    writer.destroy();
  } finally {
    server.close();
  }
});

test('a stale socket file is replaced; a non-socket is refused; a live socket is left alone', async () => {
  const dir = tmp();
  fs.chmodSync(dir, 0o700);
  const stale = path.join(dir, 'stale.sock');
  // what a killed tsinit leaves: a socket file nobody listens on
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout?.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(fs.statSync(stale).isSocket());
  const server = await startEventsServer(stale, () => {});
  assert.equal(fs.statSync(stale).mode & 0o777, 0o600);

  await assert.rejects(startEventsServer(stale, () => {}), /in use by another tsinit/);
  server.close();

  const file = path.join(dir, 'plain');
  fs.writeFileSync(file, 'keep me');
  await assert.rejects(startEventsServer(file, () => {}), /not a socket/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
});

test('a directory others can write to is refused', async () => {
  const dir = tmp();
  fs.chmodSync(dir, 0o777);
  await assert.rejects(startEventsServer(path.join(dir, 'e.sock'), () => {}), /writable by group or others/);
});

test('a follower that falls behind is dropped instead of buffering without bound', () => {
  let queued = 0;
  let destroyed = false;
  const stop = follow(
    {
      write: (t) => {
        queued += t.length;
      },
      backlog: () => queued,
      destroy: () => {
        destroyed = true;
      },
    },
    1000,
  );
  for (let i = 0; i < 100 && !destroyed; i++) emitEvent({ type: 'spawned', service: `s${i}`, side: 'main', pid: i });
  assert.equal(destroyed, true);
  const before = queued;
  emitEvent({ type: 'spawned', service: 'after', side: 'main', pid: 1 });
  assert.equal(queued, before, 'nothing more is written once dropped');
  stop();
});
