// GET /status: for every service the object `sv status --json` prints
// (src/supervise/json-status.ts), built from the supervise files as sv reads them.
import { wallNow } from '../util/tai64n.ts';
import { jsonExt, jsonState, type JsonError, type JsonService, type JsonState } from '../supervise/json-status.ts';
import { taiOfUnix } from '../sv/status-line.ts';
import { isRecord, type ServiceSnapshot, type SideRead } from './snapshot.ts';

function sideJson(side: SideRead, nowTai: bigint): JsonState | { error: string } {
  if (!isRecord(side)) return { error: side.error };
  return jsonState(side.st, nowTai, side.normallyUp ?? true);
}

export function serviceJson(s: ServiceSnapshot, nowTai: bigint = taiOfUnix(wallNow().sec)): JsonService | JsonError {
  if (!isRecord(s.main)) return { name: s.name, error: s.main.error };
  return {
    name: s.name,
    ...jsonState(s.main.st, nowTai, s.main.normallyUp ?? true),
    ...(s.ext ? jsonExt(s.ext) : {}),
    log: s.log ? sideJson(s.log, nowTai) : null,
  };
}
