// The runsv interop scenario runner: the same steps, driven by Debian's sv,
// against Debian's runsv and against tsinit's runsv. sv's lines and exit
// codes must be equal (pids and seconds normalised), and supervise/ files
// must agree field by field (everything but time and pid), after every step.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tool } from './tsinit.ts';
import { debianRunit } from '../../testkit/debian.ts';
import { within } from './within.ts';
import { cleanup, makeService, readStatus, sleep, startProc, waitFor, type ServiceSpec } from './runsv.ts';
export type { ServiceSpec };

const roots: string[] = [];
const dirs: string[] = [];
after(async () => {
  await cleanup(dirs);
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const sv = debianRunit().sv;

export type Step = {
  args: string[];
  settle?: number;
  before?: (dir: string) => void;
  /** record how many lines the service added to its file `starts` while settling */
  countStarts?: boolean;
};

function startCount(dir: string): number {
  try {
    return fs.readFileSync(path.join(dir, 'starts'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

function normalise(text: string): string {
  return text.replace(/\(pid \d+\)/g, '(pid N)').replace(/\b\d+s\b/g, 'Ns');
}

function snapshot(dir: string): Record<string, unknown> {
  const side = (log: boolean) => {
    const sup = path.join(dir, log ? 'log/supervise' : 'supervise');
    const st = readStatus(dir, log);
    if (!st) return null;
    let pidFile = '';
    try {
      pidFile = fs.readFileSync(path.join(sup, 'pid'), 'utf8');
    } catch {
      pidFile = '<none>';
    }
    return {
      stat: fs.readFileSync(path.join(sup, 'stat'), 'utf8'),
      pidFile: pidFile === '<none>' ? pidFile : pidFile === '' ? 'empty' : pidFile === `${st.pid}\n` ? 'pid' : `other: ${pidFile}`,
      pidSet: st.pid > 0,
      paused: st.paused,
      want: st.want,
      termSent: st.termSent,
      state: st.stateCode,
      size: fs.statSync(path.join(sup, 'status')).size,
    };
  };
  return { main: side(false), log: side(true) };
}

type Side = { stat: string; pidFile: string; pidSet: boolean; paused: boolean; state: number } | null;

/**
 * status, stat and pid are three files written one after the other: do they
 * tell the same story (state, pid, and the paused flag: a runsv stalled on a
 * loaded machine between stat's ", paused" and status's byte 16 is not at rest)?
 */
function consistent(snap: Record<string, unknown>): boolean {
  return [snap.main, snap.log].every((v) => {
    const side = v as Side;
    if (side === null) return true;
    const word = ['down', 'run', 'finish'][side.state];
    return side.stat.split(',')[0]?.trim() === word && side.pidFile === (side.pidSet ? 'pid' : 'empty') && side.stat.includes(', paused') === side.paused;
  });
}

/**
 * A snapshot taken when the files are at rest: consistent, and the same in
 * two reads 100 ms apart. A runsv slowed down by a loaded machine may be
 * between two writes at any fixed time; this waits it out (60 s at most).
 * With `expected` (the reference runsv's snapshot of the same step), waits
 * up to 30 s more for the files to reach it: a late runsv is not a wrong one.
 */
async function settledSnapshot(dir: string, expected?: string): Promise<string> {
  const end = Date.now() + 60_000;
  let prev = '';
  for (;;) {
    let snap: Record<string, unknown> | undefined;
    try {
      snap = snapshot(dir);
    } catch {
      snap = undefined; // a file replaced while read
    }
    const text = snap && consistent(snap) ? JSON.stringify(snap) : '';
    if (text !== '' && text === prev) {
      if (expected === undefined || text === expected) return text;
      if (Date.now() > end + 30_000) return text;
    } else if (Date.now() > end) {
      return text || JSON.stringify(snap ?? null);
    }
    prev = text;
    await sleep(100);
  }
}

/**
 * tsinit's extension files (readiness, dependencies, health), in every
 * scenario's service directory: runit ignores them, and tsinit's runsv with
 * them must still behave byte for byte like Debian's. ./check passes (sv -v
 * runs it too), ./health passes, so neither changes what runit would do.
 */
export const EXTENSION_FILES: Record<string, string> = {
  check: '#!/bin/sh\nexit 0\n',
  health: '#!/bin/sh\nexit 0\n',
  'health-interval': '0.5\n',
  'health-timeout': '2\n',
  'health-retries': '3\n',
  'dependencies.d/other': '',
};

function addExtensionFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const mode = text.startsWith('#!') ? 0o755 : 0o644;
    fs.writeFileSync(p, text, { mode });
    fs.chmodSync(p, mode);
  }
}

async function scenario(runsv: string, spec: ServiceSpec, steps: Step[], extensions: Record<string, string>, reference?: string[]): Promise<string[]> {
  const root = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'runsv-interop-'));
  roots.push(root);
  const dir = makeService(root, 'web', spec);
  addExtensionFiles(dir, extensions);
  dirs.push(dir);
  const p = startProc(runsv, ['web'], root);
  await waitFor('runsv ready', () => fs.existsSync(path.join(dir, 'supervise/ok')) && readStatus(dir) !== undefined);
  await sleep(1200);
  const transcript: string[] = [];
  for (const step of steps) {
    if (step.args.length === 0) {
      await sleep(step.settle ?? 0);
      continue;
    }
    step.before?.(dir);
    const r = spawnSync(sv, step.args, { env: { ...process.env, SVDIR: root }, encoding: 'utf8', timeout: 120_000 });
    const startsBefore = startCount(dir);
    await sleep(step.settle ?? 300);
    transcript.push(`$ sv ${step.args.join(' ')} -> ${r.status}`);
    if (step.countStarts) transcript.push(`starts while settling: ${startCount(dir) - startsBefore}`);
    transcript.push(normalise(r.stdout + r.stderr));
    if (step.args[0] !== 'exit' && step.args[1] !== 'exit') transcript.push(await settledSnapshot(dir, reference?.[transcript.length]));
  }
  transcript.push(`runsv exit ${await within(p.exited, 30_000, 'still running')}`);
  return transcript;
}

export async function compare(spec: ServiceSpec, steps: Step[], extensions: Record<string, string> = EXTENSION_FILES): Promise<void> {
  const deb = await scenario(debianRunit().runsv, spec, steps, extensions);
  const ours = await scenario(tool('runsv'), spec, steps, extensions, deb);
  if (process.env.SHOW_TRANSCRIPT) console.log(ours.join('\n'));
  assert.deepEqual(ours, deb);
}

