// Debian's sv drives Debian's runsv and tsinit's runsv on a service directory
// with s6's notification-fd besides the other extension files: runit ignores
// them; tsinit's runsv must still give the same lines and supervise/ files.
import test from 'node:test';
import { compare, EXTENSION_FILES } from '../helpers/runsv-scenario.ts';

// Under Debian's runsv, descriptor 3 is not open: the notification write fails quietly.
const notifying = {
  run: '#!/bin/sh\necho start >>starts\n{ echo >&3; } 2>/dev/null\nexec sleep 1000\n',
  finish: '#!/bin/sh\nexit 0\n',
};

test('notification-fd, check, health, dependencies.d: sv and runsv behave as under runit', { timeout: 600_000 }, async () => {
  await compare(
    notifying,
    [
      { args: ['status', 'web'] },
      { args: ['-v', 'restart', 'web'], settle: 1500, countStarts: true },
      { args: ['status', 'web'] },
      { args: ['-v', 'down', 'web'] },
      { args: ['status', 'web'] },
      { args: ['-v', 'up', 'web'], settle: 1200 },
      { args: ['-v', 'check', 'web'] },
      { args: ['term', 'web'], settle: 1500, countStarts: true },
      { args: ['status', 'web'] },
      { args: ['-v', 'exit', 'web'], settle: 2000 },
    ],
    { ...EXTENSION_FILES, 'notification-fd': '3\n' },
  );
});
