// `tsinit events [SOCKET]`: connect to a running tsinit's events socket and
// print what it sends (the recent history, then live events, one JSON object
// per line) until the socket closes.
import net from 'node:net';
import type { ToolContext } from '../tool.ts';
import { errstrOf } from '../util/errstr.ts';
import { err, out } from '../util/output.ts';
import { runtimePathsFrom } from '../runtime/paths.ts';

const USAGE = 'usage: tsinit events [SOCKET]\n';

export function main(ctx: ToolContext): Promise<number> | number {
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
  sock ??= runtimePathsFrom(process.env).eventsSocket;
  if (sock === null) {
    err('tsinit events: fatal: the events socket is turned off (TSINIT_EVENTS_SOCKET=off)\n');
    return 111;
  }
  const target = sock;
  return new Promise((resolve) => {
    const c = net.connect(target);
    let connected = false;
    c.on('connect', () => {
      connected = true;
    });
    c.on('data', (chunk: Buffer) => {
      // Backpressure: stop reading while stdout is full.
      if (!process.stdout.write(chunk)) {
        c.pause();
        process.stdout.once('drain', () => c.resume());
      }
    });
    c.on('error', (e) => {
      if (!connected) err(`tsinit events: fatal: unable to connect to ${target}: ${errstrOf(e)}\n`);
      resolve(connected ? 0 : 111);
    });
    c.on('end', () => {
      process.stdout.write('', () => resolve(0));
    });
  });
}
