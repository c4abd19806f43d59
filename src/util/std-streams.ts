// Imported first by the entry point. Node makes a descriptor non-blocking the
// first time process.stdout or process.stderr is touched (for pipes, sockets
// and terminals), and even loading some modules touches them (node:assert
// asks stderr about colours). Those descriptors are shared with every service
// tsinit starts: a service writing to a non-blocking stdout gets EAGAIN when
// `docker logs` reads slowly, and loses output. So tsinit never lets Node open
// them: process.stdout and process.stderr become small writers through
// util/output (synchronous, or non-blocking once the init has switched it).
import { Writable } from 'node:stream';
import { writeOut } from './output.ts';

function syncStream(fd: 1 | 2): NodeJS.WriteStream {
  const w = new Writable({
    write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
      writeOut(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      cb();
    },
  });
  return Object.assign(w, {
    fd,
    isTTY: false,
    columns: 80,
    rows: 24,
    hasColors: () => false,
    getColorDepth: () => 1,
  }) as unknown as NodeJS.WriteStream;
}

for (const [name, fd] of [['stdout', 1], ['stderr', 2]] as const) {
  let stream: NodeJS.WriteStream | undefined;
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: true,
    get: () => (stream ??= syncStream(fd)),
  });
}
