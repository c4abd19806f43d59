// tsinit's exit codes in stage mode (command mode exits with the command's
// code). Documented in docs/reference.md.
export const ExitCode = {
  /** a requested shutdown (or stage 2 ending) completed and no stage failed */
  OK: 0,
  /** stage 1 failed: exited non-zero (other than 100) or was killed */
  STAGE1_FAILED: 1,
  /** stage 3 failed: exited non-zero, was killed, or overran its share of the budget */
  STAGE3_FAILED: 2,
  /** command mode: the command exists but cannot be executed */
  CMD_NOT_EXECUTABLE: 126,
  /** command mode: the command was not found */
  CMD_NOT_FOUND: 127,
  /** tsinit itself could not run (bad arguments are 100) */
  FATAL: 111,
  USAGE: 100,
} as const;

export interface StageResults {
  stage1Failed: boolean;
  stage3Failed: boolean;
}

export function stageModeExitCode(r: StageResults): number {
  if (r.stage1Failed) return ExitCode.STAGE1_FAILED;
  if (r.stage3Failed) return ExitCode.STAGE3_FAILED;
  return ExitCode.OK;
}
