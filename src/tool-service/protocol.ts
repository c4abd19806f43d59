// The tool socket's messages (docs/design.md, "The tool socket"): what a thin
// client sends PID 1 (REQUEST, then SIGNALs) and what PID 1 answers. Pure:
// bytes in, values out; anything malformed is rejected with a reason, never
// thrown, so a caller sending garbage costs PID 1 one debug line.
// Native byte order; every platform tsinit ships for (x64, arm64) is little-endian.

export const MAGIC = 0x31435354; // "TSC1"
export const VERSION = 1;
/** one message's bytes at most, either way (the client sets SO_SNDBUF for it) */
export const MAX_MESSAGE_BYTES = 192 * 1024;
/** OUT replies are cut into messages of at most this many bytes of text */
export const MAX_OUT_CHUNK = 64 * 1024;
/** descriptors with a REQUEST at most: stdin, stdout, stderr, cwd, root */
export const MAX_FDS = 5;
/** RLIMIT 0..15, what the client sends */
export const NLIMITS = 16;
/** more than this many limits is garbage (Linux has 16) */
const MAX_LIMITS = 64;
const HEADER_BYTES = 5 * 4;

/** REQUEST flags: which descriptors are sent, in this order */
export const Sent = { stdin: 1, stdout: 2, stderr: 4, cwd: 8, root: 16 } as const;
const FD_ORDER = ['stdin', 'stdout', 'stderr', 'cwd', 'root'] as const;
type FdName = (typeof FD_ORDER)[number];

export const MsgType = { OUT: 1, EXIT: 2, EXEC: 3, FALLBACK: 4, DIE: 5, TITLE: 6, SIGNAL: 7 } as const;

export interface CallRequest {
  argv: Buffer[];
  env: Buffer[];
  cwd: Buffer;
  nice: number;
  /** index = RLIMIT number; ~0 (2^64-1) is infinity */
  limits: ReadonlyArray<{ soft: bigint; hard: bigint }>;
  /** descriptors received (PID 1's numbers), owned by the transport: closed when the call ends */
  fds: { stdin?: number; stdout?: number; stderr?: number; cwd?: number; root?: number };
}

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
  groups: number[];
}

export type Reply =
  | { kind: 'out'; stream: 1 | 2; data: Buffer }
  | { kind: 'exit'; code: number }
  | { kind: 'exec'; words: Buffer[] }
  | { kind: 'fallback' }
  | { kind: 'die'; signal: number }
  | { kind: 'title'; text: Buffer };

/** The replies that end a call. */
export function isFinal(r: Reply): boolean {
  return r.kind === 'exit' || r.kind === 'exec' || r.kind === 'fallback' || r.kind === 'die';
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

const bad = <T>(reason: string): Decoded<T> => ({ ok: false, reason });

/** NUL-terminated strings from `at`, `count` of them; the offset after the last. */
function strings(buf: Buffer, at: number, count: number): { list: Buffer[]; next: number } | string {
  const list: Buffer[] = [];
  let p = at;
  for (let i = 0; i < count; i++) {
    const nul = buf.indexOf(0, p);
    if (nul < 0) return `string ${i + 1} of ${count} has no NUL`;
    list.push(Buffer.from(buf.subarray(p, nul)));
    p = nul + 1;
  }
  return { list, next: p };
}

/**
 * A REQUEST and the descriptors that came with it (PID 1's numbers, in the
 * order sent). On failure the caller still owns the descriptors (and closes them).
 */
export function decodeRequest(buf: Buffer, fds: readonly number[]): Decoded<CallRequest> {
  if (buf.length > MAX_MESSAGE_BYTES) return bad(`request of ${buf.length} bytes`);
  if (buf.length < HEADER_BYTES) return bad(`request of ${buf.length} bytes`);
  if (buf.readUInt32LE(0) !== MAGIC) return bad('bad magic');
  if (buf.readUInt32LE(4) !== VERSION) return bad(`version ${buf.readUInt32LE(4)}`);
  const flags = buf.readUInt32LE(8);
  if ((flags & ~0x1f) !== 0) return bad(`unknown flags 0x${flags.toString(16)}`);
  if (fds.length > MAX_FDS) return bad(`${fds.length} descriptors`);
  const sent = FD_ORDER.filter((_, i) => (flags & (1 << i)) !== 0);
  if (sent.length !== fds.length) return bad(`flags name ${sent.length} descriptors, ${fds.length} came`);
  const nice = buf.readInt32LE(12);
  if (nice < -20 || nice > 19) return bad(`nice ${nice}`);
  const nlimits = buf.readUInt32LE(16);
  if (nlimits > MAX_LIMITS) return bad(`${nlimits} limits`);
  let p = HEADER_BYTES;
  if (buf.length < p + nlimits * 16 + 12) return bad('lengths past the end');
  const limits: { soft: bigint; hard: bigint }[] = [];
  for (let i = 0; i < nlimits; i++, p += 16) limits.push({ soft: buf.readBigUInt64LE(p), hard: buf.readBigUInt64LE(p + 8) });
  const argc = buf.readUInt32LE(p);
  const envc = buf.readUInt32LE(p + 4);
  const cwdlen = buf.readUInt32LE(p + 8);
  p += 12;
  // each string takes one byte at least: counts beyond the bytes left are garbage before any work
  if (argc < 1) return bad('no argv[0]');
  if (argc + envc > buf.length - p || cwdlen > buf.length - p) return bad('lengths past the end');
  const argv = strings(buf, p, argc);
  if (typeof argv === 'string') return bad(`argv: ${argv}`);
  const env = strings(buf, argv.next, envc);
  if (typeof env === 'string') return bad(`env: ${env}`);
  p = env.next;
  if (buf.length - p !== cwdlen) return bad(buf.length - p < cwdlen ? 'lengths past the end' : 'bytes after the cwd');
  const cwd = Buffer.from(buf.subarray(p, p + cwdlen));
  if (cwd.includes(0)) return bad('NUL in the cwd');
  const named: CallRequest['fds'] = {};
  sent.forEach((name: FdName, i) => (named[name] = fds[i]));
  return { ok: true, value: { argv: argv.list, env: env.list, cwd, nice, limits, fds: named } };
}

export interface RequestSpec {
  argv: Buffer[];
  env: Buffer[];
  cwd: Buffer;
  nice: number;
  limits: ReadonlyArray<{ soft: bigint; hard: bigint }>;
  /** which descriptors follow (in FD_ORDER) */
  sent: { stdin?: boolean; stdout?: boolean; stderr?: boolean; cwd?: boolean; root?: boolean };
}

/** A REQUEST's bytes (the client's side; for tests and tools). */
export function encodeRequest(r: RequestSpec): Buffer {
  let flags = 0;
  FD_ORDER.forEach((name, i) => {
    if (r.sent[name]) flags |= 1 << i;
  });
  const head = Buffer.alloc(HEADER_BYTES + r.limits.length * 16 + 12);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(flags, 8);
  head.writeInt32LE(r.nice, 12);
  head.writeUInt32LE(r.limits.length, 16);
  let p = HEADER_BYTES;
  for (const l of r.limits) {
    head.writeBigUInt64LE(l.soft, p);
    head.writeBigUInt64LE(l.hard, p + 8);
    p += 16;
  }
  head.writeUInt32LE(r.argv.length, p);
  head.writeUInt32LE(r.env.length, p + 4);
  head.writeUInt32LE(r.cwd.length, p + 8);
  const nul = Buffer.alloc(1);
  const parts: Buffer[] = [head];
  for (const s of [...r.argv, ...r.env]) parts.push(s, nul);
  parts.push(r.cwd);
  return Buffer.concat(parts);
}

function typed(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt32LE(type, 0);
  payload.copy(b, 4);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/**
 * A reply's bytes, or a reason it cannot be sent (out of range, a word with a
 * NUL, larger than a message). OUT data longer than MAX_OUT_CHUNK is the
 * sender's to cut (outChunks).
 */
export function encodeReply(r: Reply): Decoded<Buffer> {
  let msg: Buffer;
  switch (r.kind) {
    case 'out':
      if (r.stream !== 1 && r.stream !== 2) return bad(`stream ${String(r.stream)}`);
      if (r.data.length > MAX_OUT_CHUNK) return bad(`OUT of ${r.data.length} bytes`);
      msg = typed(MsgType.OUT, Buffer.concat([u32(r.stream), r.data]));
      break;
    case 'exit':
      if (!Number.isInteger(r.code) || r.code < 0 || r.code > 255) return bad(`exit code ${r.code}`);
      msg = typed(MsgType.EXIT, u32(r.code));
      break;
    case 'exec': {
      if (r.words.some((w) => w.includes(0))) return bad('NUL in an exec word');
      const nul = Buffer.alloc(1);
      msg = typed(MsgType.EXEC, Buffer.concat(r.words.flatMap((w) => [w, nul])));
      break;
    }
    case 'fallback':
      msg = typed(MsgType.FALLBACK);
      break;
    case 'die':
      if (!Number.isInteger(r.signal) || r.signal < 1 || r.signal > 64) return bad(`signal ${r.signal}`);
      msg = typed(MsgType.DIE, u32(r.signal));
      break;
    case 'title':
      msg = typed(MsgType.TITLE, r.text.length > MAX_MESSAGE_BYTES - 4 ? r.text.subarray(0, MAX_MESSAGE_BYTES - 4) : r.text);
      break;
  }
  if (msg.length > MAX_MESSAGE_BYTES) return bad(`${r.kind} of ${msg.length} bytes`);
  return { ok: true, value: msg };
}

/** Text for OUT cut into messages of at most MAX_OUT_CHUNK bytes (views, no copy). */
export function outChunks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < data.length; p += MAX_OUT_CHUNK) out.push(data.subarray(p, p + MAX_OUT_CHUNK));
  return out;
}

/** A reply as the client reads it (tests and the test client). */
export function decodeReply(b: Buffer): Decoded<Reply> {
  if (b.length < 4) return bad(`reply of ${b.length} bytes`);
  const type = b.readUInt32LE(0);
  const body = b.subarray(4);
  switch (type) {
    case MsgType.OUT: {
      if (body.length < 4) return bad('OUT without a stream');
      const stream = body.readUInt32LE(0);
      if (stream !== 1 && stream !== 2) return bad(`stream ${stream}`);
      return { ok: true, value: { kind: 'out', stream, data: Buffer.from(body.subarray(4)) } };
    }
    case MsgType.EXIT: {
      if (body.length !== 4) return bad('EXIT of the wrong size');
      const code = body.readUInt32LE(0);
      return code > 255 ? bad(`exit code ${code}`) : { ok: true, value: { kind: 'exit', code } };
    }
    case MsgType.EXEC: {
      if (body.length > 0 && body[body.length - 1] !== 0) return bad('EXEC word without a NUL');
      const words: Buffer[] = [];
      for (let p = 0; p < body.length; ) {
        const nul = body.indexOf(0, p);
        words.push(Buffer.from(body.subarray(p, nul)));
        p = nul + 1;
      }
      return { ok: true, value: { kind: 'exec', words } };
    }
    case MsgType.FALLBACK:
      return body.length === 0 ? { ok: true, value: { kind: 'fallback' } } : bad('FALLBACK with a payload');
    case MsgType.DIE: {
      if (body.length !== 4) return bad('DIE of the wrong size');
      const signal = body.readUInt32LE(0);
      return signal < 1 || signal > 64 ? bad(`signal ${signal}`) : { ok: true, value: { kind: 'die', signal } };
    }
    case MsgType.TITLE:
      return { ok: true, value: { kind: 'title', text: Buffer.from(body) } };
    default:
      return bad(`reply type ${type}`);
  }
}

/** SIGNAL's bytes (the client's side). */
export function encodeSignal(signo: number): Buffer {
  return Buffer.concat([u32(MsgType.SIGNAL), u32(signo)]);
}

/** A message after the REQUEST: only SIGNAL, without descriptors, signo 1..64. */
export function decodeClientMessage(b: Buffer, nfds: number): Decoded<{ kind: 'signal'; signo: number }> {
  if (nfds > 0) return bad(`${nfds} descriptors after the request`);
  if (b.length !== 8) return bad(`message of ${b.length} bytes after the request`);
  const type = b.readUInt32LE(0);
  if (type !== MsgType.SIGNAL) return bad(`message type ${type} after the request`);
  const signo = b.readUInt32LE(4);
  if (signo < 1 || signo > 64) return bad(`signal ${signo}`);
  return { ok: true, value: { kind: 'signal', signo } };
}
