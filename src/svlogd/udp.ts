// `u`/`U` config lines: every selected line also goes out as one UDP
// datagram. runit opens a non-blocking socket per line and writes a warning
// into the log when sendto() fails; Node reports failures asynchronously, so
// the warning reaches the log a little later than runit would write it.
import type dgram from 'node:dgram';

export type UdpFailure = 'no-socket' | 'send';

export class UdpOut {
  private sock: dgram.Socket | undefined;
  private broken = false;

  private socket(): dgram.Socket | undefined {
    if (this.broken) return undefined;
    if (!this.sock) {
      try {
        // loaded on the first datagram, not at import: few logs send UDP, and every svlogd start paid for compiling node:dgram
        const s = process.getBuiltinModule('node:dgram').createSocket('udp4');
        s.on('error', () => {
          this.broken = true;
        });
        s.unref();
        this.sock = s;
      } catch {
        return undefined;
      }
    }
    return this.sock;
  }

  /** Send one datagram; onFail runs (later) when it could not be sent. */
  send(datagram: Buffer, addr: string, port: number, onFail: (why: UdpFailure) => void): void {
    const s = this.socket();
    if (!s) {
      onFail('no-socket');
      return;
    }
    try {
      s.send(datagram, port, addr, (err) => {
        if (err) onFail((err as NodeJS.ErrnoException).syscall === 'bind' ? 'no-socket' : 'send');
      });
    } catch {
      onFail('send');
    }
  }

  close(): void {
    this.sock?.close();
    this.sock = undefined;
  }
}
