// Where the init finds PID 1's tool service (issue 18) without importing it:
// the service runs tools through dispatch.ts, and dispatch.ts loads the init,
// so an import from here would be a cycle. The executable's entry (main.ts)
// provides the starter before the init runs; without one (a test, an init
// run as a library) there is no service and every thin client falls back.

export interface ToolServiceLog {
  debug(msg: string): void;
  warn(msg: string): void;
}

export interface ToolServiceStart {
  /** the runtime directory the init owns: the socket is RUN_DIR/tools.sock */
  runDir: string;
  log: ToolServiceLog;
  /** a shutdown was requested (runsvdir is then refused) */
  stopping: () => boolean;
}

export interface RunningToolService {
  /** closes the socket and every call's connection */
  stop(): void;
}

export type ToolServiceStarter = (o: ToolServiceStart) => Promise<RunningToolService>;

let starter: ToolServiceStarter | undefined;

export function provideToolService(s: ToolServiceStarter): void {
  starter = s;
}

export function toolServiceStarter(): ToolServiceStarter | undefined {
  return starter;
}
