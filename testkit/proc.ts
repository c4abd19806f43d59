// /proc reading shared by the tests and the benchmarks.
import fs from 'node:fs';

/** The children of pid, over all its threads (/proc/PID/task/TID/children); [] once it is gone. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (kids) for (const k of kids.split(' ')) out.push(Number(k));
    } catch {
      // thread gone
    }
  }
  return out;
}
