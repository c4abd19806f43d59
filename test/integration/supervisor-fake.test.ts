// The Supervisor against a real directory, with a fake per-service engine:
// which runsv's are started, stopped, restarted, and when.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createSupervisor, type Supervisor } from '../../src/supervise/supervisor.ts';
import type { RunsvHandle, RunsvOptions } from '../../src/supervise/runsv.ts';
import { initialExtStatus, type ExtStatus } from '../../src/supervise/ext-status.ts';
import { tempDir, waitFor } from '../helpers/runsvdir.ts';

const tmp: string[] = [];
const sups: Supervisor[] = [];
const allFakes: FakeRunsv[] = [];
after(async () => {
  for (const h of allFakes) h.exit(0);
  for (const s of sups) await s.stopAll();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

class FakeRunsv implements RunsvHandle {
  readonly dir: string;
  readonly name: string;
  readonly done: Promise<number>;
  terminated = 0;
  shutdowns = 0;
  readonly opts: RunsvOptions;
  exitOnTerminate: boolean;
  private resolve: (code: number) => void = () => {};
  private readonly pid: number;
  constructor(dir: string, opts: RunsvOptions, pid: number, exitOnTerminate: boolean) {
    this.dir = dir;
    this.name = opts.name;
    this.pid = pid;
    this.opts = opts;
    this.exitOnTerminate = exitOnTerminate;
    this.done = new Promise((r) => (this.resolve = r));
  }
  terminate(): void {
    this.terminated++;
    if (this.exitOnTerminate) this.exit(0);
  }
  shutdown(): void {
    this.shutdowns++;
  }
  exit(code: number): void {
    this.resolve(code);
  }
  pids(): number[] {
    return [this.pid];
  }
  extStatus(): ExtStatus {
    return initialExtStatus(0);
  }
  setWaiting(): void {}
  release(): void {}
  statusRecords(): null {
    return null;
  }
}

function fakeEngine(opts: { exitOnTerminate?: boolean; fail?: (dir: string) => unknown } = {}) {
  const started: FakeRunsv[] = [];
  let nextPid = 1000;
  const startRunsv = (raw: string | Buffer, o: RunsvOptions): RunsvHandle => {
    const dir = raw.toString();
    const f = opts.fail?.(dir);
    if (f) throw f;
    const h = new FakeRunsv(dir, o, nextPid++, opts.exitOnTerminate ?? true);
    started.push(h);
    allFakes.push(h);
    return h;
  };
  return { started, startRunsv, named: (n: string) => started.filter((h) => h.name === `runsv ${n}`) };
}

function setup(prefix: string, names: string[]): string {
  const d = tempDir(prefix);
  tmp.push(d);
  for (const n of names) fs.mkdirSync(path.join(d, n));
  return d;
}

function make(opts: Parameters<typeof createSupervisor>[0]): Supervisor {
  const s = createSupervisor(opts);
  sups.push(s);
  return s;
}

test('start() scans at once: one runsv per directory, named as runsvdir names it', async () => {
  const d = setup('sup-start-', ['a', 'b', '.hidden']);
  fs.writeFileSync(path.join(d, 'file'), '');
  const eng = fakeEngine();
  const lines: string[] = [];
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: (l) => lines.push(l) });
  sup.start();
  assert.equal(eng.started.length, 0, 'started in later turns of the event loop');
  await waitFor('both started', () => eng.started.length === 2);
  assert.deepEqual(eng.started.map((h) => h.name).sort(), ['runsv a', 'runsv b']);
  assert.deepEqual(eng.started.map((h) => h.dir).sort(), [path.join(d, 'a'), path.join(d, 'b')]);
  assert.deepEqual([...sup.services().keys()].sort(), ['a', 'b']);
  assert.deepEqual(sup.pids().sort(), [1000, 1001]);
  assert.deepEqual(lines, []);
});

test('new, renamed and removed directories (fs.watch): start, keep, terminate', async () => {
  const d = setup('sup-watch-', ['a', 'b']);
  const eng = fakeEngine({ exitOnTerminate: false });
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {} });
  sup.start();
  await waitFor('a and b started', () => eng.started.length === 2);

  fs.mkdirSync(path.join(d, 'c'));
  await waitFor('c started', () => eng.named('c').length === 1);

  fs.renameSync(path.join(d, 'a'), path.join(d, 'a2'));
  await waitFor('a shown as a2', () => sup.services().has('a2'));
  assert.equal(sup.services().has('a'), false);
  assert.equal(eng.started.length, 3, 'a rename (same dev/ino) starts nothing');
  assert.equal(eng.named('a')[0]?.terminated, 0, 'and stops nothing');

  const b = eng.named('b')[0]!;
  fs.rmdirSync(path.join(d, 'b'));
  await waitFor('b terminated', () => b.terminated === 1);
  assert.equal(sup.services().has('b'), false);
  assert.ok(sup.pids().includes(b.pids()[0]!), 'a stopping runsv still counts until it is done');
  b.exit(0);
  await waitFor('b forgotten', () => !sup.pids().includes(b.pids()[0]!));
  assert.equal(eng.started.length, 3);
});

test('without fs.watch, the periodic check notices the directory change', async () => {
  const d = setup('sup-poll-', ['a']);
  const eng = fakeEngine();
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {}, watch: false, scanIntervalMs: 300 });
  sup.start();
  fs.mkdirSync(path.join(d, 'b'));
  await waitFor('b started by the periodic check', () => eng.named('b').length === 1);
});

test('a runsv that ended is started again at the next scan (same name, new handle)', async () => {
  const d = setup('sup-restart-', ['a']);
  const eng = fakeEngine();
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {}, watch: false });
  sup.start();
  const first = await waitFor('a started', () => eng.named('a')[0]);
  first.exit(0); // e.g. `sv exit a`
  await waitFor('a started again', () => eng.named('a').length === 2);
  assert.equal(sup.services().get('a'), eng.named('a')[1]);
});

test('a broken service never stops the others; it is reported and retried', async () => {
  const d = setup('sup-broken-', ['a', 'bad', 'c']);
  const eng = fakeEngine({ fail: (dir) => (dir.endsWith('/bad') ? Object.assign(new Error('nope'), { code: 'EACCES' }) : undefined) });
  const lines: string[] = [];
  let attempts = 0;
  const sup = make({
    dir: d,
    startRunsv: (dir, o) => {
      if (dir.toString().endsWith('/bad')) attempts++;
      return eng.startRunsv(dir, o);
    },
    report: (l) => lines.push(l),
    watch: false,
    // well above the 1 s re-check, so that the bound below tells the two apart
    // even when a loaded machine delays a poll
    scanIntervalMs: 3000,
  });
  sup.start();
  await waitFor('a, c started, bad tried', () => sup.services().size === 2 && attempts === 1);
  assert.deepEqual([...sup.services().keys()].sort(), ['a', 'c']);
  assert.deepEqual(lines, [`runsvdir ${d}: warning: unable to start runsv bad: access denied`]);
  // runsvdir re-checks once a second after adding services: that scan tries bad again
  await waitFor('the re-check scan', () => attempts === 2);
  // then the steady pace is the periodic interval, not once a second
  const t = Date.now();
  await waitFor('a periodic retry of bad', () => attempts === 3);
  assert.ok(Date.now() - t >= 1200, `retried after ${Date.now() - t} ms`);
  assert.equal(lines.length, 3);
  assert.equal(eng.named('a').length, 1, 'a was not disturbed');
});

test('a runsv that failed at start-up (111) is retried at the periodic pace, not every second', async () => {
  const d = setup('sup-fail111-', ['a']);
  const eng = fakeEngine();
  // The periodic scan comes 8 s after the re-check: the fixed waits below
  // (lower bounds) stay inside that window even on a loaded machine.
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {}, watch: false, scanIntervalMs: 8000 });
  sup.start();
  await new Promise((r) => setTimeout(r, 1200)); // past the re-check that follows a new slot
  eng.named('a')[0]!.exit(111);
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(eng.named('a').length, 1, 'not restarted within a second');
  await waitFor('a retried', () => eng.named('a').length === 2);
});

test('a dangling symlink is reported on each scan, in runit words', async () => {
  const d = setup('sup-dangling-', []);
  fs.symlinkSync('/nonexistent', path.join(d, 'gone'));
  const lines: string[] = [];
  const sup = make({ dir: d, startRunsv: fakeEngine().startRunsv, report: (l) => lines.push(l), watch: false });
  sup.start();
  sup.rescan();
  await waitFor('two scans', () => lines.length >= 2);
  assert.deepEqual(lines.slice(0, 2), Array(2).fill(`runsvdir ${d}: warning: unable to stat gone: file does not exist`));
});

test('rescan() writes DIR/.forced-rescan after the scan, and that file starts nothing', async () => {
  const d = setup('sup-forced-', ['a']);
  const eng = fakeEngine();
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {} });
  sup.start();
  const file = path.join(d, '.forced-rescan');
  assert.equal(fs.existsSync(file), false);
  sup.rescan();
  const label = await waitFor('.forced-rescan', () => (fs.existsSync(file) ? fs.readFileSync(file, 'latin1') || undefined : undefined));
  assert.match(label, /^@4[0-9a-f]{23}$/);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(eng.started.length, 1);
});

test('stopAll() terminates every runsv in parallel and resolves when the last is done', async () => {
  const d = setup('sup-stopall-', ['a', 'b', 'c']);
  const eng = fakeEngine({ exitOnTerminate: false });
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {} });
  sup.start();
  await waitFor('all started', () => eng.started.length === 3);
  let resolved = false;
  const p = sup.stopAll().then(() => (resolved = true));
  await waitFor('all told', () => eng.started.every((h) => h.terminated === 1));
  assert.equal(sup.stopAll(), sup.stopAll(), 'one shutdown, however often asked');
  eng.started[0]!.exit(0);
  eng.started[2]!.exit(0);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(resolved, false, 'b is still running');
  eng.started[1]!.exit(0);
  await p;
  assert.equal(resolved, true);
  // nothing starts after a stop, whatever happens in the directory
  fs.mkdirSync(path.join(d, 'late'));
  sup.rescan();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(eng.started.length, 3);
  assert.equal(sup.services().size, 0);
});

test('periodic scans also catch a symlink whose target appears later, without repeating runit\'s warnings', async () => {
  const d = setup('sup-periodic-', []);
  const target = path.join(tempDir('sup-target-'), 'svc');
  tmp.push(path.dirname(target));
  fs.symlinkSync(target, path.join(d, 'later'));
  const eng = fakeEngine();
  const lines: string[] = [];
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: (l) => lines.push(l), watch: false, scanIntervalMs: 250 });
  sup.start();
  assert.deepEqual(lines, [`runsvdir ${d}: warning: unable to stat later: file does not exist`]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(lines.length, 1, 'the directory did not change: runsvdir would not have rescanned, so no new warning');
  fs.mkdirSync(target);
  await waitFor('later started', () => eng.named('later').length === 1);
  assert.equal(eng.named('later')[0]?.dir, path.join(d, 'later'));
});

test('many services start a slice per turn; a stop during the boot starts nothing more and stops what started', async () => {
  const names = Array.from({ length: 60 }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const d = setup('sup-slices-', names);
  const eng = fakeEngine({ exitOnTerminate: true });
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {}, watch: false, slice: { maxItems: 4, maxMs: 1000 } });
  // Between two turns of the event loop (where a signal handler would run),
  // count the starts; at a dozen, stop as a SIGTERM handler would.
  const perTurn: number[] = [];
  let last = 0;
  let atStop = -1;
  let stopped: Promise<void> | undefined;
  const sample = (): void => {
    perTurn.push(eng.started.length - last);
    last = eng.started.length;
    if (eng.started.length >= 12) {
      atStop = eng.started.length;
      stopped = sup.stopAll();
    } else setImmediate(sample);
  };
  sup.start();
  setImmediate(sample);
  await waitFor('the stop', () => stopped);
  assert.ok(Math.max(...perTurn) <= 4, `at most a slice per turn: ${perTurn.join(',')}`);
  assert.ok(atStop < names.length, 'stopped during the boot');
  await stopped;
  assert.ok(eng.started.every((h) => h.terminated === 1), 'everything started was told to stop');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(eng.started.length, atStop, 'nothing started after the stop');
  assert.equal(sup.services().size, 0);
});

test('stopAll(): every runsv is told at once that nothing starts again, also those waiting for their dependants to stop', async () => {
  const d = setup('sup-shutdown-', ['db', 'api']);
  fs.mkdirSync(path.join(d, 'api', 'dependencies.d'));
  fs.writeFileSync(path.join(d, 'api', 'dependencies.d', 'db'), '');
  const eng = fakeEngine({ exitOnTerminate: false });
  const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {} });
  sup.start();
  await waitFor('both started', () => eng.started.length === 2);
  const p = sup.stopAll();
  const [db] = eng.named('db');
  const [api] = eng.named('api');
  assert.ok(db && api);
  await waitFor('api told to stop', () => api.terminated === 1);
  // db stops only after api is down, but may not be restarted meanwhile
  assert.equal(db.terminated, 0, 'db waits for api');
  assert.equal(db.shutdowns, 1, 'db knows the shutdown began');
  assert.equal(api.shutdowns, 1);
  api.exit(0);
  await waitFor('db told to stop', () => db.terminated === 1);
  db.exit(0);
  await p;
});

test('sessions: the supervisor asks each runsv for sessions of their own (runsvdir -P, built-in); not without', async () => {
  for (const sessions of [true, false]) {
    const d = setup('sup-sessions-', ['a']);
    const eng = fakeEngine();
    const sup = make({ dir: d, startRunsv: eng.startRunsv, report: () => {}, sessions });
    sup.start();
    await waitFor('started', () => eng.started.length === 1);
    assert.equal(eng.started[0]?.opts.ownSession === true, sessions);
    await sup.stopAll();
  }
});
