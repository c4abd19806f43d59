// One running container of the e2e image: start, exec, logs, stop, and
// removal of every container a test file started (after() hooks call cleanup).
import { execFile } from 'node:child_process';
import { podman, podmanOk, RUN_FLAGS, type Result } from '../../testkit/image.ts';

const started = new Set<string>();
let counter = 0;

export interface StopResult {
  /** time `podman stop` took */
  elapsedMs: number;
  exitCode: number;
  logs: string;
}

export class Container {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** `podman run -d` with the flags this machine needs; args go before the image, cmd after. */
  static async start(image: string, args: string[] = [], cmd: string[] = []): Promise<Container> {
    const name = `tsinit-e2e-${process.pid}-${++counter}`;
    started.add(name);
    await podmanOk(['run', '-d', '--name', name, ...RUN_FLAGS, ...args, image, ...cmd]);
    return new Container(name);
  }

  exec(cmd: string[], opts: { user?: string } = {}): Promise<Result> {
    const u = opts.user ? ['--user', opts.user] : [];
    return podman(['exec', ...u, this.name, ...cmd], { timeoutMs: 60000 });
  }

  /** Runs a shell command line inside (globs expand in the container). */
  sh(line: string): Promise<Result> {
    return this.exec(['/bin/sh', '-c', line]);
  }

  async shOk(line: string): Promise<string> {
    const r = await this.sh(line);
    if (r.code !== 0) throw new Error(`${this.name}: sh -c '${line}' exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** stdout and stderr of the container, interleaved in order, as `podman logs` gives them. */
  async logs(): Promise<string> {
    const r = await new Promise<Result>((resolve, reject) => {
      execFile('sh', ['-c', 'exec podman --runtime runc logs "$1" 2>&1', 'sh', this.name], { maxBuffer: 64 << 20 }, (e, stdout, stderr) => {
        if (e && typeof e.code !== 'number') reject(e);
        else resolve({ code: e ? Number(e.code) : 0, stdout, stderr });
      });
    });
    if (r.code !== 0) throw new Error(`podman logs ${this.name} exited ${r.code}: ${r.stdout}`);
    return r.stdout;
  }

  async waitLogs(re: RegExp, timeoutMs = 120_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const l = await this.logs();
      if (re.test(l)) return l;
      if (Date.now() > until) throw new Error(`${this.name}: ${re} not in the logs after ${timeoutMs} ms:\n${l}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Polls a shell command until its stdout matches. */
  async waitSh(line: string, re: RegExp, timeoutMs = 120_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.sh(line);
      if (re.test(r.stdout)) return r.stdout;
      if (Date.now() > until) throw new Error(`${this.name}: output of '${line}' never matched ${re}:\n${r.stdout}${r.stderr}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  async state(): Promise<{ running: boolean; exitCode: number }> {
    const out = await podmanOk(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', this.name]);
    const [running, code] = out.trim().split(' ');
    return { running: running === 'true', exitCode: Number(code) };
  }

  /** `podman stop -t TIMEOUT`: the image's (or --stop-signal's) signal, then SIGKILL at the timeout. */
  async stop(timeoutS: number): Promise<StopResult> {
    const t0 = Date.now();
    await podmanOk(['stop', '-t', String(timeoutS), this.name], { timeoutMs: (timeoutS + 30) * 1000 });
    const elapsedMs = Date.now() - t0;
    const st = await this.state();
    return { elapsedMs, exitCode: st.exitCode, logs: await this.logs() };
  }

  /** Waits for the container to exit by itself; returns its exit code. */
  async wait(timeoutMs = 30000): Promise<number> {
    const out = await podmanOk(['wait', this.name], { timeoutMs });
    return Number(out.trim().split('\n').pop());
  }
}

/** Removes every container this process started. */
export async function cleanup(): Promise<void> {
  for (const name of started) await podman(['rm', '-f', '-t', '0', name]);
  started.clear();
}
