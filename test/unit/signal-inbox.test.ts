// The init's signal inbox: one listener per signal for good, signals before
// the mode is ready kept in order (bounded) and handed over first.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_EARLY_SIGNALS, SignalInbox, type SignalSource } from '../../src/init/signal-inbox.ts';

function fakeProcess(): SignalSource & { emit(sig: NodeJS.Signals): void; count(sig: NodeJS.Signals): number } {
  const listeners = new Map<NodeJS.Signals, Array<() => void>>();
  return {
    on(sig, l) {
      listeners.set(sig, [...(listeners.get(sig) ?? []), l]);
      return this;
    },
    emit(sig) {
      for (const l of listeners.get(sig) ?? []) l();
    },
    count: (sig) => listeners.get(sig)?.length ?? 0,
  };
}

test('signals before the handler are handed to it first, in order; later ones go straight to it', () => {
  const p = fakeProcess();
  const inbox = new SignalInbox(p);
  inbox.listen(['SIGTERM', 'SIGHUP']);
  p.emit('SIGHUP');
  p.emit('SIGTERM');
  p.emit('SIGTERM');
  const got: string[] = [];
  const early: string[] = [];
  inbox.deliverTo(
    (s) => got.push(s),
    (e) => early.push(...e.signals, `dropped ${e.dropped}`),
  );
  assert.deepEqual(early, ['SIGHUP', 'SIGTERM', 'SIGTERM', 'dropped 0']);
  assert.deepEqual(got, ['SIGHUP', 'SIGTERM', 'SIGTERM']);
  p.emit('SIGHUP');
  assert.deepEqual(got, ['SIGHUP', 'SIGTERM', 'SIGTERM', 'SIGHUP']);
});

test('one listener per signal however often listen is called (none is ever removed)', () => {
  const p = fakeProcess();
  const inbox = new SignalInbox(p);
  inbox.listen(['SIGTERM', 'SIGINT']);
  inbox.listen(['SIGTERM', 'SIGUSR1']);
  assert.deepEqual([p.count('SIGTERM'), p.count('SIGINT'), p.count('SIGUSR1')], [1, 1, 1]);
  const got: string[] = [];
  inbox.deliverTo((s) => got.push(s));
  p.emit('SIGTERM');
  assert.deepEqual(got, ['SIGTERM']);
});

test('a burst before the handler keeps at most MAX_EARLY_SIGNALS and counts the rest', () => {
  const p = fakeProcess();
  const inbox = new SignalInbox(p);
  inbox.listen(['SIGUSR1']);
  for (let i = 0; i < MAX_EARLY_SIGNALS + 5; i++) p.emit('SIGUSR1');
  let seen = { kept: 0, dropped: 0 };
  let handled = 0;
  inbox.deliverTo(
    () => handled++,
    (e) => (seen = { kept: e.signals.length, dropped: e.dropped }),
  );
  assert.deepEqual(seen, { kept: MAX_EARLY_SIGNALS, dropped: 5 });
  assert.equal(handled, MAX_EARLY_SIGNALS);
});

test('nothing came early: onEarly is not called', () => {
  const inbox = new SignalInbox(fakeProcess());
  inbox.listen(['SIGTERM']);
  let called = false;
  inbox.deliverTo(
    () => {},
    () => (called = true),
  );
  assert.equal(called, false);
});
