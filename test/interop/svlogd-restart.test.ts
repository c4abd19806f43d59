// `sv restart` of a log service while its service writes fast, side by side
// with Debian's svlogd: no complete line read may be lost (only the one line
// a TERM interrupts may be dropped, as Debian drops it), no line twice, and
// never a piece of a line written as a line of its own. The writer writes
// 4 KiB blocks, as stdio does into a pipe,
// a millisecond apart, so lines are split between writes and a restart
// usually falls inside one.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../helpers/pidns.ts';
import { tool, toolBin } from '../helpers/tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const RESTARTS = 6;

// n=<seq> <seq % 97 x's>: a fragment cannot pass for a line.
const WRITER = `
import fs from 'node:fs';
const stop = process.argv[2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let n = 0;
for (;;) {
  if (fs.existsSync(stop)) break;
  let s = '';
  for (let i = 0; i < 250; i++, n++) s += 'n=' + n + ' ' + 'x'.repeat(n % 97) + '\\n';
  const b = Buffer.from(s);
  // 4 KiB blocks a millisecond apart: most of the time a line is half in the pipe
  for (let off = 0; off < b.length; ) {
    try { off += fs.writeSync(1, b, off, Math.min(4096, b.length - off)); }
    catch (e) { if (e.code !== 'EAGAIN') throw e; }
    await sleep(1);
  }
}
fs.writeSync(1, 'END ' + n + '\\n');
setInterval(() => {}, 1e6);
`;

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const read = (f: string): string => {
  try {
    return fs.readFileSync(f, 'latin1');
  } catch {
    return '';
  }
};

interface Outcome {
  written: number;
  lost: number;
  duplicates: number;
  fragments: string[];
}

async function restarts(mode: 'tsinit' | 'debian' | 'inprocess'): Promise<Outcome> {
  const svc = fs.mkdtempSync(path.join(os.tmpdir(), `svlogd-restart-${mode}-`));
  roots.push(svc);
  const web = path.join(svc, 'web');
  fs.mkdirSync(path.join(web, 'log', 'main'), { recursive: true });
  fs.writeFileSync(path.join(svc, 'writer.mjs'), WRITER);
  const stop = path.join(svc, 'stop');
  fs.writeFileSync(path.join(web, 'run'), `#!/bin/sh\nexec '${process.execPath}' ${path.join(svc, 'writer.mjs')} ${stop}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(web, 'log', 'run'), '#!/bin/sh\nexec svlogd ./main\n', { mode: 0o755 });
  fs.writeFileSync(path.join(web, 'log', 'main', 'config'), 's0\n');
  const bin = mode === 'debian' ? `${debianRunit().bin}:${toolBin()}` : toolBin();
  const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH}` };
  if (mode !== 'inprocess') env.TSINIT_INPROCESS_LOG = '0';
  const r = run([tool('runsvdir'), svc], env, { pidns: false });
  const current = path.join(web, 'log', 'main', 'current');
  const lines = (): number => {
    const t = read(current);
    let c = 0;
    for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) c++;
    return c;
  };
  try {
    await until(() => lines() > 5000, `${mode}: logging`);
    for (let i = 0; i < RESTARTS; i++) {
      const before = lines();
      const sv = spawnSync(tool('sv'), ['restart', path.join(web, 'log')], { encoding: 'utf8' });
      assert.equal(sv.status, 0, sv.stdout + sv.stderr);
      await until(() => lines() > before + 5000, `${mode}: logging after restart ${i + 1}`);
    }
    if (mode === 'debian') {
      // supervise/pid may still name the svlogd that just ended on a loaded
      // machine: wait for a pid whose process is there to be looked at
      let exe = '';
      await until(() => {
        try {
          exe = fs.readlinkSync(`/proc/${Number(read(path.join(web, 'log', 'supervise', 'pid')))}/exe`);
          return true;
        } catch {
          return false;
        }
      }, `${mode}: the log service's pid`);
      assert.equal(exe, fs.realpathSync(path.join(debianRunit().bin, 'svlogd')), 'the log service is Debian svlogd');
    }
    fs.writeFileSync(stop, '');
    await until(() => /^END \d+$/m.test(read(current)), `${mode}: END logged`);
  } finally {
    r.proc.kill('SIGTERM');
    const killer = setTimeout(() => r.proc.kill('SIGKILL'), 30_000);
    await r.exit;
    clearTimeout(killer);
  }
  const seen = new Set<number>();
  const out: Outcome = { written: 0, lost: 0, duplicates: 0, fragments: [] };
  for (const line of read(current).split('\n').slice(0, -1)) {
    const end = /^END (\d+)$/.exec(line);
    if (end) {
      out.written = Number(end[1]);
      continue;
    }
    const m = /^n=(\d+) (x*)$/.exec(line);
    if (!m || (m[2] as string).length !== Number(m[1]) % 97) {
      out.fragments.push(line.slice(0, 60));
      continue;
    }
    const n = Number(m[1]);
    if (seen.has(n)) out.duplicates++;
    seen.add(n);
  }
  out.lost = out.written - seen.size;
  return out;
}

for (const mode of ['debian', 'tsinit', 'inprocess'] as const) {
  test(`${mode} svlogd: ${RESTARTS} restarts under load lose at most the line each TERM interrupts, write no fragment`, { timeout: 180_000 }, async () => {
    const o = await restarts(mode);
    console.log(`${mode}: ${o.written} lines, lost ${o.lost}, duplicates ${o.duplicates}, fragments ${JSON.stringify(o.fragments)}`);
    assert.ok(o.written > 30_000, `only ${o.written} lines written`);
    assert.deepEqual(o.fragments, [], `${mode}: pieces of lines written as lines`);
    assert.equal(o.duplicates, 0, `${mode}: lines written twice`);
    assert.ok(o.lost <= RESTARTS, `${mode}: lost ${o.lost} of ${o.written} lines over ${RESTARTS} restarts`);
  });
}
