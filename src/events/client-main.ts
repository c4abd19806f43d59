// `tsinit events [SOCKET]`: connect to a running tsinit's events socket and
// print what it sends (the recent history, then live events, one JSON object
// per line) until the socket closes.
import fs from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { writerOf, type ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { runtimePathsFrom } from '../runtime/paths.ts';

const USAGE = 'usage: tsinit events [SOCKET]\n';

/** Where the events go: written in order; false when the writer must wait for resume. */
interface Sink {
  write(chunk: Buffer, resume: () => void): boolean;
  end(done: () => void): void;
}

/**
 * The context's stdout: its relay when it has one (PID 1 serving a client:
 * bounded, never blocking, so nothing to wait for), else a stream with
 * backpressure - this process's own stdout as Node set it up, any other
 * descriptor written asynchronously.
 */
function stdoutSink(ctx: ToolContext): Sink {
  const relay = ctx.write;
  if (relay) {
    return {
      write: (chunk) => {
        relay(1, chunk);
        return true;
      },
      end: (done) => done(),
    };
  }
  const s: Writable = ctx.stdout === 1 ? process.stdout : fs.createWriteStream('', { fd: ctx.stdout, autoClose: false });
  return {
    write: (chunk, resume) => {
      if (s.write(chunk)) return true;
      s.once('drain', resume);
      return false;
    },
    end: (done) => s.write('', done),
  };
}

export function main(ctx: ToolContext): Promise<number> | number {
  const out = writerOf(ctx, 1);
  const err = writerOf(ctx, 2);
  let sock: string | null | undefined;
  for (const a of ctx.args) {
    if (a === '-h' || a === '--help') {
      out(USAGE);
      return 0;
    }
    if (a.startsWith('-') || sock !== undefined) {
      err(`tsinit events: fatal: unknown argument: ${a}\n${USAGE}`);
      return 100;
    }
    sock = a;
  }
  sock ??= runtimePathsFrom(ctx.env).eventsSocket;
  if (sock === null) {
    err('tsinit events: fatal: the events socket is turned off (TSINIT_EVENTS_SOCKET=off)\n');
    return 111;
  }
  const target = sock;
  const stdout = stdoutSink(ctx);
  return new Promise((resolve) => {
    // a relative name is the caller's, taken from its directory
    const c = net.connect(target.startsWith('/') ? target : `${ctx.cwd}/${target}`);
    let connected = false;
    // The caller gone (a client of PID 1's tool service): stop following.
    void ctx.gone?.then(() => {
      c.destroy();
      resolve(0);
    });
    c.on('connect', () => {
      connected = true;
    });
    c.on('data', (chunk: Buffer) => {
      // Backpressure: stop reading while stdout is full.
      if (!stdout.write(chunk, () => c.resume())) c.pause();
    });
    c.on('error', (e) => {
      if (!connected) err(`tsinit events: fatal: unable to connect to ${target}: ${errstrOf(e)}\n`);
      resolve(connected ? 0 : 111);
    });
    c.on('end', () => {
      stdout.end(() => resolve(0));
    });
  });
}
