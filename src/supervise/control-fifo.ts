// Reads command bytes from supervise/control without blocking the process:
// the read end (opened O_RDONLY|O_NONBLOCK) is wrapped in a net.Socket, and
// runsv's own write end keeps the FIFO from ever reporting EOF. Several
// writes may arrive as one chunk ("tcu"): every byte is handed on in order.
import fs from 'node:fs';
import net from 'node:net';
import type { ControlFds } from './supervise-dir.ts';

export class ControlFifo {
  private readonly socket: net.Socket;
  private readonly writeFd: number;
  private closed = false;

  constructor(fds: ControlFds, onByte: (byte: number) => void, onError: (err: unknown) => void) {
    this.writeFd = fds.writeFd;
    this.socket = new net.Socket({ fd: fds.readFd, readable: true, writable: false });
    this.socket.on('data', (chunk: Buffer) => {
      for (const b of chunk) {
        try {
          onByte(b);
        } catch (err) {
          onError(err);
        }
      }
    });
    this.socket.on('error', (err) => {
      if (!this.closed) onError(err);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    try {
      fs.closeSync(this.writeFd);
    } catch {
      // already gone
    }
  }
}
