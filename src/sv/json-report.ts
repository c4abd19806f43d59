// `sv --json status SERVICE...`: one JSON object per line per service, found
// and read exactly as the text `status` does; the exit code counts the same
// failures (unreadable service or log).
import { errstr } from '../util/errstr.ts';
import { pacer, type NextTurn } from '../util/pace.ts';
import { wallNow } from '../util/tai64n.ts';
import { jsonExt, jsonLine, jsonState, type JsonState } from '../supervise/json-status.ts';
import { readExtStatus } from '../supervise/ext-status.ts';
import * as svc from './service.ts';
import { taiOfUnix } from './status-line.ts';

type Read = { st: Buffer; normallyUp: boolean } | { error: string };

/** Status of the service in dir. */
function readAt(dir: svc.Dir): Read {
  const okErr = svc.probeOk(dir);
  if (okErr === 'ENXIO') return { error: 'runsv not running' };
  if (okErr !== null) return { error: `unable to open supervise/ok: ${errstr(okErr)}` };
  const st = Buffer.alloc(20);
  const r = svc.readStatusFile(dir, st);
  if (!r.ok) {
    if (r.stage === 'short') return { error: 'unable to read supervise/status: bad format' };
    return { error: `unable to ${r.stage} supervise/status: ${errstr(r.code)}` };
  }
  const up = svc.normallyUp(dir);
  if (typeof up !== 'boolean') return { error: `unable to stat down: ${errstr(up.error)}` };
  return { st, normallyUp: up };
}

/** Returns the number of failures; names are taken from cwd, lines written with out; a few services per turn. */
export async function jsonStatus(services: readonly string[], svdir: string, cwd: string, out: (text: string) => void, nextTurn?: NextTurn): Promise<number> {
  const nowTai = taiOfUnix(wallNow().sec);
  const pace = pacer(nextTurn);
  let failures = 0;
  for (const [i, name] of services.entries()) {
    if (i > 0) await pace();
    const dir = svc.enterService(cwd, name, svdir, true);
    if ('error' in dir) {
      failures++;
      out(jsonLine({ name, error: `unable to change to service directory: ${errstr(dir.error)}` }));
      continue;
    }
    const main = readAt(dir.dir);
    if ('error' in main) {
      failures++;
      out(jsonLine({ name, error: main.error }));
      continue;
    }
    // Read before looking into log/: supervise/ is the main service's.
    const ext = readExtStatus(svc.under(dir.dir, 'supervise'));
    let log: JsonState | { error: string } | null = null;
    const logDir = svc.under(dir.dir, 'log');
    const logErr = svc.enterable(logDir);
    if (logErr === null) {
      const l = readAt(logDir);
      if ('error' in l) {
        failures++;
        log = { error: l.error };
      } else log = jsonState(l.st, nowTai, l.normallyUp);
    } else if (logErr !== 'ENOENT') {
      failures++;
      log = { error: `unable to change directory: ${errstr(logErr)}` };
    }
    out(jsonLine({ name, ...jsonState(main.st, nowTai, main.normallyUp), ...(ext ? jsonExt(ext) : {}), log }));
  }
  return failures;
}
