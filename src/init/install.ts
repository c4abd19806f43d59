// tsinit install DIR: the tool client under every tool name (its fallback
// slot naming this executable), or one symlink per name where there is no
// client; and the FFI addon and exec helper extracted beside the executable
// (for read-only roots).
import fs from 'node:fs';
import path from 'node:path';
import { extractKoffiBeside } from '../../native/koffi-loader.ts';
import { extractExecHelperBeside } from '../../native/exec-helper.ts';
import { installAsset } from '../../native/sea-asset.ts';
import { clientWithSlot, toolClientBytes } from '../../native/tool-client.ts';
import { writerOf, type ToolContext } from '../tool.ts';
import { prefixedToolNames } from '../tool-names.ts';
import { errstrOf } from '../util/errstr.ts';
import { isSingleExecutable, selfExecutable } from '../self.ts';

export const INSTALLED_NAMES = [
  'sv', 'runsv', 'runsvdir', 'chpst', 'svlogd', 'runsvchdir', 'utmpset', 'runit', 'runit-init',
  'envdir', 'envuidgid', 'pgrphack', 'setuidgid', 'softlimit', 'setlock',
] as const;

/** Every name `tsinit install` puts in DIR: runit's tools and the HEALTHCHECK names. */
export const INSTALL_NAMES: readonly string[] = [...INSTALLED_NAMES, ...prefixedToolNames];

/**
 * The client to install, or why there is none. The client's fallback execs
 * the executable with the client's own argv, whose argv[0] picks the tool: the
 * single executable keeps it, a script run through `#!` (the npm package, a
 * checkout) does not, so those keep symlinks.
 */
export function clientFor(binary: string, singleExecutable: boolean, bytes: Buffer | undefined): { client: Buffer } | { why: string } {
  if (!singleExecutable) return { why: `${binary} is a script (#! drops the name a tool is called by)` };
  if (!bytes) return { why: `no tool client for ${process.arch}` };
  return { client: clientWithSlot(bytes, binary) };
}

/** Messages name the paths as given; a relative DIR is the caller's (ctx.cwd). */
export function install(
  dir: string,
  ctx: Pick<ToolContext, 'cwd' | 'stdout' | 'stderr'>,
  binary: string = selfExecutable(),
  single: boolean = isSingleExecutable(),
): number {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  const at = (p: string): string => path.resolve(ctx.cwd, p);
  try {
    fs.mkdirSync(at(dir), { recursive: true });
  } catch (e) {
    err(`tsinit: fatal: unable to create ${dir}: ${errstrOf(e)}\n`);
    return 111;
  }
  let chosen: { client: Buffer } | { why: string };
  try {
    chosen = clientFor(at(binary), single, single ? toolClientBytes() : undefined);
  } catch (e) {
    chosen = { why: e instanceof Error ? e.message : String(e) };
  }
  const client = 'client' in chosen ? chosen.client : undefined;
  if ('why' in chosen) err(`tsinit: warning: installing symlinks, not the tool client: ${chosen.why}\n`);
  let failed = 0;
  for (const name of INSTALL_NAMES) {
    const link = path.join(dir, name);
    if (at(link) === at(binary)) continue;
    try {
      if (client) {
        // created exclusively under a fresh name in DIR, renamed over the old link or file
        installAsset(at(link), client, 0o755);
      } else {
        const tmp = at(`${link}.tsinit-new`);
        fs.rmSync(tmp, { force: true });
        fs.symlinkSync(binary, tmp);
        fs.renameSync(tmp, at(link));
      }
    } catch (e) {
      err(`tsinit: warning: unable to ${client ? 'install' : 'link'} ${link}: ${errstrOf(e)}\n`);
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
  const installed = INSTALL_NAMES.length - failed;
  out(client ? `tsinit: installed the tool client as ${installed} tools in ${dir} (falling back to ${binary})\n` : `tsinit: linked ${installed} tools in ${dir} to ${binary}\n`);
  return failed > 0 ? 111 : 0;
}
