// PID 1's tool service end to end: tsinit as PID 1 of a PID namespace
// answers a client's `sv status` (the test client of tool-client-cli.ts,
// speaking the C client's protocol) in command mode and in stage mode - from
// stage 2 and still from stage 3 - refuses runsvdir once it is stopping, and
// with TSINIT_TOOLS=off has no socket.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runitDir, tsinit } from '../helpers/pidns.ts';
import { tool } from '../helpers/tsinit.ts';
import { fakeService, runningStatus } from '../helpers/fake-service.ts';

const cli = path.join(import.meta.dirname, '../helpers/tool-client-cli.ts');
const client = `'${process.execPath}' --no-warnings '${cli}'`;

interface Result {
  final?: { kind: string; code?: number };
  out: string;
  err: string;
  eof: boolean;
}

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsinit-toolsvc-'));
  fs.chmodSync(d, 0o755);
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (const end = Date.now() + 60_000; !check(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const readResult = (file: string): Result => JSON.parse(fs.readFileSync(file, 'utf8')) as Result;

test('command mode: the command\'s `sv status` is answered by PID 1, in-process', async (t) => {
  const dir = tmp(t);
  const runDir = path.join(dir, 'run');
  const svc = path.join(dir, 'service');
  const web = fakeService(path.join(svc, 'web'), { status: runningStatus(4242), fifoMode: 0o644 });
  t.after(() => web.close());
  const out = path.join(dir, 'result.json');
  const nobody = `setpriv --reuid=65534 --regid=65534 --clear-groups ${client} ${runDir}/tools.sock`;
  const script = [
    `${client} ${runDir}/tools.sock sv status web >${out}`,
    // uid 65534 reaches the socket (run dir 0711, socket 0666): sv falls back, chpst is planned
    `${nobody} sv status web >${dir}/nobody-sv.json`,
    `${nobody} chpst -n 1 true >${dir}/nobody-chpst.json`,
  ].join('; ');
  const r = run([tsinit(), '--', 'sh', '-c', script], { TSINIT_RUN_DIR: runDir, SVDIR: svc });
  const exit = await r.exit;
  assert.equal(exit.code, 0, r.output());
  const res = readResult(out);
  assert.deepEqual(res.final, { kind: 'exit', code: 0 }, JSON.stringify(res));
  assert.match(res.out, /^run: web: \(pid 4242\) \d+s\n$/);
  assert.equal(res.err, '');
  assert.deepEqual(readResult(`${dir}/nobody-sv.json`).final, { kind: 'fallback' });
  const plan = readResult(`${dir}/nobody-chpst.json`).final as { kind: string; words?: unknown };
  assert.equal(plan.kind, 'exec', JSON.stringify(plan));
  // the socket went with tsinit
  assert.equal(fs.existsSync(path.join(runDir, 'tools.sock')), false);
});

for (const entry of ['tsinit', 'runit'] as const) {
  test(`stage mode (${entry} as PID 1): served from stage 2 and still from stage 3; runsvdir refused while stopping`, async (t) => {
    const dir = tmp(t);
    const runDir = path.join(dir, 'run');
    const svc = path.join(dir, 'service');
    const web = fakeService(path.join(svc, 'web'), { status: runningStatus(4243), fifoMode: 0o644 });
    t.after(() => web.close());
    const sock = path.join(runDir, 'tools.sock');
    const stages = runitDir({
      '1': 'exit 0',
      '2': `${client} ${sock} sv status web >${dir}/stage2.json; exec sleep 600`,
      '3': `${client} ${sock} sv status web >${dir}/stage3.json; ${client} ${sock} runsvdir ${svc} >${dir}/runsvdir.json; exit 0`,
    });
    const r = run([entry === 'tsinit' ? tsinit() : tool('runit')], { TSINIT_RUN_DIR: runDir, TSINIT_RUNIT_DIR: stages, SVDIR: svc });
    t.after(() => r.proc.kill('SIGKILL'));
    await until('stage 2\'s call', () => fs.existsSync(`${dir}/stage2.json`) && fs.readFileSync(`${dir}/stage2.json`, 'utf8') !== '');
    const s2 = readResult(`${dir}/stage2.json`);
    assert.deepEqual(s2.final, { kind: 'exit', code: 0 }, JSON.stringify(s2));
    assert.match(s2.out, /^run: web: \(pid 4243\) \d+s\n$/);
    await r.signal('SIGTERM');
    const exit = await r.exit;
    assert.equal(exit.code, 0, r.output());
    const s3 = readResult(`${dir}/stage3.json`);
    assert.deepEqual(s3.final, { kind: 'exit', code: 0 }, JSON.stringify(s3));
    assert.match(s3.out, /^run: web: \(pid 4243\) \d+s\n$/);
    const rd = readResult(`${dir}/runsvdir.json`);
    assert.deepEqual(rd.final, { kind: 'exit', code: 111 });
    assert.equal(rd.err, 'tsinit: fatal: tsinit is stopping\n');
    assert.equal(fs.existsSync(sock), false);
  });
}

test('TSINIT_TOOLS=off: no tool socket', async (t) => {
  const dir = tmp(t);
  const runDir = path.join(dir, 'run');
  const r = run([tsinit(), '--', 'sh', '-c', `ls ${runDir} >${dir}/ls`], { TSINIT_RUN_DIR: runDir, TSINIT_TOOLS: 'off' });
  assert.equal((await r.exit).code, 0, r.output());
  const listing = fs.readFileSync(`${dir}/ls`, 'utf8');
  assert.match(listing, /\bpid\b/);
  assert.doesNotMatch(listing, /tools\.sock/);
});

test('tsinit halt from stage 2 through the client: PID 1 takes its own request and exits with the code', async (t) => {
  const dir = tmp(t);
  const runDir = path.join(dir, 'run');
  const sock = path.join(runDir, 'tools.sock');
  const stages = runitDir({
    '1': 'exit 0',
    '2': `${client} ${sock} tsinit halt 7 >${dir}/halt.json; exec sleep 600`,
    '3': 'exit 0',
  });
  const r = run([tsinit()], { TSINIT_RUN_DIR: runDir, TSINIT_RUNIT_DIR: stages });
  t.after(() => r.proc.kill('SIGKILL'));
  const exit = await r.exit;
  assert.equal(exit.code, 7, r.output());
  const res = readResult(`${dir}/halt.json`);
  assert.deepEqual(res.final, { kind: 'exit', code: 0 }, JSON.stringify(res));
  // the request names the caller (stage 2's client), not PID 1
  assert.match(r.output(), /tsinit halt \(pid (?!1\b)\d+, parent \d+/);
});
