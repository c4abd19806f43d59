// runsvchdir DIR: make DIR the current runlevel of runsvdir's tree by
// swapping the `current` symlink (runit 2.1.2), keeping the old as `previous`.
// The tree is /etc/runit/runsvdir, or $RUNSVDIR as runit 2.3.0 allows (an
// extension over Debian 2.1.2, used by the tests). runit chdirs into the
// tree; this works on paths under it instead, so the caller's process keeps
// its directory (the tool may run inside another process).
import fs from 'node:fs';
import { writerOf, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';

const SVDIR = '/etc/runit/runsvdir';

class Fatal extends Error {}

/** What chdir(dir) would refuse, as the errno it would give (ENOENT, ENOTDIR, EACCES). */
function enterable(dir: string): void {
  if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir}: not a directory`), { code: 'ENOTDIR' });
  fs.accessSync(dir, fs.constants.X_OK);
}

export function main(ctx: ToolContext): number {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  // argv[0] exactly as invoked (a full path stays a full path), as runit prints it
  const progname = ctx.argv0;
  const fatal = (m1: string, m2: string, e?: unknown): Fatal =>
    new Fatal(`${progname}: fatal: ${m1}${m2}${e === undefined ? '' : `: ${errstrOf(e)}`}\n`);
  const target = ctx.args[0];
  if (target === undefined) {
    err(`usage: ${progname} dir\n\n`);
    return 1;
  }
  try {
    const svdir = ctx.env.RUNSVDIR ?? SVDIR;
    if (target.startsWith('.')) throw fatal(target, ': must not start with a dot.');
    // Joined, not resolved: the kernel, not a lexical rule, decides what
    // "..", a trailing slash or "" mean, as after runit's chdir.
    const under = (dir: string, name: string): string => (name === '' || name.startsWith('/') ? name : `${dir}/${name}`);
    const base = under(ctx.cwd, svdir);
    try {
      enterable(base);
    } catch (e) {
      throw fatal('unable to chdir: ', svdir, e);
    }
    const at = (name: string): string => under(base, name);
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(at(target), { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw fatal(target, '', e);
      throw fatal('unable to stat: ', target, e);
    }
    if (!st.isDirectory()) throw fatal(target, 'not a directory.');
    let cur: fs.BigIntStats;
    try {
      cur = fs.statSync(at('current'), { bigint: true });
    } catch (e) {
      throw fatal('unable to stat: ', 'current', e);
    }
    if (cur.ino === st.ino && cur.dev === st.dev) {
      out(`runsvchdir: ${target}: current.\n`);
      return 0;
    }
    const unlinkMissingOk = (name: string): void => {
      try {
        fs.unlinkSync(at(name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fatal('unable to unlink: ', name, e);
      }
    };
    unlinkMissingOk('current.new');
    try {
      fs.symlinkSync(target, at('current.new'));
    } catch (e) {
      throw fatal('unable to create: current.new -> ', target, e);
    }
    unlinkMissingOk('previous');
    try {
      fs.renameSync(at('current'), at('previous'));
    } catch (e) {
      throw fatal('unable to copy: current to ', 'previous', e);
    }
    try {
      fs.renameSync(at('current.new'), at('current'));
    } catch (e) {
      err(fatal('unable to move: current.new to ', 'current', e).message);
      try {
        fs.renameSync(at('previous'), at('current'));
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
