// `tsinit check` at boot: the same findings, logged, computed one service per
// turn of the event loop so a thousand services never hold up supervision.
// Not the extension files' problems: each runsv reports those itself (a
// warning, with what it uses instead), and one problem is said once. The
// severity is the log line's level, not repeated in the text.
import { lintService, type Finding, type Severity } from './service-lint.ts';
import { finishReport, listServices, planSettingsFrom } from './run-check.ts';
import { findingText } from './format.ts';
import type { ServiceSpec } from '../supervise/service-spec.ts';

export function checkInBackground(
  scanDir: string,
  report: (line: string, severity: Severity) => void,
  env: NodeJS.ProcessEnv = process.env,
  done?: () => void,
): void {
  const say = (f: Finding): void => {
    try {
      report(findingText(f), f.severity);
    } catch {
      // logging must not break the check, nor the check the supervisor
    }
  };
  const fail = (e: unknown): void => {
    say({ service: null, file: null, severity: 'warning', message: `check failed: ${e instanceof Error ? e.message : String(e)}` });
    done?.();
  };
  let names: string[] = [];
  let listFindings: Finding[] = [];
  const lints = new Map<string, { spec: ServiceSpec; findings: Finding[] }>();
  let i = 0;
  const next = (): void => {
    try {
      const name = names[i];
      if (name !== undefined) {
        const l = lintService(scanDir, name, env);
        lints.set(name, { spec: l.spec, findings: l.findings.filter((f) => !l.fromSpec.has(f)) });
        i++;
        setImmediate(next);
        return;
      }
      const r = finishReport(scanDir, lints, listFindings, planSettingsFrom(env, null));
      for (const f of r.findings) say(f);
      done?.();
    } catch (e) {
      fail(e);
    }
  };
  setImmediate(() => {
    // the listing too stats a few entries per turn (util/pace.ts)
    listServices(scanDir).then((l) => {
      names = l.names;
      listFindings = l.findings;
      next();
    }, fail);
  });
}
