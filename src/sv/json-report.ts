// `sv --json status SERVICE...`: one JSON object per line per service, found
// and read exactly as the text `status` does; the exit code counts the same
// failures (unreadable service or log).
import fs from 'node:fs';
import { errstr } from '../util/errstr.ts';
import { out } from '../util/output.ts';
import { wallNow } from '../util/tai64n.ts';
import { jsonExt, jsonLine, jsonState, type JsonState } from '../supervise/json-status.ts';
import { readExtStatus } from '../supervise/ext-status.ts';
import * as svc from './service.ts';
import { taiOfUnix } from './status-line.ts';

type Read = { st: Buffer; normallyUp: boolean } | { error: string };

/** Status of the service in the current directory. */
function readHere(): Read {
  const okErr = svc.probeOk();
  if (okErr === 'ENXIO') return { error: 'runsv not running' };
  if (okErr !== null) return { error: `unable to open supervise/ok: ${errstr(okErr)}` };
  const st = Buffer.alloc(20);
  const r = svc.readStatusFile(st);
  if (!r.ok) {
    if (r.stage === 'short') return { error: 'unable to read supervise/status: bad format' };
    return { error: `unable to ${r.stage} supervise/status: ${errstr(r.code)}` };
  }
  const up = svc.normallyUp();
  if (typeof up !== 'boolean') return { error: `unable to stat down: ${errstr(up.error)}` };
  return { st, normallyUp: up };
}

/** Returns the number of failures. */
export function jsonStatus(services: readonly string[], svdir: string): number {
  const nowTai = taiOfUnix(wallNow().sec);
  const home = fs.openSync('.', fs.constants.O_RDONLY);
  let failures = 0;
  try {
    for (const name of services) {
      const e = svc.enterService(name, svdir, true);
      if (e !== null) {
        failures++;
        out(jsonLine({ name, error: `unable to change to service directory: ${errstr(e)}` }));
        svc.returnToDir(home);
        continue;
      }
      const main = readHere();
      if ('error' in main) {
        failures++;
        out(jsonLine({ name, error: main.error }));
        svc.returnToDir(home);
        continue;
      }
      // Read before changing into log/: supervise/ is the main service's.
      const ext = readExtStatus('supervise');
      let log: JsonState | { error: string } | null = null;
      const logErr = svc.changeDir('log');
      if (logErr === null) {
        const l = readHere();
        if ('error' in l) {
          failures++;
          log = { error: l.error };
        } else log = jsonState(l.st, nowTai, l.normallyUp);
      } else if (logErr !== 'ENOENT') {
        failures++;
        log = { error: `unable to change directory: ${errstr(logErr)}` };
      }
      out(jsonLine({ name, ...jsonState(main.st, nowTai, main.normallyUp), ...(ext ? jsonExt(ext) : {}), log }));
      svc.returnToDir(home);
    }
  } finally {
    fs.closeSync(home);
  }
  return failures;
}
