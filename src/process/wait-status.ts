// Decoding of the int that waitpid() fills in (Linux layout).

export interface ExitStatus {
  pid: number;
  /** exit code when the process exited normally */
  code: number | null;
  /** signal number when the process was killed by a signal */
  signal: number | null;
  core: boolean;
  /** the raw wait status, as runsv hands its low byte to ./finish */
  raw: number;
}

export function decodeWaitStatus(pid: number, raw: number): ExitStatus {
  const low = raw & 0x7f;
  if (low === 0) return { pid, code: (raw >> 8) & 0xff, signal: null, core: false, raw };
  return { pid, code: null, signal: low, core: (raw & 0x80) !== 0, raw };
}

/** The shell convention: the code, or 128 + signal. */
export function shellExitCode(st: ExitStatus): number {
  return st.signal !== null ? 128 + st.signal : (st.code ?? 0);
}

export function describeExit(st: ExitStatus): string {
  return st.signal !== null ? `signal ${st.signal}${st.core ? ' (core dumped)' : ''}` : `exit ${st.code}`;
}
