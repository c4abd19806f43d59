// How the one shutdown budget is shared between the phases of the shutdown
// sequence. Each phase ends early when its work is done; these are only the
// latest moments at which the next, harsher step is taken. Pure.

export interface ShutdownDeadlines {
  /** stage 2 (or the built-in supervisor) is SIGKILLed if still running */
  stage2Kill: number;
  /** stage 3's process group is SIGKILLed if still running */
  stage3Kill: number;
  /** every remaining process gets SIGKILL */
  finalKill: number;
  /** tsinit exits even if something could not be reaped */
  exit: number;
}

export function shutdownDeadlines(start: number, budgetMs: number): ShutdownDeadlines {
  return {
    stage2Kill: start + Math.round(budgetMs * 0.5),
    stage3Kill: start + Math.round(budgetMs * 0.8),
    finalKill: start + Math.round(budgetMs * 0.9),
    exit: start + budgetMs,
  };
}
