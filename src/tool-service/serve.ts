// PID 1's tool service as the init starts it: the transport's socket in the
// runtime directory, each call given to the handler. Loaded only by the
// init's starter (main.ts provides it: init/tool-service-slot.ts).
import path from 'node:path';
import type { RunningToolService, ToolServiceStart } from '../init/tool-service-slot.ts';
import { createHandler } from './handler.ts';
import { startToolService } from './transport.ts';

export const SOCKET_NAME = 'tools.sock';

export function startForInit(o: ToolServiceStart): RunningToolService {
  const handler = createHandler({ stopping: o.stopping, log: o.log });
  return startToolService({ socketPath: path.join(o.runDir, SOCKET_NAME), handler, log: o.log });
}
