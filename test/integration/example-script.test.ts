// `npm run example` (scripts/example.sh): it says how to reach its services
// (the commands it prints work as printed), keeps tsinit's runtime directory
// (TSINIT_RUN_DIR) in its own temp dir, writes nothing into dist/, and removes
// its temp dir when tsinit exits.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../testkit/debian.ts';
import { run } from '../helpers/pidns.ts';

const script = path.join(repoRoot, 'scripts', 'example.sh');
const distDir = path.join(repoRoot, 'dist');
// Every run of dist/tsinit extracts its embedded files into a mkdtemp directory
// beside itself for a moment (native/sea-asset.ts); other test files run it
// meanwhile, so those passing names are not the example's writes.
const passing = /^\.tsinit-.+-[A-Za-z0-9]{6}$/;
const distListing = (): string[] => (fs.existsSync(distDir) ? fs.readdirSync(distDir).filter((n) => !passing.test(n)).sort() : []);

function children(pid: number): number[] {
  try {
    const s = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return s ? s.split(' ').map(Number) : [];
  } catch {
    return [];
  }
}

/** Host pid of the tsinit the script started: script -> unshare -> tsinit (PID 1 inside). */
async function tsinitPid(scriptPid: number): Promise<number> {
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    for (const u of children(scriptPid)) {
      const [init] = children(u);
      if (init !== undefined && fs.readlinkSync(`/proc/${init}/exe`).endsWith('/bin/tsinit')) return init;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the example did not start tsinit');
}

/** The variables of the printed `export` line (it spans two lines, joined by a backslash). */
function exportedEnv(output: string): Record<string, string> {
  const m = /export ((?:[^\n]|\\\n)*?[^\\])\n/.exec(output);
  assert.ok(m, `no export line in:\n${output}`);
  const env: Record<string, string> = {};
  for (const word of (m[1] as string).replace(/\\\n/g, ' ').split(/\s+/)) {
    const eq = word.indexOf('=');
    if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1).replace('$PATH', process.env.PATH ?? '/usr/bin:/bin');
  }
  return env;
}

function sh(cmd: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', cmd], { env, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('npm run example: printed commands reach its services, private run dir, nothing in dist/, temp dir removed', async () => {
  const distBefore = distListing();
  const r = run(['bash', script], {}, { pidns: false });
  try {
    await r.waitFor(/example tree: (\S+)/);
    const work = (/example tree: (\S+)/.exec(r.output()) as RegExpExecArray)[1] as string;
    await r.waitFor('clock: ');
    const env = exportedEnv(r.output());
    assert.equal(env.TSINIT_RUN_DIR, path.join(work, 'run'));
    assert.equal(env.SVDIR, path.join(work, 'service'));

    // sv status, as printed, until both services run
    let st = sh('sv status hello clock', env);
    for (let i = 0; i < 600 && (st.stdout.match(/^run: /gm)?.length ?? 0) < 2; i++) {
      await new Promise((res) => setTimeout(res, 100));
      st = sh('sv status hello clock', env);
    }
    assert.match(st.stdout, /^run: hello: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\nrun: clock: \(pid \d+\) \d+s\n$/, st.stderr);
    const health = sh('tsinit health', env);
    assert.equal(health.status, 0, health.stdout + health.stderr);

    // tsinit events follows this tsinit: its socket is in the example's run dir
    assert.ok(fs.existsSync(path.join(work, 'run', 'events.sock')), 'events socket in TSINIT_RUN_DIR');
    const ev = spawn('sh', ['-c', 'exec tsinit events'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const first = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error(`no event: ${buf}`)), 60000);
      ev.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) {
          clearTimeout(t);
          resolve(buf.split('\n')[0] as string);
        }
      });
    });
    ev.kill('SIGTERM');
    assert.ok(JSON.parse(first), first);

    // what tsinit install extracted lies beside the example's own copy
    assert.deepEqual(distListing(), distBefore, 'nothing written into dist/');

    process.kill(await tsinitPid(r.proc.pid as number), 'SIGTERM');
    const ex = await r.exit;
    assert.equal(ex.code, 0, r.output());
    assert.match(r.output(), /stage 3: all services stopped/);
    assert.equal(fs.existsSync(work), false, `${work} left behind`);
    assert.deepEqual(distListing(), distBefore, 'nothing written into dist/');
  } finally {
    r.proc.kill('SIGKILL');
  }
});
