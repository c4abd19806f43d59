// What lives in tsinit's runtime directory (TSINIT_RUN_DIR, default
// /run/tsinit): the pid file that names the instance owning it, tsinit
// halt's request, the "stopping" marker and (by default) the events socket.
// One instance owns one directory (instance.ts); several tsinits on a host
// each need their own.
import path from 'node:path';
import { eventsSocketPath, readSettings, type Settings } from '../settings.ts';

export const PID_FILE = 'pid';
export const HALT_FILE = 'halt';
export const STOPPING_FILE = 'stopping';

export interface RuntimePaths {
  dir: string;
  pidFile: string;
  haltFile: string;
  stoppingFile: string;
  /** null: turned off (TSINIT_EVENTS_SOCKET=off) */
  eventsSocket: string | null;
  /** the socket is inside the runtime directory (the default), not a path of its own */
  eventsSocketInDir: boolean;
}

export function runtimePaths(s: Pick<Settings, 'runDir' | 'eventsSocket'>): RuntimePaths {
  return {
    dir: s.runDir,
    pidFile: path.join(s.runDir, PID_FILE),
    haltFile: path.join(s.runDir, HALT_FILE),
    stoppingFile: path.join(s.runDir, STOPPING_FILE),
    eventsSocket: eventsSocketPath(s),
    eventsSocketInDir: s.eventsSocket === 'default',
  };
}

/** For the tools (tsinit halt, health, events): the paths the environment names. */
export function runtimePathsFrom(env: NodeJS.ProcessEnv): RuntimePaths {
  return runtimePaths(readSettings(env).values);
}
