// PID 1's end of the tool socket (issue 18; docs/design.md, "The tool
// socket"): a SOCK_SEQPACKET listener in the runtime directory, driven by the
// kernel's SIGIO and a non-waiting epoll_wait, never by a thread or a timer.
// It accepts thin clients, reads each one's REQUEST with its descriptors and
// credentials, hands the call to the handler as a CallChannel, forwards the
// client's signals, and sends the handler's replies without ever blocking.
// Every resource is bounded: open calls, calls per non-root uid, the time to
// send a request, the output queued per call, descriptors per turn. It owns
// every descriptor it received and closes them when the call ends.
import fs from 'node:fs';
import path from 'node:path';
import * as libc from '../../native/libc.ts';
import { checkPrivateDir, ownUid } from '../runtime/private-dir.ts';
import { setLongTimeout, type LongTimer } from '../util/timers.ts';
import {
  decodeClientMessage, decodeRequest, encodeReply, isFinal, outChunks,
  MAX_MESSAGE_BYTES, type CallRequest, type PeerCred, type Reply,
} from './protocol.ts';

export type { CallRequest, PeerCred, Reply } from './protocol.ts';

export interface CallChannel {
  readonly cred: PeerCred;
  readonly request: CallRequest;
  /** exit/exec/fallback/die end the call: the transport sends it, then closes the connection and the fds */
  send(reply: Reply): void;
  onSignal(listener: (signo: number) => void): void;
  /** the client went away before the call ended (EOF, error): stop the tool, nothing more is sent */
  onClose(listener: () => void): void;
  readonly closed: boolean;
  /**
   * This call is a long-running tool (svlogd, runsvdir): it stops counting
   * against its uid's calls in flight (the bound on short calls), though it
   * still counts against the service's open calls. False when a non-root uid
   * already has its most long-running calls: the handler answers FALLBACK
   * (otherwise one uid's loggers could hold every open call).
   */
  markLongRunning(): boolean;
}

export type CallHandler = (call: CallChannel) => void;

/** What the transport logs: one debug line per bad caller, one warning per kind of internal failure. */
export interface ToolServiceLog {
  debug(msg: string): void;
  warn(msg: string): void;
}

export interface ToolServiceBounds {
  /** open calls at most; beyond, nothing more is accepted (the kernel's backlog holds the callers) */
  maxCalls: number;
  /** calls of one non-root uid that have not sent their request or run a short tool; beyond: FALLBACK */
  maxPendingPerUid: number;
  /** long-running calls (svlogd, runsvdir) of one non-root uid; beyond: FALLBACK */
  maxLongRunningPerUid: number;
  /** a connection without a valid REQUEST after this long is closed */
  requestDeadlineMs: number;
  /** OUT and TITLE bytes queued per call at most; beyond, they are dropped */
  maxOutQueueBytes: number;
  /** the same over every call at once: 1024 stuck callers must not hold 256 MiB of PID 1 */
  maxOutQueueTotalBytes: number;
}

/** protocol.md's bounds */
export const BOUNDS: Readonly<ToolServiceBounds> = {
  maxCalls: 1024,
  maxPendingPerUid: 64,
  // half the open calls: one account's loggers (`chpst -u log svlogd` for
  // hundreds of services) fit, and never leave root without a call
  maxLongRunningPerUid: 512,
  requestDeadlineMs: 5000,
  maxOutQueueBytes: 256 * 1024,
  maxOutQueueTotalBytes: 8 * 1024 * 1024,
};

/** descriptors handled per event-loop turn at most (epoll_wait's maxevents) */
export const READY_PER_TURN = 64;
/** connections accepted per turn at most */
const ACCEPTS_PER_TURN = 64;
/** messages read from one connection per turn at most */
const MESSAGES_PER_TURN = 8;
/** messages discarded at most when a finished call's connection is drained before close */
const DRAIN_AT_CLOSE = 1024;
const LISTEN_BACKLOG = 4096;
/** after accept failed for want of descriptors or memory, the listener rests this long (unless a call ends) */
const ACCEPT_RETRY_MS = 1000;
/** an OUT message's bytes before its text: type and stream */
const OUT_HEADER_BYTES = 8;

export interface ToolServiceCounters {
  /** connections accepted */
  accepted: number;
  /** calls open now (accepted, not closed) */
  open: number;
  /** the most calls open at once */
  openPeak: number;
  /** requests handed to the handler */
  calls: number;
  /** connections closed for garbage */
  garbage: number;
  /** connections closed without a request within the deadline */
  expired: number;
  /** calls answered FALLBACK for a uid over its bound */
  uidFallbacks: number;
  /** signals forwarded to a call */
  signals: number;
  /** OUT/TITLE text bytes dropped for a call whose queue was full */
  outDroppedBytes: number;
  /** the largest OUT/TITLE queue of one call, in bytes (messages, headers included) */
  outQueuePeak: number;
  /** the most OUT/TITLE bytes queued over every call at once */
  outQueueTotalPeak: number;
  /** clients gone before their call ended */
  gone: number;
  /** event-loop turns run */
  turns: number;
  /** internal failures caught (the first is logged) */
  errors: number;
}

export interface ToolService {
  readonly path: string;
  readonly counters: Readonly<ToolServiceCounters>;
  /** closes every connection and descriptor (calls still running see onClose) and removes the socket */
  stop(): void;
}

export interface ToolServiceOptions {
  socketPath: string;
  handler: CallHandler;
  log: ToolServiceLog;
  /** protocol.md's by default; tests lower them */
  bounds?: Partial<ToolServiceBounds>;
}

// SIGIO's default action ends the process: once a service has set O_ASYNC,
// the listener stays installed for good (a late SIGIO after stop() must not
// kill PID 1). It is one function for every service of the process.
const services = new Set<Service>();
let sigioInstalled = false;

function installSigio(): void {
  if (sigioInstalled) return;
  sigioInstalled = true;
  process.on('SIGIO', () => {
    for (const s of services) s.kick();
  });
}

type State = 'awaiting' | 'running' | 'ending';

interface Conn {
  readonly fd: number;
  readonly cred: PeerCred;
  state: State;
  request?: CallRequest;
  /** descriptors received with the request, closed when the call ends */
  fds: number[];
  /** counted in uidPending (a non-root call within its uid's bound, not long-running) */
  uidCounted: boolean;
  /** counted in uidLong (a non-root long-running call) */
  longCounted: boolean;
  deadline: number;
  /** messages not sent yet (the socket was full) */
  queue: Buffer[];
  /** OUT/TITLE bytes in queue */
  queuedBytes: number;
  writeArmed: boolean;
  /** the call ended: a final reply was given, or the client is gone */
  ended: boolean;
  /** the socket is closed */
  dead: boolean;
  signalListeners: Array<(signo: number) => void>;
  closeListeners: Array<() => void>;
  /** the client went away before the call ended */
  gone: boolean;
}

class Service implements ToolService {
  readonly path: string;
  /** OUT/TITLE bytes queued over every call (the sum of their queuedBytes) */
  private totalQueued = 0;
  readonly counters: ToolServiceCounters = {
    accepted: 0, open: 0, openPeak: 0, calls: 0, garbage: 0, expired: 0, uidFallbacks: 0,
    signals: 0, outDroppedBytes: 0, outQueuePeak: 0, outQueueTotalPeak: 0, gone: 0, turns: 0, errors: 0,
  };
  private readonly handler: CallHandler;
  private readonly log: ToolServiceLog;
  private readonly bounds: ToolServiceBounds;
  private listenFd = -1;
  private epfd = -1;
  private socketId: { dev: number; ino: number } | undefined;
  private listening = false;
  private readonly conns = new Map<number, Conn>();
  /** connections without a request yet, oldest first (so the first deadline is the earliest) */
  private readonly awaiting = new Set<Conn>();
  private readonly uidPending = new Map<number, number>();
  private readonly uidLong = new Map<number, number>();
  private deadlineTimer: LongTimer | undefined;
  private retryTimer: LongTimer | undefined;
  private scheduled = false;
  private stopped = false;
  private loggedKinds = new Set<string>();

  constructor(o: ToolServiceOptions) {
    this.path = o.socketPath;
    this.handler = o.handler;
    this.log = o.log;
    this.bounds = { ...BOUNDS, ...o.bounds };
  }

  open(): void {
    const dir = path.dirname(this.path);
    const bad = checkPrivateDir(dir);
    if (bad !== null) throw new Error(bad);
    clearStale(this.path);
    try {
      this.listenFd = libc.socket(libc.AF_UNIX, libc.SOCK_SEQPACKET | libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC);
      // The directory is ours alone until the end of open(): nobody can swap the name.
      libc.bindUnix(this.listenFd, this.path);
      const st = fs.lstatSync(this.path);
      this.socketId = { dev: st.dev, ino: st.ino };
      fs.chmodSync(this.path, 0o666);
      libc.listen(this.listenFd, LISTEN_BACKLOG);
      this.epfd = libc.epollCreate();
      installSigio();
      services.add(this);
      libc.setAsync(this.listenFd, process.pid);
      this.armListener(true);
      openToCallers(dir);
    } catch (e) {
      this.stop();
      throw e;
    }
    // connections that came before O_ASYNC raised no SIGIO
    this.schedule();
  }

  /** SIGIO: run a turn now unless one is due anyway. */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    this.turn();
  }

  private schedule(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  /** One turn: what epoll reports ready now, 64 descriptors at most; another turn while anything was. */
  private turn(): void {
    this.scheduled = false;
    if (this.stopped) return;
    this.counters.turns++;
    let ready: libc.EpollReady[] = [];
    try {
      ready = libc.epollWait(this.epfd, READY_PER_TURN);
    } catch (e) {
      this.fail('epoll_wait', e);
    }
    for (const ev of ready) {
      // the handler may have stopped the service
      if (this.stopped) return;
      try {
        if (ev.fd === this.listenFd) this.acceptSome();
        else this.ready(ev);
      } catch (e) {
        this.fail('turn', e);
      }
    }
    if (ready.length > 0) this.schedule();
  }

  /** An internal failure: counted, logged once per kind, never thrown out of a turn. */
  private fail(kind: string, e: unknown): void {
    this.counters.errors++;
    if (this.loggedKinds.has(kind)) return;
    this.loggedKinds.add(kind);
    try {
      this.log.warn(`tool socket: ${kind}: ${describe(e)}`);
    } catch {
      // a log that throws changes nothing
    }
  }

  private debug(msg: string): void {
    try {
      this.log.debug(`tool socket: ${msg}`);
    } catch {
      // as above
    }
  }

  private armListener(on: boolean): void {
    if (on === this.listening || this.listenFd < 0) return;
    libc.epollCtl(this.epfd, on ? libc.EPOLL_CTL_ADD : libc.EPOLL_CTL_DEL, this.listenFd, libc.EPOLLIN);
    this.listening = on;
    // connections already waiting raise no new SIGIO
    if (on) this.schedule();
  }

  private acceptSome(): void {
    for (let i = 0; i < ACCEPTS_PER_TURN && this.counters.open < this.bounds.maxCalls; i++) {
      let fd: number | null;
      try {
        fd = libc.accept4(this.listenFd, libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC);
      } catch (e) {
        if ((e as { code?: string }).code === 'ECONNABORTED') continue;
        // EMFILE, ENFILE, ENOMEM: the listener stays readable, and trying again
        // every turn would spin. It rests until a call ends or a second passes.
        this.fail('accept', e);
        this.armListener(false);
        this.retryTimer ??= setLongTimeout(() => {
          this.retryTimer = undefined;
          if (!this.stopped && this.counters.open < this.bounds.maxCalls) this.armListener(true);
        }, ACCEPT_RETRY_MS).unref();
        return;
      }
      if (fd === null) break;
      let cred: PeerCred;
      try {
        const c = libc.getPeerCred(fd);
        cred = { ...c, groups: libc.getPeerGroups(fd) };
        libc.setAsync(fd, process.pid);
        libc.epollCtl(this.epfd, libc.EPOLL_CTL_ADD, fd, libc.EPOLLIN);
      } catch (e) {
        closeQuietly(fd);
        this.debug(`a connection dropped: ${describe(e)}`);
        continue;
      }
      const conn: Conn = {
        fd, cred, state: 'awaiting', fds: [], uidCounted: false, longCounted: false,
        deadline: performance.now() + this.bounds.requestDeadlineMs,
        queue: [], queuedBytes: 0, writeArmed: false, ended: false, dead: false,
        signalListeners: [], closeListeners: [], gone: false,
      };
      let overQuota = false;
      if (cred.uid !== 0) {
        const n = this.uidPending.get(cred.uid) ?? 0;
        if (n >= this.bounds.maxPendingPerUid) overQuota = true;
        else {
          this.uidPending.set(cred.uid, n + 1);
          conn.uidCounted = true;
        }
      }
      this.conns.set(fd, conn);
      this.counters.accepted++;
      this.counters.open++;
      if (this.counters.open > this.counters.openPeak) this.counters.openPeak = this.counters.open;
      if (overQuota) {
        // Answered now, whatever it would ask: kept until its request (or
        // the deadline), connections that never send one would let one uid
        // hold every open call and shut everyone else out. Its request,
        // if already there, is discarded with its descriptors at close; one
        // sent later fails, and the client falls back all the same.
        this.counters.uidFallbacks++;
        this.debug(`uid ${cred.uid} has ${this.bounds.maxPendingPerUid} calls in flight: FALLBACK`);
        this.send(conn, { kind: 'fallback' });
        continue;
      }
      this.awaiting.add(conn);
      this.armDeadline();
    }
    if (this.counters.open >= this.bounds.maxCalls) this.armListener(false);
  }

  /**
   * A connection's readiness. Events are keyed by descriptor: one closed
   * earlier in this turn may already be a new connection's, which is harmless
   * here since every action re-checks without waiting (a recvmsg or sendmsg
   * with nothing to do returns "would block").
   */
  private ready(ev: libc.EpollReady): void {
    const conn = this.conns.get(ev.fd);
    if (!conn) return;
    if (ev.events & libc.EPOLLOUT) this.flush(conn);
    if (!conn.dead && ev.events & (libc.EPOLLIN | libc.EPOLLHUP | libc.EPOLLERR)) this.readSome(conn);
  }

  private readSome(conn: Conn): void {
    for (let i = 0; i < MESSAGES_PER_TURN && !conn.dead; i++) {
      let m: libc.Received | null;
      try {
        m = libc.recvmsg(conn.fd, MAX_MESSAGE_BYTES);
      } catch (e) {
        this.clientGone(conn, describe(e));
        return;
      }
      if (m === null) return;
      if (m.data.length === 0 && m.fds.length === 0 && !m.truncated) {
        this.clientGone(conn, 'end of file');
        return;
      }
      if (conn.state === 'ending') {
        closeAll(m.fds);
        continue;
      }
      if (m.truncated || m.fdsTruncated) {
        closeAll(m.fds);
        this.garbage(conn, m.truncated ? 'a message over 192 KiB' : 'too many descriptors');
        return;
      }
      if (conn.state === 'awaiting') {
        const r = decodeRequest(m.data, m.fds);
        if (!r.ok) {
          closeAll(m.fds);
          this.garbage(conn, r.reason);
          return;
        }
        this.start(conn, r.value, m.fds);
      } else {
        const r = decodeClientMessage(m.data, m.fds.length);
        if (!r.ok) {
          closeAll(m.fds);
          this.garbage(conn, r.reason);
          return;
        }
        this.signal(conn, r.value.signo);
      }
    }
  }

  private start(conn: Conn, request: CallRequest, fds: number[]): void {
    this.awaiting.delete(conn);
    conn.request = request;
    conn.fds = fds;
    conn.state = 'running';
    this.counters.calls++;
    try {
      this.handler(new Channel(this, conn));
    } catch (e) {
      this.fail('handler', e);
      if (!conn.ended) {
        this.send(conn, { kind: 'out', stream: 2, data: Buffer.from(`tsinit: fatal: ${describe(e)}\n`) });
        this.send(conn, { kind: 'exit', code: 111 });
      }
    }
  }

  private signal(conn: Conn, signo: number): void {
    if (conn.ended) return;
    this.counters.signals++;
    for (const l of [...conn.signalListeners]) {
      try {
        l(signo);
      } catch (e) {
        this.fail('signal listener', e);
      }
    }
  }

  /** A reply from the handler (or the transport itself). */
  send(conn: Conn, reply: Reply): void {
    if (conn.ended || conn.dead) return;
    if (reply.kind === 'out') {
      for (const chunk of outChunks(reply.data)) {
        // dropped before it is copied into a message (a tool writing megabytes to a stuck caller)
        if (this.overBound(conn, chunk.length + OUT_HEADER_BYTES)) {
          this.counters.outDroppedBytes += chunk.length;
          continue;
        }
        const enc = encodeReply({ kind: 'out', stream: reply.stream, data: chunk });
        if (!enc.ok) return this.debug(`OUT not sent: ${enc.reason}`);
        this.enqueue(conn, enc.value, true, chunk.length);
        if (conn.dead) return;
      }
      return;
    }
    if (!isFinal(reply)) {
      const enc = encodeReply(reply);
      if (enc.ok) this.enqueue(conn, enc.value, true, enc.value.length - 4);
      else this.debug(`${reply.kind} not sent: ${enc.reason}`);
      return;
    }
    let enc = encodeReply(reply);
    if (!enc.ok) {
      // an exec plan too large for one message: the full executable carries it out instead
      this.debug(`${reply.kind} not sent (${enc.reason}): ${reply.kind === 'exec' ? 'FALLBACK' : 'EXIT 111'}`);
      enc = encodeReply(reply.kind === 'exec' ? { kind: 'fallback' } : { kind: 'exit', code: 111 });
      if (!enc.ok) return;
    }
    this.endCall(conn);
    this.enqueue(conn, enc.value, false, 0);
    if (!conn.dead && conn.queue.length === 0) this.finish(conn);
  }

  /**
   * The call is over for the handler: its descriptors go. It counts against
   * its uid until its connection is closed (a caller that does not read its
   * final reply still holds one of its own calls, not one of another uid's).
   */
  private endCall(conn: Conn): void {
    conn.ended = true;
    conn.state = 'ending';
    this.awaiting.delete(conn);
    closeAll(conn.fds);
    conn.fds = [];
  }

  private uncount(conn: Conn): void {
    if (conn.uidCounted) {
      conn.uidCounted = false;
      decrement(this.uidPending, conn.cred.uid);
    }
    if (conn.longCounted) {
      conn.longCounted = false;
      decrement(this.uidLong, conn.cred.uid);
    }
  }

  markLongRunning(conn: Conn): boolean {
    if (conn.ended) return true;
    if (conn.cred.uid !== 0 && !conn.longCounted) {
      const n = this.uidLong.get(conn.cred.uid) ?? 0;
      if (n >= this.bounds.maxLongRunningPerUid) {
        this.counters.uidFallbacks++;
        this.debug(`uid ${conn.cred.uid} has ${this.bounds.maxLongRunningPerUid} long-running calls: FALLBACK`);
        return false;
      }
      this.uidLong.set(conn.cred.uid, n + 1);
      conn.longCounted = true;
    }
    if (conn.uidCounted) {
      conn.uidCounted = false;
      decrement(this.uidPending, conn.cred.uid);
    }
    return true;
  }

  /** Would `bytes` more of OUT/TITLE pass this call's bound or the bound over every call? */
  private overBound(conn: Conn, bytes: number): boolean {
    return (
      conn.queuedBytes + bytes > this.bounds.maxOutQueueBytes ||
      this.totalQueued + bytes > this.bounds.maxOutQueueTotalBytes
    );
  }

  /** The one place a call's queued bytes change, so the total stays their sum. */
  private setQueued(conn: Conn, bytes: number): void {
    this.totalQueued += bytes - conn.queuedBytes;
    conn.queuedBytes = bytes;
    if (this.totalQueued > this.counters.outQueueTotalPeak) this.counters.outQueueTotalPeak = this.totalQueued;
  }

  /** Send now, or queue behind what the socket could not take; bounded messages beyond the bound are dropped. */
  private enqueue(conn: Conn, msg: Buffer, bounded: boolean, textBytes: number): void {
    if (bounded && this.overBound(conn, msg.length)) {
      this.counters.outDroppedBytes += textBytes;
      return;
    }
    if (conn.queue.length === 0) {
      const sent = this.trySend(conn, msg);
      if (sent !== 'full') return;
    }
    conn.queue.push(msg);
    if (bounded) {
      this.setQueued(conn, conn.queuedBytes + msg.length);
      if (conn.queuedBytes > this.counters.outQueuePeak) this.counters.outQueuePeak = conn.queuedBytes;
    }
    this.armWrite(conn, true);
  }

  /** One non-blocking send: out, or the socket is full, or the client is gone (handled here). */
  private trySend(conn: Conn, msg: Buffer): 'sent' | 'full' | 'gone' {
    try {
      return libc.sendmsg(conn.fd, msg, [], libc.MSG_DONTWAIT | libc.MSG_NOSIGNAL) === null ? 'full' : 'sent';
    } catch (e) {
      this.clientGone(conn, describe(e));
      return 'gone';
    }
  }

  private armWrite(conn: Conn, on: boolean): void {
    if (conn.writeArmed === on || conn.dead) return;
    libc.epollCtl(this.epfd, libc.EPOLL_CTL_MOD, conn.fd, on ? libc.EPOLLIN | libc.EPOLLOUT : libc.EPOLLIN);
    conn.writeArmed = on;
  }

  /** The socket has room again: send what is queued, in order. */
  private flush(conn: Conn): void {
    while (conn.queue.length > 0 && !conn.dead) {
      const msg = conn.queue[0] as Buffer;
      const sent = this.trySend(conn, msg);
      if (sent !== 'sent') return;
      conn.queue.shift();
      // the final reply is never counted: only OUT/TITLE precede it
      if (conn.queue.length > 0 || !conn.ended) this.setQueued(conn, conn.queuedBytes - msg.length);
      else this.setQueued(conn, 0);
    }
    if (conn.dead) return;
    this.armWrite(conn, false);
    if (conn.ended) this.finish(conn);
  }

  /**
   * The final reply is out: close so that the client reads it. Shut both ways
   * first and discard what the client sent meanwhile (a forwarded signal):
   * closing a socket with unread messages makes the client's next read fail
   * with ECONNRESET before it sees the reply.
   */
  private finish(conn: Conn): void {
    try {
      libc.shutdown(conn.fd, libc.SHUT_RDWR);
      for (let i = 0; i < DRAIN_AT_CLOSE; i++) {
        const m = libc.recvmsg(conn.fd, MAX_MESSAGE_BYTES);
        if (m === null || (m.data.length === 0 && m.fds.length === 0)) break;
        closeAll(m.fds);
      }
    } catch {
      // the client is gone already: nothing to protect
    }
    this.closeConn(conn);
  }

  /** Garbage from a client: closed with everything it sent, one debug line. */
  private garbage(conn: Conn, reason: string): void {
    this.counters.garbage++;
    this.debug(`closed a connection of pid ${conn.cred.pid} uid ${conn.cred.uid}: ${reason}`);
    this.clientGone(conn, reason);
  }

  /** The client is gone (or cut off): a running call hears onClose, then everything is closed. */
  private clientGone(conn: Conn, why: string): void {
    if (conn.dead) return;
    const wasRunning = conn.state === 'running' && !conn.ended;
    if (wasRunning) {
      this.counters.gone++;
      conn.gone = true;
      this.debug(`the client of pid ${conn.cred.pid} went away: ${why}`);
    }
    if (!conn.ended) this.endCall(conn);
    this.closeConn(conn);
    if (wasRunning) {
      for (const l of conn.closeListeners.splice(0)) {
        try {
          l();
        } catch (e) {
          this.fail('close listener', e);
        }
      }
    }
  }

  private closeConn(conn: Conn): void {
    if (conn.dead) return;
    conn.dead = true;
    conn.ended = true;
    conn.queue = [];
    this.setQueued(conn, 0);
    conn.signalListeners = [];
    this.awaiting.delete(conn);
    this.uncount(conn);
    closeAll(conn.fds);
    conn.fds = [];
    this.conns.delete(conn.fd);
    try {
      libc.epollCtl(this.epfd, libc.EPOLL_CTL_DEL, conn.fd, 0);
    } catch {
      // closing removes it anyway
    }
    closeQuietly(conn.fd);
    this.counters.open--;
    if (!this.stopped && this.counters.open < this.bounds.maxCalls) {
      try {
        this.armListener(true);
      } catch (e) {
        this.fail('listener', e);
      }
    }
  }

  /** One timer for every connection still owing its request: the oldest's deadline. */
  private armDeadline(): void {
    if (this.deadlineTimer?.pending || this.stopped) return;
    const first = this.awaiting.values().next();
    if (first.done) return;
    this.deadlineTimer = setLongTimeout(() => this.expire(), first.value.deadline - performance.now()).unref();
  }

  private expire(): void {
    const now = performance.now();
    let n = 0;
    for (const conn of this.awaiting) {
      if (conn.deadline > now || n >= READY_PER_TURN) break;
      n++;
      this.counters.expired++;
      this.debug(`closed a connection of pid ${conn.cred.pid} uid ${conn.cred.uid}: no request within ${this.bounds.requestDeadlineMs} ms`);
      this.clientGone(conn, 'no request in time');
    }
    this.armDeadline();
  }

  onClose(conn: Conn, listener: () => void): void {
    if (conn.dead && conn.gone) {
      // registered after the client left: still told, but never inside this call
      queueMicrotask(() => {
        try {
          listener();
        } catch (e) {
          this.fail('close listener', e);
        }
      });
      return;
    }
    if (!conn.ended) conn.closeListeners.push(listener);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    services.delete(this);
    this.deadlineTimer?.clear();
    this.retryTimer?.clear();
    for (const conn of [...this.conns.values()]) this.clientGone(conn, 'the tool service stopped');
    if (this.listenFd >= 0) closeQuietly(this.listenFd);
    this.listenFd = -1;
    this.listening = false;
    if (this.epfd >= 0) closeQuietly(this.epfd);
    this.epfd = -1;
    if (this.socketId) {
      // only the socket this service made, not one put there since
      try {
        const st = fs.lstatSync(this.path);
        if (st.isSocket() && st.dev === this.socketId.dev && st.ino === this.socketId.ino) fs.unlinkSync(this.path);
      } catch {
        // gone already
      }
      this.socketId = undefined;
    }
  }
}

class Channel implements CallChannel {
  readonly cred: PeerCred;
  readonly request: CallRequest;
  private readonly service: Service;
  private readonly conn: Conn;

  constructor(service: Service, conn: Conn) {
    this.service = service;
    this.conn = conn;
    this.cred = conn.cred;
    this.request = conn.request as CallRequest;
  }

  send(reply: Reply): void {
    this.service.send(this.conn, reply);
  }

  onSignal(listener: (signo: number) => void): void {
    if (!this.conn.ended) this.conn.signalListeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.service.onClose(this.conn, listener);
  }

  get closed(): boolean {
    return this.conn.ended;
  }

  markLongRunning(): boolean {
    return this.service.markLongRunning(this.conn);
  }
}

/** A thrown value as text: an Error's message (LibcError's names the call and the errno). */
function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One less for key; the entry goes at zero. */
function decrement(counts: Map<number, number>, key: number): void {
  const n = (counts.get(key) ?? 1) - 1;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

function closeQuietly(fd: number): void {
  try {
    libc.close(fd);
  } catch {
    // EBADF: nothing to close
  }
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) closeQuietly(fd);
}

/**
 * Removes a socket left by an earlier run; refuses anything else (a link is
 * never followed nor removed) and a socket something still accepts on.
 */
function clearStale(sock: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(sock);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${sock}: exists and is not a socket`);
  if (st.uid !== ownUid()) throw new Error(`${sock}: a socket of uid ${st.uid}`);
  // Something accepting on it is another live instance; ECONNREFUSED is a socket
  // nobody listens on any more (EPROTOTYPE: of another type, not a listener of ours).
  const probe = libc.socket(libc.AF_UNIX, libc.SOCK_SEQPACKET | libc.SOCK_NONBLOCK | libc.SOCK_CLOEXEC);
  let live: boolean;
  try {
    libc.connectUnix(probe, sock);
    live = true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EAGAIN') live = true; // a full backlog: someone listens
    else if (code === 'ECONNREFUSED' || code === 'EPROTOTYPE') live = false;
    else throw e;
  } finally {
    closeQuietly(probe);
  }
  if (live) throw Object.assign(new Error(`${sock}: in use by another tsinit`), { code: 'EADDRINUSE' });
  fs.unlinkSync(sock);
}

/**
 * The run directory becomes 0711: callers of any uid can reach the socket by
 * name, nobody but its owner can list or write it (runtime/private-dir.ts's
 * check still passes). Through a descriptor opened without following a link.
 */
function openToCallers(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    fs.fchmodSync(fd, 0o711);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates the socket and serves it until stop(); throws when the socket cannot be made. */
export function startToolService(o: ToolServiceOptions): ToolService {
  const s = new Service(o);
  s.open();
  return s;
}
