// Run by tool-context.test.ts in a process of its own: every tool runs with
// a context whose stdout/stderr are this process's own 1 and 2 and whose
// `write` is a sink (PID 1 serving a thin client: the text travels over the
// client's socket). The test then checks that nothing reached 1 or 2 (this
// process's output) and that the sink got each tool's text. argv[2]: the
// result file; argv[3]: a scratch directory.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ToolContext, ToolMain } from '../../src/tool.ts';
import { tools } from '../../src/dispatch.ts';
import type { ToolName } from '../../src/tool-names.ts';

const [result, dir] = process.argv.slice(2) as [string, string];
const results: Record<string, { code: number | string; out: string; err: string }> = {};

async function run(label: string, tool: ToolName, argv0: string, args: string[], env: Record<string, string> = {}, extra: Partial<ToolContext> = {}): Promise<void> {
  let out = '';
  let err = '';
  const ctx: ToolContext = {
    argv0,
    args,
    env,
    cwd: dir,
    stdin: 0,
    stdout: 1,
    stderr: 2,
    pid: process.pid,
    uid: 0,
    gid: 0,
    write: (stream, text) => {
      if (stream === 1) out += text.toString();
      else err += text.toString();
    },
    ...extra,
  };
  const main: ToolMain = await tools[tool]();
  const r = await main(ctx);
  results[label] = { code: typeof r === 'number' ? r : `plan ${r.tool}`, out, err };
}

fs.mkdirSync(path.join(dir, 'runsvdir', 'a'), { recursive: true });
fs.mkdirSync(path.join(dir, 'runsvdir', 'b'));
fs.symlinkSync('a', path.join(dir, 'runsvdir', 'current'));
fs.mkdirSync(path.join(dir, 'svc', 'web'), { recursive: true });
fs.writeFileSync(path.join(dir, 'svc', 'web', 'run'), '#!/bin/sh\nexec sleep 1\n', { mode: 0o755 });
const lines = '{"kind":"start","service":"web"}\n';
const server = net.createServer((c) => c.end(lines));
await new Promise<void>((resolve) => server.listen(path.join(dir, 'ev.sock'), resolve));

await run('runsvchdir', 'runsvchdir', 'runsvchdir', ['b'], { RUNSVDIR: 'runsvdir' });
await run('runsvchdir-missing', 'runsvchdir', 'runsvchdir', ['b'], { RUNSVDIR: 'missing' });
await run('utmpset', 'utmpset', 'utmpset', []);
await run('health', 'health', 'health', [], { TSINIT_SERVICE_DIR: 'svc' });
await run('health-bad', 'health', 'health', ['--bogus']);
await run('check', 'check', 'check', ['--json'], { TSINIT_SERVICE_DIR: path.join(dir, 'svc'), PATH: '/usr/bin:/bin' });
await run('sv', 'sv', 'sv', ['status', 'web', 'nope'], { SVDIR: 'svc' });
await run('sv-usage', 'sv', 'sv', []);
await run('chpst', 'chpst', 'chpst', []);
await run('chpst-plan', 'chpst', 'chpst', ['-u', 'nobody', 'true']);
await run('svlogd-usage', 'svlogd', 'svlogd', []);
await run('halt', 'halt', 'halt', ['3'], { TSINIT_RUN_DIR: path.join(dir, 'run') });
await run('halt-bad', 'halt', 'halt', ['256']);
await run('events', 'events', 'events', [], { TSINIT_EVENTS_SOCKET: 'ev.sock' });
await run('events-none', 'events', 'events', ['missing.sock']);
await run('runsv', 'runsv', 'runsv', []);
await run('runsvdir', 'runsvdir', 'runsvdir', []);
await run('runit', 'runit', 'runit', [], {}, { pid: 2 });
await run('runit-init', 'runit-init', 'runit-init', ['-V'], {}, { pid: 2 });
await run('tsinit-usage', 'tsinit', 'tsinit', ['--bogus']);
await run('tsinit-help', 'tsinit', 'tsinit', ['--help']);
await run('tsinit-refused', 'tsinit', 'tsinit', ['--', 'true'], { TSINIT_STOP_DELAY: 'soon' });
server.close();
fs.writeFileSync(result, JSON.stringify(results));
