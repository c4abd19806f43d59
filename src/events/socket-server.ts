// The events socket: a Unix stream socket on which every connected client
// gets the recent history, then live events, one JSON line each. It reads
// nothing from clients: there are no commands. The socket is created with
// mode 0600 (umask around bind, so there is no moment at which it is open to
// others) in a directory only its owner can write to.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensurePrivateDir, ownUid } from '../runtime/private-dir.ts';
import { codeOf } from '../util/errstr.ts';
import { follow } from './follower.ts';

/** Followers at once; further connections are closed at once. */
export const MAX_FOLLOWERS = 32;

export interface EventsServer {
  readonly path: string;
  close(): void;
}

/** Resolves true when something accepts connections on the socket. */
function alive(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * Removes a socket left by an earlier run; refuses anything that is not a
 * socket of ours, and a socket another live instance listens on.
 */
async function clearStale(sock: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(sock);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${sock}: exists and is not a socket`);
  if (st.uid !== ownUid()) throw new Error(`${sock}: a socket of uid ${st.uid}`);
  if (await alive(sock)) throw Object.assign(new Error(`${sock}: in use by another tsinit`), { code: 'EADDRINUSE' });
  fs.unlinkSync(sock);
}

function listen(server: net.Server, sock: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    // bind() creates the socket file with 0777 & ~umask: 0600 from the start.
    const old = process.umask(0o177);
    try {
      server.listen(sock, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
}

export async function startEventsServer(sock: string, onError: (e: unknown) => void): Promise<EventsServer> {
  const dir = path.dirname(sock);
  const bad = ensurePrivateDir(dir);
  if (bad !== null) throw new Error(bad);
  await clearStale(sock);
  let followers = 0;
  const server = net.createServer({ pauseOnConnect: true }, (conn) => {
    if (followers >= MAX_FOLLOWERS) {
      conn.destroy();
      return;
    }
    followers++;
    // Never read: a client cannot send commands, and what it writes stays in
    // the kernel's buffer until it gives up.
    conn.on('error', () => {});
    const stop = follow({
      write: (text) => {
        conn.write(text);
      },
      backlog: () => conn.writableLength,
      destroy: () => conn.destroy(),
    });
    conn.once('close', () => {
      followers--;
      stop();
    });
  });
  server.on('error', onError);
  await listen(server, sock);
  fs.chmodSync(sock, 0o600);
  return {
    path: sock,
    close(): void {
      server.close();
      try {
        fs.unlinkSync(sock);
      } catch {
        // already gone
      }
    },
  };
}
