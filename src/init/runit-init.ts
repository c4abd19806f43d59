// `runit-init`: as PID 1 it becomes runit (tsinit's stage mode); otherwise
// `runit-init 0` (halt) or `runit-init 6` (reboot) asks PID 1 to shut down by
// setting the stop (and reboot) file's owner-execute bit and sending SIGCONT.
import fs from 'node:fs';
import { writerOf, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { main as runitMain } from './runit-main.ts';

export const STOPIT = '/run/runit.stopit';
export const REBOOT = '/run/runit.reboot';

function touchMode(path: string, mode: number): string | undefined {
  try {
    fs.closeSync(fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NONBLOCK, 0o644));
  } catch (e) {
    return `init: fatal: unable to create ${path}: ${errstrOf(e)}\n`;
  }
  try {
    fs.chmodSync(path, mode);
  } catch (e) {
    return `init: fatal: unable to chmod ${path}: ${errstrOf(e)}\n`;
  }
  return undefined;
}

export async function main(ctx: ToolContext): Promise<number> {
  if (ctx.pid === 1) return runitMain({ ...ctx, argv0: 'runit', args: [] });
  const err = writerOf(ctx, 2);
  const arg = ctx.args[0];
  const usage = `usage: ${ctx.argv0} 0|6\n\n`;
  if (arg === '-V') {
    err('$Id: f075d98bf7dd17c893021f9572cbb970cdad8dcf $\n');
    err(usage);
    return 0;
  }
  const stopit = STOPIT;
  const reboot = REBOOT;
  if (arg?.[0] === '0' || arg?.[0] === '6') {
    const e1 = touchMode(stopit, 0o100);
    if (e1) {
      err(e1);
      return 111;
    }
    if (arg[0] === '0') {
      try {
        fs.chmodSync(reboot, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          err(`init: fatal: unable to chmod ${reboot}: ${errstrOf(e)}\n`);
          return 111;
        }
      }
    } else {
      const e2 = touchMode(reboot, 0o100);
      if (e2) {
        err(e2);
        return 111;
      }
    }
    try {
      process.kill(1, 'SIGCONT');
    } catch (e) {
      err(`init: fatal: unable to signal process 1: ${errstrOf(e)}\n`);
      return 111;
    }
    return 0;
  }
  err(usage);
  return 0;
}
