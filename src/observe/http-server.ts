// The read-only probe server in PID 1 (TSINIT_HTTP): /readyz, /healthz,
// /status, /metrics, /events. No control, no request bodies; connections,
// header sizes and every timeout are bounded, and a failing handler answers
// 500 without touching supervision.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { follow } from '../events/follower.ts';
import type { HttpAddress } from '../util/http-address.ts';
import { createMetrics, type Metrics, type MetricsInput } from './metrics.ts';
import { serviceJson } from './status-json.ts';
import type { ServiceSnapshot } from './snapshot.ts';
import { failures, unhealthy } from './verdict.ts';

export type Phase = 'booting' | 'running' | 'stopping';

export interface ProbeState extends MetricsInput {
  /** snapshots for /readyz, /healthz, /metrics (in-process when possible) */
  snapshots(): ServiceSnapshot[];
  /** snapshots read from the supervise files, as `sv status --json` reads them */
  fileSnapshots(): ServiceSnapshot[];
  phase(): Phase;
}

export const LIMITS = {
  maxConnections: 64,
  maxEventStreams: 8,
  maxHeaderSize: 8192,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10000,
  keepAliveTimeoutMs: 5000,
  /** an idle connection (not an event stream) is closed after this */
  socketIdleMs: 30000,
  maxRequestsPerSocket: 1000,
} as const;

const ROUTES = new Set(['/readyz', '/healthz', '/status', '/metrics', '/events']);

export interface ProbeServer {
  address(): AddressInfo;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

function json(status: number, v: unknown): Reply {
  return { status, type: 'application/json', body: `${JSON.stringify(v)}\n` };
}

/** The answer to one request that is not a stream. Exported for unit tests. */
export async function answer(state: ProbeState, route: string, metrics: () => Promise<Metrics>): Promise<Reply> {
  switch (route) {
    case '/readyz': {
      const phase = state.phase();
      if (phase !== 'running') return json(503, { ready: false, reason: phase === 'booting' ? 'booting' : 'shutting down', notReady: [] });
      const f = failures(state.snapshots(), { ready: true });
      if (f.length === 0) return json(200, { ready: true });
      return json(503, {
        ready: false,
        notReady: f.map((x) => x.name),
        reasons: Object.fromEntries(f.map((x) => [x.name, x.reason])),
      });
    }
    case '/healthz': {
      const f = unhealthy(state.snapshots());
      if (f.length === 0) return json(200, { healthy: true });
      return json(503, { healthy: false, unhealthy: f.map((x) => x.name), reasons: Object.fromEntries(f.map((x) => [x.name, x.reason])) });
    }
    case '/status':
      return json(200, state.fileSnapshots().map((s) => serviceJson(s)));
    case '/metrics': {
      const m = await metrics();
      return { status: 200, type: m.contentType, body: await m.render() };
    }
    default:
      return { status: 404, type: 'text/plain', body: 'not found\n' };
  }
}

function send(req: http.IncomingMessage, res: http.ServerResponse, r: Reply): void {
  const body = Buffer.from(r.body);
  res.writeHead(r.status, {
    'Content-Type': r.type.includes('charset') ? r.type : `${r.type}; charset=utf-8`,
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    ...r.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function startProbeServer(
  addr: HttpAddress,
  state: ProbeState,
  onError: (e: unknown) => void,
): Promise<ProbeServer> {
  let metricsP: Promise<Metrics> | undefined;
  const metrics = (): Promise<Metrics> => {
    metricsP ??= createMetrics(state).catch((e: unknown) => {
      metricsP = undefined;
      throw e;
    });
    return metricsP;
  };
  let streams = 0;

  // node:http is loaded here, not at import: the probe server is off by
  // default, and compiling node:http cost every PID 1 start ~1.5 ms of CPU
  const { createServer } = process.getBuiltinModule('node:http');
  const server = createServer(
    { maxHeaderSize: LIMITS.maxHeaderSize, requestTimeout: LIMITS.requestTimeoutMs, headersTimeout: LIMITS.headersTimeoutMs },
    (req, res) => {
      void handle(req, res).catch((e: unknown) => {
        onError(e);
        if (!res.headersSent) send(req, res, { status: 500, type: 'text/plain', body: 'internal error\n' });
        else res.destroy();
      });
    },
  );

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const route = url.split('?')[0] as string;
    // A request body is never read: refuse it and close the connection.
    const length = req.headers['content-length'];
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) {
      res.shouldKeepAlive = false;
      send(req, res, { status: 413, type: 'text/plain', body: 'request bodies are not accepted\n', headers: { Connection: 'close' } });
      return;
    }
    if (!ROUTES.has(route)) {
      send(req, res, { status: 404, type: 'text/plain', body: 'not found\n' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, { status: 405, type: 'text/plain', body: 'method not allowed\n', headers: { Allow: 'GET, HEAD' } });
      return;
    }
    if (route === '/events') {
      streamEvents(req, res);
      return;
    }
    send(req, res, await answer(state, route, metrics));
  }

  function streamEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (streams >= LIMITS.maxEventStreams) {
      send(req, res, { status: 503, type: 'text/plain', body: 'too many event streams\n' });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    streams++;
    // A stream may stay quiet for long: no idle timeout for it.
    req.socket.setTimeout(0);
    const stop = follow({
      write: (text) => {
        res.write(text);
      },
      backlog: () => res.writableLength + (res.socket?.writableLength ?? 0),
      destroy: () => res.destroy(),
    });
    res.once('close', () => {
      streams--;
      stop();
    });
  }

  server.maxConnections = LIMITS.maxConnections;
  server.keepAliveTimeout = LIMITS.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = LIMITS.maxRequestsPerSocket;
  server.setTimeout(LIMITS.socketIdleMs, (sock) => sock.destroy());
  server.on('clientError', (e: NodeJS.ErrnoException, sock) => {
    if (!sock.writable) {
      sock.destroy();
      return;
    }
    const status =
      e.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    sock.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve({
        address: () => server.address() as AddressInfo,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
