// Debian's sv drives Debian's runsv and tsinit's runsv through the same
// steps (see runsv-scenario.ts): a service with ./finish and a log service.
import test from 'node:test';
import { compare, type ServiceSpec } from '../helpers/runsv-scenario.ts';

const logged: ServiceSpec = {
  run: '#!/bin/sh\necho web starting\nexec sleep 1000\n',
  finish: '#!/bin/sh\nsleep 1\n',
  log: '#!/bin/sh\nexec cat >>out\n',
};

test('sv status/down/up/pause/cont/hup/term/kill/restart/once/exit: same lines, same files', { timeout: 600_000 }, async () => {
  await compare(logged, [
    { args: ['status', 'web'] },
    { args: ['status', 'web/log'] },
    { args: ['down', 'web'] }, // finish (1 s) runs: state finish, want down
    { args: ['-v', 'down', 'web'] },
    { args: ['status', 'web'] },
    { args: ['-v', 'up', 'web'], settle: 1200 },
    { args: ['pause', 'web'] },
    { args: ['status', 'web'] },
    { args: ['cont', 'web'] },
    { args: ['status', 'web'], settle: 1200 },
    { args: ['hup', 'web'], settle: 2500 },
    { args: ['status', 'web'], settle: 1200 },
    { args: ['-v', 'restart', 'web'], settle: 2500 },
    { args: ['kill', 'web'], settle: 2500 },
    { args: ['status', 'web'] },
    { args: ['-v', 'down', 'web/log'] },
    { args: ['status', 'web'] },
    { args: ['-v', 'up', 'web/log'], settle: 1200 },
    { args: ['-v', 'once', 'web'] },
    { args: ['-v', 'exit', 'web'], settle: 2000 },
    { args: ['status', 'web'] },
  ]);
});

