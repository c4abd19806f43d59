// A client of PID 1's tool socket for tests: speaks protocol.md through
// native/libc.ts (descriptors by SCM_RIGHTS), so the transport and the handler
// can be tested without the C client. Non-blocking: it polls its socket, so a
// server in the same process keeps running between two polls.
import fs from 'node:fs';
import * as libc from '../../native/libc.ts';
import {
  decodeReply, encodeRequest, encodeSignal, isFinal, MAX_MESSAGE_BYTES, NLIMITS,
  type Reply, type RequestSpec,
} from '../../src/tool-service/protocol.ts';

const INF = 0xffffffffffffffffn;

export interface ClientRequest {
  argv: (string | Buffer)[];
  env?: (string | Buffer)[];
  cwd?: string | Buffer;
  nice?: number;
  limits?: ReadonlyArray<{ soft: bigint; hard: bigint }>;
  /** the client's descriptors to send (this process's numbers) */
  fds?: { stdin?: number; stdout?: number; stderr?: number; cwd?: number; root?: number };
}

const buf = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s) : s);

/** The bytes and descriptors of a REQUEST as the C client sends it. */
export function requestMessage(r: ClientRequest): { bytes: Buffer; fds: number[] } {
  const f = r.fds ?? {};
  const spec: RequestSpec = {
    argv: r.argv.map(buf),
    env: (r.env ?? ['PATH=/usr/bin:/bin']).map(buf),
    cwd: buf(r.cwd ?? process.cwd()),
    nice: r.nice ?? 0,
    limits: r.limits ?? Array.from({ length: NLIMITS }, () => ({ soft: INF, hard: INF })),
    sent: {
      stdin: f.stdin !== undefined, stdout: f.stdout !== undefined, stderr: f.stderr !== undefined,
      cwd: f.cwd !== undefined, root: f.root !== undefined,
    },
  };
  const fds = [f.stdin, f.stdout, f.stderr, f.cwd, f.root].filter((x): x is number => x !== undefined);
  return { bytes: encodeRequest(spec), fds };
}

export interface CallResult {
  replies: Reply[];
  /** OUT bytes for stream 1 and 2, concatenated */
  out: Buffer;
  err: Buffer;
  /** the reply that ended the call, if one came */
  final?: Reply;
  /** the connection closed (after the final reply, or without one) */
  eof: boolean;
}

export class ToolClient {
  readonly fd: number;
  private closed = false;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Connects now; a full backlog throws EAGAIN (the server is not accepting). */
  static connect(socketPath: string): ToolClient {
    const fd = libc.socket(libc.AF_UNIX, libc.SOCK_SEQPACKET | libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC);
    try {
      libc.connectUnix(fd, socketPath);
    } catch (e) {
      libc.close(fd);
      throw e;
    }
    return new ToolClient(fd);
  }

  /** Connects, waiting while the server's backlog is full. */
  static async connectWaiting(socketPath: string, timeoutMs = 60_000): Promise<ToolClient> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        return ToolClient.connect(socketPath);
      } catch (e) {
        if ((e as { code?: string }).code !== 'EAGAIN' || Date.now() > end) throw e;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends one message; throws when the socket is full (a test's messages are small). */
  sendRaw(bytes: Buffer, fds: readonly number[] = []): void {
    const n = libc.sendmsg(this.fd, bytes, fds, libc.MSG_DONTWAIT | libc.MSG_NOSIGNAL);
    if (n === null) throw new Error('tool client: the socket is full');
  }

  sendRequest(r: ClientRequest): void {
    const m = requestMessage(r);
    this.sendRaw(m.bytes, m.fds);
  }

  sendSignal(signo: number): void {
    this.sendRaw(encodeSignal(signo));
  }

  /** One message now: a reply, 'eof', or null when nothing is waiting. A malformed reply throws. */
  poll(): Reply | 'eof' | null {
    const m = libc.recvmsg(this.fd, MAX_MESSAGE_BYTES);
    if (m === null) return null;
    for (const fd of m.fds) libc.close(fd);
    if (m.data.length === 0) return 'eof';
    const r = decodeReply(m.data);
    if (!r.ok) throw new Error(`tool client: bad reply: ${r.reason}`);
    return r.value;
  }

  /** The next message, waiting for it (polling) at most timeoutMs. */
  async next(timeoutMs = 60_000): Promise<Reply | 'eof'> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = this.poll();
      if (r !== null) return r;
      if (Date.now() > end) throw new Error('tool client: no reply in time');
      await new Promise((res) => setTimeout(res, 5));
    }
  }

  /** Everything until the connection closes (a final reply and EOF, or EOF alone). */
  async untilEnd(timeoutMs = 60_000): Promise<CallResult> {
    const res: CallResult = { replies: [], out: Buffer.alloc(0), err: Buffer.alloc(0), eof: false };
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.next(Math.max(0, end - Date.now()));
      if (r === 'eof') {
        res.eof = true;
        return res;
      }
      collect(res, r);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }
}

/** Adds one reply to a result. */
export function collect(res: CallResult, r: Reply): void {
  res.replies.push(r);
  if (r.kind === 'out') {
    if (r.stream === 1) res.out = Buffer.concat([res.out, r.data]);
    else res.err = Buffer.concat([res.err, r.data]);
  }
  if (isFinal(r)) res.final = r;
}

/** The number of descriptors this process has open (/proc/self/fd, less the one reading it). */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length - 1;
}
