// runsvchdir DIR: make DIR the current runlevel of runsvdir's tree by
// swapping the `current` symlink (runit 2.1.2), keeping the old as `previous`.
// The tree is /etc/runit/runsvdir, or $RUNSVDIR as runit 2.3.0 allows (an
// extension over Debian 2.1.2, used by the tests).
import fs from 'node:fs';
import type { ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { err, out } from '../util/output.ts';
import { invokedAs } from './invoked-as.ts';

const SVDIR = '/etc/runit/runsvdir';

class Fatal extends Error {}

export function main(ctx: ToolContext): number {
  const progname = invokedAs(ctx);
  const fatal = (m1: string, m2: string, e?: unknown): Fatal =>
    new Fatal(`${progname}: fatal: ${m1}${m2}${e === undefined ? '' : `: ${errstrOf(e)}`}\n`);
  const target = ctx.args[0];
  if (target === undefined) {
    err(`usage: ${progname} dir\n\n`);
    return 1;
  }
  try {
    const svdir = process.env.RUNSVDIR ?? SVDIR;
    if (target.startsWith('.')) throw fatal(target, ': must not start with a dot.');
    try {
      process.chdir(svdir);
    } catch (e) {
      throw fatal('unable to chdir: ', svdir, e);
    }
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(target, { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw fatal(target, '', e);
      throw fatal('unable to stat: ', target, e);
    }
    if (!st.isDirectory()) throw fatal(target, 'not a directory.');
    let cur: fs.BigIntStats;
    try {
      cur = fs.statSync('current', { bigint: true });
    } catch (e) {
      throw fatal('unable to stat: ', 'current', e);
    }
    if (cur.ino === st.ino && cur.dev === st.dev) {
      out(`runsvchdir: ${target}: current.\n`);
      return 0;
    }
    const unlinkMissingOk = (name: string): void => {
      try {
        fs.unlinkSync(name);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fatal('unable to unlink: ', name, e);
      }
    };
    unlinkMissingOk('current.new');
    try {
      fs.symlinkSync(target, 'current.new');
    } catch (e) {
      throw fatal('unable to create: current.new -> ', target, e);
    }
    unlinkMissingOk('previous');
    try {
      fs.renameSync('current', 'previous');
    } catch (e) {
      throw fatal('unable to copy: current to ', 'previous', e);
    }
    try {
      fs.renameSync('current.new', 'current');
    } catch (e) {
      err(fatal('unable to move: current.new to ', 'current', e).message);
      try {
        fs.renameSync('previous', 'current');
      } catch (e2) {
        throw fatal('unable to move previous back to ', 'current', e2);
      }
      return 111;
    }
    out(`runsvchdir: ${target}: now current.\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof Fatal)) throw e;
    err(e.message);
    return 111;
  }
}
