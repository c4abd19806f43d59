// The end of chpst: replace this process with the program (same pid) through
// execve, searching PATH as runit's pathexec_run does, with the descriptors
// the caller gave us still open across the exec.
import fs from 'node:fs';
import { close, dup2, errnoName, execveRaw, F_GETFD, FD_CLOEXEC, fcntl, resetSignalsForExec, setCloexec } from '../../native/libc.ts';
import { pathCandidates } from '../process/path-search.ts';

const F_DUPFD_CLOEXEC = 1030;

/**
 * Try the candidates with `attempt` (which only returns on failure, with the
 * errno name). Stops at the first error other than ENOENT, EACCES, EPERM,
 * EISDIR; otherwise returns the last error that was not ENOENT, else ENOENT.
 */
export function searchExec(candidates: readonly Buffer[], attempt: (file: Buffer) => string): string {
  let saved: string | undefined;
  let last = 'ENOENT';
  for (const c of candidates) {
    last = attempt(c);
    if (last !== 'ENOENT') {
      saved = last;
      if (last !== 'EACCES' && last !== 'EPERM' && last !== 'EISDIR') return last;
    }
  }
  return saved ?? last;
}

/** Arguments as the exact bytes the kernel gave us (Node decodes argv as UTF-8). */
export function rawArgs(args: readonly string[]): Buffer[] {
  const fallback = args.map((a) => Buffer.from(a));
  let cmdline: Buffer;
  try {
    cmdline = fs.readFileSync('/proc/self/cmdline');
  } catch {
    return fallback;
  }
  const parts = splitNul(cmdline);
  if (parts.length < args.length) return fallback;
  const tail = parts.slice(parts.length - args.length);
  return tail.every((b, i) => b.toString() === args[i]) ? tail : fallback;
}

/** The environment this process was started with, byte for byte and in order. */
export function originalEnviron(): Buffer[] {
  try {
    return splitNul(fs.readFileSync('/proc/self/environ'));
  } catch {
    return Object.entries(process.env).map(([k, v]) => Buffer.from(`${k}=${v ?? ''}`));
  }
}

function splitNul(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const z = b.indexOf(0, start);
    if (z === -1) {
      if (start < b.length) out.push(b.subarray(start));
      return out;
    }
    out.push(b.subarray(start, z));
    start = z + 1;
  }
}

/**
 * Node marks every descriptor it inherited close-on-exec at start-up (libuv's
 * uv_disable_stdio_inheritance); its own are close-on-exec too. This guesses
 * which open descriptors came from our parent: everything except Node's
 * anonymous inodes (epoll, eventfd, io_uring) and pipes whose read and write
 * ends are both open here (libuv's internal signal/async pipes) unless the
 * parent process has that pipe open as well. Call it before chpst opens
 * anything itself.
 */
export function inheritedDescriptors(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fd');
  } catch {
    return [0, 1, 2];
  }
  const info: { fd: number; target: string; mode: number }[] = [];
  for (const n of names) {
    const fd = Number(n);
    let target: string;
    let flags: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${n}`);
      flags = fs.readFileSync(`/proc/self/fdinfo/${n}`, 'latin1');
    } catch {
      continue; // the directory listing's own descriptor, already closed
    }
    const m = /flags:\s*([0-7]+)/.exec(flags);
    info.push({ fd, target, mode: m ? parseInt(m[1] as string, 8) & 3 : 0 });
  }
  const pipeModes = new Map<string, Set<number>>();
  for (const i of info) {
    if (!i.target.startsWith('pipe:')) continue;
    const s = pipeModes.get(i.target) ?? new Set<number>();
    s.add(i.mode);
    pipeModes.set(i.target, s);
  }
  const parent = parentPipes();
  return info
    .filter((i) => !i.target.startsWith('anon_inode:'))
    .filter((i) => {
      const modes = pipeModes.get(i.target);
      // both ends here: libuv's, unless our parent has that pipe too (make's jobserver)
      return !(modes && modes.has(0) && modes.has(1)) || parent.has(i.target);
    })
    .map((i) => i.fd)
    .sort((a, b) => a - b);
}

/** The number C's open() would have returned: the lowest one not taken. */
export function lowestFree(taken: readonly number[]): number {
  const set = new Set(taken);
  let fd = 0;
  while (set.has(fd)) fd++;
  return fd;
}

/**
 * Move `fd` to number `target` (where runit's chpst would have it, so the
 * program sees the same descriptor numbers). If Node holds `target` for
 * itself, that descriptor is parked elsewhere; `restore` puts it back (for
 * when the exec fails and Node has to go on to exit).
 */
export function placeAt(fd: number, target: number): { fd: number; restore: () => void } {
  if (fd === target) return { fd, restore: () => undefined };
  let parked: number | undefined;
  try {
    parked = fcntl(target, F_DUPFD_CLOEXEC, 0);
  } catch {
    parked = undefined; // target not open: nothing to park
  }
  dup2(fd, target);
  close(fd);
  return {
    fd: target,
    restore: () => {
      if (parked === undefined) return;
      dup2(parked, target);
      close(parked);
    },
  };
}

/** The pipes open in our parent process (empty if it cannot be read). */
function parentPipes(): Set<string> {
  const out = new Set<string>();
  const dir = `/proc/${process.ppid}/fd`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const t = fs.readlinkSync(`${dir}/${n}`);
      if (t.startsWith('pipe:')) out.add(t);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Let these descriptors survive the exec; closed ones are skipped. */
export function keepAcrossExec(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      if (fcntl(fd, F_GETFD) & FD_CLOEXEC) setCloexec(fd, false);
    } catch {
      // closed by -0/-1/-2 or never open: nothing to keep
    }
  }
}

export interface PreparedExec {
  candidates: Buffer[];
  argv: (Buffer | null)[];
  envp: (Buffer | null)[];
}

function cString(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc(1)]);
}

/**
 * Everything the exec needs, built before the resource limits are set: with
 * a small address-space or data limit in force, Node must not allocate any
 * more. `file` is what PATH search looks for, `argv` what the program sees
 * (argv[0] may differ with -b), `env` its whole environment, `searchPath`
 * the PATH of chpst's own original environment (as runit). Also resets the
 * signal dispositions Node changed.
 */
export function prepareExec(file: Buffer, argv: Buffer[], env: Buffer[], searchPath: Buffer | undefined): PreparedExec {
  resetSignalsForExec();
  return {
    candidates: pathCandidates(file, searchPath).map(cString),
    argv: [...argv.map(cString), null],
    envp: [...env.map(cString), null],
  };
}

/** Replace this process; returns the errno name only if every attempt failed. */
export function execPrepared(p: PreparedExec): string {
  // errno names are looked up after the loop: nothing allocates in between
  let code = 0;
  const result = searchExec(p.candidates, (candidate) => {
    code = execveRaw(candidate, p.argv, p.envp);
    return errnoName(code);
  });
  return result;
}
