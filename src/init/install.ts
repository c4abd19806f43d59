// tsinit install DIR: one symlink per tool name, pointing at this executable,
// and the FFI addon extracted beside the executable (for read-only roots).
import fs from 'node:fs';
import path from 'node:path';
import { extractKoffiBeside } from '../../native/koffi-loader.ts';
import { extractExecHelperBeside } from '../../native/exec-helper.ts';
import { writerOf, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { selfExecutable } from '../self.ts';

export const INSTALLED_NAMES = [
  'sv', 'runsv', 'runsvdir', 'chpst', 'svlogd', 'runsvchdir', 'utmpset', 'runit', 'runit-init',
  'envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock',
] as const;

/** Messages name the paths as given; a relative DIR is the caller's (ctx.cwd). */
export function install(dir: string, ctx: Pick<ToolContext, 'cwd' | 'stdout' | 'stderr'>, binary: string = selfExecutable()): number {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  const at = (p: string): string => path.resolve(ctx.cwd, p);
  try {
    fs.mkdirSync(at(dir), { recursive: true });
  } catch (e) {
    err(`tsinit: fatal: unable to create ${dir}: ${errstrOf(e)}\n`);
    return 111;
  }
  let failed = 0;
  for (const name of INSTALLED_NAMES) {
    const link = path.join(dir, name);
    if (at(link) === at(binary)) continue;
    const tmp = at(`${link}.tsinit-new`);
    try {
      fs.rmSync(tmp, { force: true });
      fs.symlinkSync(binary, tmp);
      fs.renameSync(tmp, at(link));
    } catch (e) {
      err(`tsinit: warning: unable to link ${link}: ${errstrOf(e)}\n`);
      failed++;
    }
  }
  try {
    const addon = extractKoffiBeside(binary);
    if (addon) out(`tsinit: extracted ${addon}\n`);
  } catch (e) {
    err(`tsinit: warning: unable to extract the FFI module beside ${binary}: ${errstrOf(e)}\n`);
  }
  try {
    const helper = extractExecHelperBeside(binary);
    if (helper) out(`tsinit: extracted ${helper}\n`);
  } catch (e) {
    err(`tsinit: warning: unable to extract the exec helper beside ${binary}: ${errstrOf(e)}\n`);
  }
  out(`tsinit: linked ${INSTALLED_NAMES.length - failed} tools in ${dir} to ${binary}\n`);
  return failed > 0 ? 111 : 0;
}
