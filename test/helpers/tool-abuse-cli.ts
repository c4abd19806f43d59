// A misbehaving client of PID 1's tool socket, driven step by step (to run
// as another user, inside tsinit's PID namespace):
//   node tool-abuse-cli.ts SOCKET
// reads one JSON array per stdin line and answers one JSON line each:
//   ["connect"]                    connect (a new connection; the old one is dropped)
//   ["raw", HEX, WITH_FDS]         one message of these bytes (with descriptors 0, 1, 2 if WITH_FDS)
//   ["request", ARGV...]           a valid REQUEST (descriptors 0-2, cwd, root; this environment)
//   ["signals", N, SIGNO]          N SIGNAL messages, waiting while the socket is full
//   ["until-eof"]                  reads until the server closes: the reply kinds seen
//   ["close"]                      closes the connection
//   ["hold", N]                    N more connections that never send a request
//   ["held-eof"]                   how many of those the server has closed
//   ["release"]                    closes them all
import fs from 'node:fs';
import readline from 'node:readline';
import { ToolClient } from './tool-client.ts';
import { encodeSignal } from '../../src/tool-service/protocol.ts';

const O_PATH = 0o10000000;
const sock = process.argv[2];
if (sock === undefined) {
  process.stderr.write('usage: tool-abuse-cli.ts SOCKET\n');
  process.exit(100);
}
const cwd = fs.openSync('.', O_PATH | fs.constants.O_DIRECTORY);
const root = fs.openSync('/', O_PATH | fs.constants.O_DIRECTORY);
let client: ToolClient | undefined;
const held: Array<{ c: ToolClient; eof: boolean }> = [];

const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

async function step(cmd: unknown[]): Promise<Record<string, unknown>> {
  const [op, ...args] = cmd;
  if (op === 'connect') {
    client?.close();
    client = await ToolClient.connectWaiting(sock as string);
    return { ok: true };
  }
  if (op === 'hold') {
    for (let i = 0; i < Number(args[0]); i++) held.push({ c: await ToolClient.connectWaiting(sock as string), eof: false });
    return { held: held.length };
  }
  if (op === 'held-eof') {
    let eof = 0;
    for (const h of held) {
      // a reply (FALLBACK) may come before the end of file
      for (let r = h.eof ? null : h.c.poll(); r !== null && !h.eof; r = h.c.poll()) if (r === 'eof') h.eof = true;
      if (h.eof) eof++;
    }
    return { eof };
  }
  if (op === 'release') {
    for (const h of held.splice(0)) h.c.close();
    return { ok: true };
  }
  if (!client) return { error: 'not connected' };
  const c = client;
  switch (op) {
    case 'raw':
      c.sendRaw(Buffer.from(String(args[0]), 'hex'), args[1] === true ? [0, 1, 2] : []);
      return { ok: true };
    case 'request':
      c.sendRequest({
        argv: args.map(String),
        env: Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`),
        cwd: process.cwd(),
        fds: { stdin: 0, stdout: 1, stderr: 2, cwd, root },
      });
      return { ok: true };
    case 'signals': {
      const n = Number(args[0]);
      const msg = encodeSignal(Number(args[1]));
      let sent = 0;
      let full = 0;
      while (sent < n) {
        try {
          c.sendRaw(msg);
          sent++;
        } catch (e) {
          if (!(e instanceof Error) || !/full/.test(e.message)) return { sent, full, error: String(e) };
          full++;
          await pause();
        }
      }
      return { sent, full };
    }
    case 'until-eof': {
      const r = await c.untilEnd();
      return { eof: r.eof, replies: r.replies.map((x) => x.kind), final: r.final };
    }
    case 'close':
      c.close();
      client = undefined;
      return { ok: true };
    default:
      return { error: `unknown step ${String(op)}` };
  }
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer: Record<string, unknown>;
  try {
    answer = await step(JSON.parse(line) as unknown[]);
  } catch (e) {
    answer = { error: e instanceof Error ? e.message : String(e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
