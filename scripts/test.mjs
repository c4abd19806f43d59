#!/usr/bin/env node
// Runs the test suite in two groups with Node's test runner (each file in its
// own process, as `node --test` does):
//   1. the parallel group: files that time nothing and share nothing global
//      (private temp dirs, PID namespaces, their own names), several at once;
//   2. the serial group: one file at a time with nothing beside it (files that
//      check a duration, or share podman images, containers or a global name).
//   3. the client pass: the interop files (test/interop/) once more with
//      TSINIT_TEST_TOOLS=client - their tools are the thin tool client, served
//      by a tsinit of each file's own (test/helpers/client-mode.ts) - parallel
//      ones several at once, then serial ones alone; it prints how many calls
//      the tool service served, answered FALLBACK, or never saw.
// Then it prints the slowest 10 files and one "N passed, N failed" line, and
// exits non-zero on any failure. Which files are serial, and why, is below;
// docs/design.md ("Test suite") explains the rule.
//
//   node scripts/test.mjs                 every test/**/*.test.ts
//   node scripts/test.mjs FILE...         only these (each in its group; the interop ones in the client pass too)
//   node scripts/test.mjs --list          print the groups and exit
//   node scripts/test.mjs --only=parallel one group only (or --only=serial, --only=client)
//   node scripts/test.mjs --no-client     without the client pass
//   TEST_CONCURRENCY=N                    files at once in the parallel group
//                                         (default: 2 per core, at least 2)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);

/**
 * Serial files (or folders, ending in /) and why. Everything else runs in the
 * parallel group: a new file belongs here if it asserts a duration, uses a
 * fixed global name (podman image or container, port, path outside its own
 * temp dir or private mount namespace), or needs the machine to itself.
 */
const SERIAL = {
  'test/e2e/': 'podman: containers, the shared e2e image, podman stop within the runtime timeout',
  'test/integration/kubelet-sequence.test.ts': "checks tsinit's shutdown budget against the kubelet's grace period",
  'test/integration/pid1-budget.test.ts': 'checks the shutdown budget by the clock',
  'test/integration/pid1-dependencies.test.ts': 'checks a 3 s shutdown budget by the clock (3.5 s)',
  'test/integration/pid1-stages.test.ts': 'checks the shutdown budget by the clock',
  'test/integration/pid1-stuck-output.test.ts': 'checks the shutdown budget by the clock',
  'test/integration/pid1-supervisor.test.ts': 'checks the default 9 s budget by the clock',
  'test/integration/probes-http.test.ts': 'checks the stop delay and the budget by the clock (6 s <= t < 12 s)',
  'test/integration/runsvdir-200.test.ts': '200 services (400 processes) must all run within 120 s: needs the machine to itself',
  'test/integration/runsvdir-basic.test.ts': 'a new service must run within 3 s (before the 5 s periodic check)',
  'test/integration/tool-security-load.test.ts': '1,000 tool clients at once (1,000 processes): other files would meet fork failures',
  'test/integration/supervisor-fake.test.ts': 'fixed waits (1.2 s, 1.3 s) must land before and after the scan clock',
  'test/interop/runsv-extensions.test.ts': "fixed settle times per step (runsv-scenario.ts) must land in runit's 1 s pauses",
  'test/interop/runsv-sv-control.test.ts': "fixed settle times per step (runsv-scenario.ts) must land in runit's 1 s pauses",
  'test/interop/runsv-sv.test.ts': "fixed settle times per step (runsv-scenario.ts) must land in runit's 1 s pauses",
};

function isSerial(file) {
  return Object.keys(SERIAL).some((k) => (k.endsWith('/') ? file.startsWith(k) : file === k));
}

function allFiles() {
  return fs.globSync('test/**/*.test.ts').sort();
}

const args = process.argv.slice(2);
const listOnly = args.includes('--list');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && only !== 'parallel' && only !== 'serial' && only !== 'client') throw new Error(`test: --only=parallel, --only=serial or --only=client, not ${only}`);
const noClient = args.includes('--no-client');
const picked = args.filter((a) => !a.startsWith('--')).map((f) => path.relative(root, path.resolve(f)));
const files = picked.length ? picked : allFiles();
for (const f of files) if (!fs.existsSync(f)) throw new Error(`test: no such file ${f}`);
// a serial entry that matches nothing is a stale name (a renamed file would silently turn parallel otherwise)
for (const k of Object.keys(SERIAL)) {
  if (!fs.existsSync(k)) throw new Error(`scripts/test.mjs: SERIAL names ${k}, which does not exist`);
}

// Longest first, so no long file starts last and runs alone at the end: by
// the durations of the previous run here (.cache/test-times.json), else by
// the slow files known when this was written.
const SLOW_FIRST = [
  'test/interop/chpst-fastpath.test.ts',
  'test/integration/runsv-restarts.test.ts',
  'test/interop/sv-interop.test.ts',
  'test/integration/readiness-deps.test.ts',
  'test/integration/runsv-files.test.ts',
  'test/interop/svlogd-restart.test.ts',
  'test/integration/policy.test.ts',
  'test/integration/command-mode.test.ts',
  'test/integration/runsv-failures.test.ts',
  'test/integration/runsv-logpipe.test.ts',
  'test/integration/arm64-emulated.test.ts',
  'test/integration/inprocess-log.test.ts',
];
const timesFile = path.join(root, '.cache', 'test-times.json');
let previous = {};
try {
  previous = JSON.parse(fs.readFileSync(timesFile, 'utf8'));
} catch {
  // first run in this checkout
}
const weight = (f) => previous[f] ?? (SLOW_FIRST.includes(f) ? 1e9 - SLOW_FIRST.indexOf(f) : 0);
const parallel = files.filter((f) => !isSerial(f)).sort((a, b) => weight(b) - weight(a));
const serial = files.filter((f) => isSerial(f));
const concurrency = Math.max(2, Number(process.env.TEST_CONCURRENCY) || 2 * os.availableParallelism());
// The client pass: interop files, whose tools are the client (their tools, not their timing, change).
const CLIENT_DIR = 'test/interop/';
const clientFiles = noClient ? [] : files.filter((f) => f.startsWith(CLIENT_DIR));
const clientWeight = (f) => previous[`client:${f}`] ?? weight(f);
const clientParallel = clientFiles.filter((f) => !isSerial(f)).sort((a, b) => clientWeight(b) - clientWeight(a));
const clientSerial = clientFiles.filter((f) => isSerial(f));

if (listOnly) {
  console.log(`parallel group (${parallel.length} files, ${concurrency} at once):`);
  for (const f of parallel) console.log(`  ${f}`);
  console.log(`serial group (${serial.length} files, one at a time):`);
  for (const f of serial) console.log(`  ${f}  (${SERIAL[Object.keys(SERIAL).find((k) => (k.endsWith('/') ? f.startsWith(k) : f === k))]})`);
  console.log(`client pass (${clientFiles.length} files with TSINIT_TEST_TOOLS=client: ${clientParallel.length} ${concurrency} at once, then ${clientSerial.length} one at a time):`);
  for (const f of [...clientParallel, ...clientSerial]) console.log(`  ${f}`);
  process.exit(0);
}

const durations = []; // { file, ms, group, ok }
// each failed test, kept for a summary at the very end: CI shows only the
// tail of a long log, and the spec reporter's own list of failures is above it
const failures = []; // { file, name, group, text }
const totals = { passed: 0, failed: 0, cancelled: 0, skipped: 0, todo: 0 };

async function runGroup(name, groupFiles, n) {
  if (groupFiles.length === 0) return 0;
  console.log(`\n# ${name} group: ${groupFiles.length} files, ${n} at once`);
  const t0 = Date.now();
  // (not forceExit: a file's last results, still in its pipe to this process,
  // were lost when it exited; test/helpers/pidns.ts ends what a failed test
  // left behind instead)
  const stream = run({ files: groupFiles.map((f) => path.join(root, f)), concurrency: n, isolation: 'process' });
  stream.on('test:complete', (d) => {
    // the event that closes a whole file: nesting 0, named by the file's path
    if (d.nesting === 0 && d.file && path.resolve(root, d.name) === d.file) {
      durations.push({ file: path.relative(root, d.file), ms: d.details.duration_ms, group: name, ok: d.details.passed !== false });
    }
  });
  stream.on('test:fail', (d) => {
    const e = d.details?.error;
    const cause = e?.cause ?? e;
    const text = [cause?.message ?? String(cause), cause?.stack?.split('\n').find((l) => /\.test\.ts:\d+/.test(l))?.trim()].filter(Boolean).join('\n');
    // a file's own entry repeats its failed tests: those are named already
    if (d.file && path.resolve(root, d.name) === d.file && failures.some((f) => f.file === d.file)) return;
    failures.push({ file: d.file ? path.relative(root, d.file) : '?', name: d.name, group: name, text });
  });
  stream.on('test:summary', (d) => {
    if (d.file !== undefined) return; // per-file summaries; the run's own comes last, without a file
    for (const k of Object.keys(totals)) totals[k] += d.counts[k] ?? 0;
  });
  await pipeline(stream, new spec(), process.stdout, { end: false });
  return Date.now() - t0;
}

const t0 = Date.now();
const parallelMs = only === 'serial' || only === 'client' ? 0 : await runGroup('parallel', parallel, concurrency);
const serialMs = only === 'parallel' || only === 'client' ? 0 : await runGroup('serial', serial, 1);
let clientMs = 0;
let clientCalls;
if ((only === undefined || only === 'client') && clientFiles.length > 0) {
  // every test process of the pass appends its counts here (client-mode.ts)
  const report = path.join(root, '.cache', 'client-calls.jsonl');
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.writeFileSync(report, '');
  process.env.TSINIT_TEST_TOOLS = 'client';
  process.env.TSINIT_TEST_CLIENT_REPORT = report;
  const c0 = Date.now();
  await runGroup('client (parallel)', clientParallel, concurrency);
  await runGroup('client (serial)', clientSerial, 1);
  clientMs = Date.now() - c0;
  delete process.env.TSINIT_TEST_TOOLS;
  delete process.env.TSINIT_TEST_CLIENT_REPORT;
  clientCalls = fs.readFileSync(report, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

fs.mkdirSync(path.dirname(timesFile), { recursive: true });
const known = durations.filter((d) => d.file.startsWith('test/'));
const timeKey = (d) => (d.group.startsWith('client') ? `client:${d.file}` : d.file);
fs.writeFileSync(timesFile, JSON.stringify({ ...previous, ...Object.fromEntries(known.map((d) => [timeKey(d), Math.round(d.ms)])) }, null, 1));

const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
let clientBroken = false;
if (clientCalls) {
  console.log('\n# client pass: calls per file (served by the tool service / answered FALLBACK / fell back without reaching it)');
  const total = { served: 0, fellBack: 0, unreached: 0 };
  for (const c of clientCalls.sort((a, b) => a.file.localeCompare(b.file))) {
    console.log(`  ${String(sum(c.served)).padStart(5)} / ${String(sum(c.fellBack)).padStart(4)} / ${String(sum(c.unreached)).padStart(4)}  ${c.file}`);
    for (const k of Object.keys(total)) total[k] += sum(c[k]);
  }
  console.log(`# client pass: ${total.served} calls served, ${total.fellBack} answered FALLBACK, ${total.unreached} fell back without reaching the tool service`);
  // a pass in which nothing was served tested no client at all
  if (total.served === 0) {
    console.log('# client pass: no call was served: the client mode is broken');
    clientBroken = true;
  }
}

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log('\n# slowest 10 test files');
for (const d of [...durations].sort((a, b) => b.ms - a.ms).slice(0, 10)) {
  console.log(`  ${s(d.ms).padStart(8)}  ${d.file} (${d.group})${d.ok ? '' : ' FAILED'}`);
}
console.log(`# parallel group ${s(parallelMs)} (${parallel.length} files), serial group ${s(serialMs)} (${serial.length} files), client pass ${s(clientMs)} (${clientFiles.length} files), total ${s(Date.now() - t0)}`);
const failedFiles = durations.filter((d) => !d.ok).map((d) => `${d.file}${d.group.startsWith('client') ? ' (client pass)' : ''}`);
if (failedFiles.length) console.log(`# failed files: ${failedFiles.join(' ')}`);
if (failures.length) {
  console.log('\n# failures (each cut to 25 lines)');
  for (const f of failures.slice(0, 20)) {
    console.log(`## ${f.file} (${f.group}): ${f.name}`);
    const lines = f.text.split('\n');
    console.log(lines.slice(0, 25).map((l) => `   ${l.slice(0, 400)}`).join('\n') + (lines.length > 25 ? `\n   ... ${lines.length - 25} more lines` : ''));
  }
  if (failures.length > 20) console.log(`## ... and ${failures.length - 20} more`);
}
const bad = totals.failed + totals.cancelled;
console.log(`${totals.passed} passed, ${bad} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}${totals.todo ? `, ${totals.todo} todo` : ''}`);
process.exitCode = bad > 0 || failedFiles.length > 0 || clientBroken ? 1 : 0;
