// The test client as a process of its own (to run as another user):
//   node tool-client-cli.ts [--calls N] SOCKET ARGV...
// sends a REQUEST with its descriptors 0, 1, 2, its cwd and root, its
// environment and working directory, and prints the call's result as JSON.
// With --calls N: N calls with the same argv, each connected once the one
// before had its first reply; prints a JSON array of the results.
import fs from 'node:fs';
import { ToolClient, type CallResult } from './tool-client.ts';

const O_PATH = 0o10000000;
const args = process.argv.slice(2);
let calls = 1;
const multi = args[0] === '--calls';
if (multi) {
  calls = Number(args[1]);
  args.splice(0, 2);
}
const [sock, ...argv] = args;
if (sock === undefined || argv.length === 0 || !(calls >= 1)) {
  process.stderr.write('usage: tool-client-cli.ts [--calls N] SOCKET ARGV...\n');
  process.exit(100);
}
// A call may end its caller's world (`tsinit halt`: stage 2, and this process
// with it, is sent TERM right after the answer): the result is printed first
process.on('SIGTERM', () => {});
const cwd = fs.openSync('.', O_PATH | fs.constants.O_DIRECTORY);
const root = fs.openSync('/', O_PATH | fs.constants.O_DIRECTORY);
const pending: Array<{ client: ToolClient; first: CallResult }> = [];
for (let i = 0; i < calls; i++) {
  const client = ToolClient.connect(sock);
  try {
    client.sendRequest({
      argv,
      env: Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`),
      cwd: process.cwd(),
      fds: { stdin: 0, stdout: 1, stderr: 2, cwd, root },
    });
  } catch (e) {
    // PID 1 may answer (FALLBACK to a uid over its bound) and close before
    // the request is sent: the answer is still there to read
    const code = (e as { code?: string }).code;
    if (code !== 'EPIPE' && code !== 'ECONNRESET') throw e;
  }
  const r = await client.next();
  const first: CallResult = { replies: [], out: Buffer.alloc(0), err: Buffer.alloc(0), eof: r === 'eof' };
  if (r !== 'eof') first.replies.push(r);
  pending.push({ client, first });
}
const results = [];
for (const { client, first } of pending) {
  const rest = first.eof ? first : await client.untilEnd();
  const replies = [...first.replies, ...(first.eof ? [] : rest.replies)];
  client.close();
  const out = Buffer.concat(replies.flatMap((x) => (x.kind === 'out' && x.stream === 1 ? [x.data] : [])));
  const err = Buffer.concat(replies.flatMap((x) => (x.kind === 'out' && x.stream === 2 ? [x.data] : [])));
  const final = replies.find((x) => x.kind !== 'out' && x.kind !== 'title');
  results.push({ final, out: out.toString('latin1'), err: err.toString('latin1'), eof: rest.eof });
}
process.stdout.write(JSON.stringify(multi ? results : results[0]));
process.exit(0);
