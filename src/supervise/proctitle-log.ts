// runsvdir's readproctitle emulation as a pure buffer (reference spec 5.5):
// the `log` argument is a fixed-size window; each non-NUL byte written to
// runsvdir's stderr shifts the characters from index 6 on one place left
// (index 5 is lost, the first five, e.g. `log: `, stay) and lands at the end.
export class ProcTitleLog {
  private readonly buf: Buffer;
  private readonly show: (text: string) => void;
  private readonly closers: Array<() => void> = [];

  /** initial: the log argument (at least 7 characters); show: where the text goes (process.title) */
  constructor(initial: string, show: (text: string) => void) {
    this.buf = Buffer.from(initial);
    if (this.buf.length < 7) throw new RangeError('log must have at least seven characters');
    this.show = show;
  }

  push(chunk: Uint8Array): void {
    const last = this.buf.length - 1;
    let changed = false;
    for (const byte of chunk) {
      if (byte === 0) continue;
      this.buf.copyWithin(5, 6);
      this.buf[last] = byte;
      changed = true;
    }
    if (changed) this.show(this.text());
  }

  text(): string {
    return this.buf.toString('utf8');
  }

  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  close(): void {
    for (const fn of this.closers.splice(0)) fn();
  }
}
