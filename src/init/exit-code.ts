// The container's exit code when something sets it explicitly: an essential
// service that ended, or `tsinit halt CODE`. The first code set wins, and
// who set it is kept for the log. Pure.

export interface ExitCodeSetting {
  code: number;
  /** who set it, for the log: "essential service web: ./run ended (exit 7)", "tsinit halt (pid 42, ...)" */
  by: string;
}

export class ContainerExitCode {
  private value: ExitCodeSetting | null = null;

  /** Set the code unless one is set already; true when this call set it. */
  set(code: number, by: string): boolean {
    if (this.value !== null) return false;
    this.value = { code: clampExitCode(code), by };
    return true;
  }

  get(): ExitCodeSetting | null {
    return this.value;
  }
}

/** An exit status is one byte: anything else is reduced the way exit(2) would. */
export function clampExitCode(code: number): number {
  if (!Number.isFinite(code)) return 1;
  return ((Math.trunc(code) % 256) + 256) % 256;
}

/** `tsinit halt CODE`: a whole number 0..255 (nothing else is an exit status). */
export function parseExitCodeArg(text: string): number | null {
  if (!/^\d{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n <= 255 ? n : null;
}
