// The drain in stage mode with a fake system and a fake built-in supervisor:
// readiness is withdrawn at the request, the services are stopped only after
// TSINIT_STOP_DELAY, a second TERM cuts the delay short, and the phases are
// announced as events in order.
import test, { beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { StageMode, type BuiltinStage2 } from '../../src/init/stage-mode.ts';
import type { InitConfig } from '../../src/init/config.ts';
import { readSettings } from '../../src/settings.ts';
import type { InitSystem } from '../../src/init/system.ts';
import { createLog } from '../../src/log.ts';
import { eventHistory, onEvent, resetEvents, type EventOf } from '../../src/events/bus.ts';

/** The shutdown-phase events in the history, oldest first. */
const phaseEvents = (): EventOf<'shutdown-phase'>[] =>
  eventHistory().filter((e): e is EventOf<'shutdown-phase'> => e.type === 'shutdown-phase');

beforeEach(() => resetEvents());

function cfg(budgetMs: number): InitConfig {
  return {
    runitDir: '/nonexistent/runit',
    serviceDir: '/nonexistent/service',
    shutdownTimeoutMs: budgetMs,
    stopitFiles: [],
    ctrlaltdel: '/nonexistent/ctrlaltdel',
    logFormat: 'human',
    logLevel: 'silent',
    stage2RestartPauseMs: 5000,
    exitRemap: new Map(),
    keepLeftovers: false,
    warnings: [],
    errors: [],
    settings: readSettings({}).values,
  };
}

function fakeSystem(kills: number[]): InitSystem {
  return {
    now: () => Date.now(),
    killGroup: () => {},
    killOrphans: () => {},
    killPid: () => {},
    killAll: (sig) => kills.push(sig),
    hasChildren: () => false,
    onReaped: () => () => {},
    ownerExecutable: () => false,
    exists: () => false,
    chmod: () => {},
  };
}

interface Harness {
  stages: StageMode;
  done: Promise<number>;
  started: Promise<void>;
  stoppingAt: () => number | undefined;
  stopAllAt: () => number | undefined;
  kills: number[];
}

function harness(budgetMs: number, delayMs: number): Harness {
  let stoppingAt: number | undefined;
  let stopAllAt: number | undefined;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((r) => (markStarted = r));
  const kills: number[] = [];
  const builtin: BuiltinStage2 = {
    start: () => markStarted(),
    rescan: () => {},
    stopAll: async () => {
      stopAllAt = Date.now();
    },
    pids: () => [],
  };
  const stages = new StageMode({
    cfg: cfg(budgetMs),
    sys: fakeSystem(kills),
    log: createLog({ format: 'human', level: 'silent' }),
    builtin: async () => builtin,
    stopDelayMs: delayMs,
    onStopping: () => (stoppingAt = Date.now()),
  });
  const done = stages.run();
  return { stages, done, started, stoppingAt: () => stoppingAt, stopAllAt: () => stopAllAt, kills };
}

test('readiness is withdrawn at the request; the services are stopped only after the delay', async () => {
  const h = harness(5000, 400);
  await h.started;
  const sent = Date.now();
  h.stages.handleSignal('SIGTERM');
  assert.ok(h.stoppingAt() !== undefined, 'announced synchronously with the request');
  assert.equal(h.stopAllAt(), undefined, 'services still running');
  assert.equal(await h.done, 0);
  assert.ok((h.stopAllAt() as number) - sent >= 390, `stopped ${(h.stopAllAt() as number) - sent} ms after the request`);
  const phases = phaseEvents()
    .map((e) => `${e.phase}:${e.state}`);
  assert.deepEqual(phases, ['stop-delay:started', 'stop-delay:ended', 'stage2:started', 'stage2:ended']);
  assert.equal(phaseEvents().find((e) => e.phase === 'stop-delay' && e.state === 'ended')?.cutShort, false);
});

test('a second TERM during the delay ends it at once and KILLs everything', async () => {
  const h = harness(120000, 60000);
  await h.started;
  const delaying = new Promise<void>((resolve) => {
    const off = onEvent((e) => {
      if (e.type === 'shutdown-phase' && e.phase === 'stop-delay' && e.state === 'started') {
        off();
        resolve();
      }
    });
  });
  h.stages.handleSignal('SIGTERM');
  await delaying;
  h.stages.handleSignal('SIGTERM');
  assert.equal(await h.done, 0);
  assert.ok(h.stopAllAt() !== undefined);
  assert.ok(h.kills.includes(os.constants.signals.SIGKILL));
  assert.equal(phaseEvents().find((e) => e.phase === 'stop-delay' && e.state === 'ended')?.cutShort, true);
});

test('without a delay nothing waits and no stop-delay phase is announced', async () => {
  const h = harness(5000, 0);
  await h.started;
  h.stages.handleSignal('SIGTERM');
  assert.equal(await h.done, 0);
  assert.ok(h.stoppingAt() !== undefined);
  assert.equal(phaseEvents().some((e) => e.phase === 'stop-delay'), false);
});
