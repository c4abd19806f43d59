// Writes supervise/pid, supervise/stat and supervise/status the way runsv
// does: each through NAME.new and rename(2), with runit's warnings.
import fs from 'node:fs';
import path from 'node:path';
import { encodeStatus, pidFileText, statLine, type ServiceStatus } from './status-file.ts';
import { errstrOf } from '../util/errstr.ts';

const { O_WRONLY, O_NONBLOCK, O_TRUNC, O_CREAT } = fs.constants;
const TRUNC = O_WRONLY | O_NONBLOCK | O_TRUNC | O_CREAT;

function writeText(fd: number, data: Buffer): number {
  let off = 0;
  while (off < data.length) {
    const n = fs.writeSync(fd, data, off);
    if (n <= 0) break;
    off += n;
  }
  return off;
}

/**
 * `prefix` is "supervise" or "log/supervise" (as printed in messages),
 * relative to the service directory `base`. Returns false when the pid file
 * could not be written (runit then skips stat and status and retries the pid
 * file at the next update).
 */
export function writeStatusFiles(
  base: string,
  prefix: string,
  status: ServiceStatus,
  writePid: boolean,
  warn: (msg: string) => void,
): boolean {
  const at = (name: string): string => path.join(base, prefix, name);
  if (writePid) {
    let fd: number;
    try {
      fd = fs.openSync(at('pid.new'), TRUNC, 0o644);
    } catch (err) {
      warn(`unable to open ${prefix}/pid.new: ${errstrOf(err)}`);
      return false;
    }
    try {
      writeText(fd, Buffer.from(pidFileText(status.pid)));
    } catch {
      // runit ignores write errors on the pid file
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(at('pid.new'), at('pid'));
    } catch (err) {
      warn(`unable to rename pid.new to ${prefix}/pid: ${errstrOf(err)}`);
      return false;
    }
  }

  let fd: number;
  try {
    fd = fs.openSync(at('stat.new'), TRUNC, 0o644);
  } catch (err) {
    warn(`unable to open ${prefix}/stat.new: ${errstrOf(err)}`);
    return true;
  }
  try {
    writeText(fd, Buffer.from(statLine(status)));
  } catch {
    // as runit: buffer errors are not reported
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(at('stat.new'), at('stat'));
  } catch (err) {
    warn(`unable to rename stat.new to ${prefix}/stat: ${errstrOf(err)}`);
  }

  const record = encodeStatus(status);
  try {
    fd = fs.openSync(at('status.new'), TRUNC, 0o644);
  } catch (err) {
    warn(`unable to open ${prefix}/status.new: ${errstrOf(err)}`);
    return true;
  }
  let written: number;
  try {
    written = fs.writeSync(fd, record, 0, record.length);
  } catch (err) {
    warn(`unable to write ${prefix}/status.new: ${errstrOf(err)}`);
    fs.closeSync(fd);
    try {
      fs.unlinkSync(at('status.new'));
    } catch {
      // nothing more to do
    }
    return true;
  }
  fs.closeSync(fd);
  if (written < record.length) {
    warn(`unable to write ${prefix}/status.new: partial write.`);
    return true;
  }
  try {
    fs.renameSync(at('status.new'), at('status'));
  } catch (err) {
    warn(`unable to rename status.new to ${prefix}/status: ${errstrOf(err)}`);
  }
  return true;
}
