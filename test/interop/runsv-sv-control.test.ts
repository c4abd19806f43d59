// Debian's sv drives Debian's runsv and tsinit's runsv through the same
// steps (see runsv-scenario.ts): control/ scripts, a down file, and a
// crash-looping service told to go down during its restart pause.
import test from 'node:test';
import { compare } from '../helpers/runsv-scenario.ts';

test('a service with a down file and control scripts: same lines, same files', { timeout: 600_000 }, async () => {
  await compare(
    {
      run: '#!/bin/sh\nexec sleep 1000\n',
      down: true,
      control: { t: '#!/bin/sh\nexit 0\n', h: '#!/bin/sh\nexit 1\n', u: '#!/bin/sh\nexit 0\n' },
    },
    [
      { args: ['status', 'web'] },
      { args: ['-v', 'once', 'web'] },
      { args: ['status', 'web'] },
      { args: ['down', 'web'] }, // control/t exits 0: no TERM, still running
      { args: ['status', 'web'] },
      { args: ['hup', 'web'], settle: 2500 }, // control/h exits 1: HUP sent
      { args: ['status', 'web'] },
      { args: ['pause', 'web'] },
      { args: ['status', 'web'] },
      { args: ['kill', 'web'], settle: 1500 },
      { args: ['status', 'web'] },
      { args: ['exit', 'web'], settle: 1500 },
      { args: ['status', 'web'] },
    ],
  );
});

test('sv down on a crash-looping service: read before the restart, as by runit', { timeout: 600_000 }, async () => {
  // ./run lives 0.1 s, then runsv pauses 1 s: the status step's settle makes
  // the d land in the pause (args [] = just wait), when runit reads it before restarting
  await compare({ run: '#!/bin/sh\necho start >>starts\nsleep 0.1\nexit 1\n' }, [
    { args: [], settle: 600 },
    { args: ['down', 'web'], settle: 2000, countStarts: true },
    { args: ['status', 'web'] },
    { args: ['exit', 'web'], settle: 1500 },
  ]);
});
