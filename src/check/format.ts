// `tsinit check`'s output: findings in runit's message style, then the start
// order and the shutdown plan with the time each phase gets. Pure.
import type { CheckReport } from './run-check.ts';
import type { Finding } from './service-lint.ts';

const sec = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

export function findingLine(f: Finding): string {
  const where = [f.service, f.file].filter((x) => x !== null).join('/');
  return `${where ? `${where}: ` : ''}${f.severity}: ${f.message}`;
}

/** The finding without its severity, for a log line whose level says it. */
export function findingText(f: Finding): string {
  const where = [f.service, f.file].filter((x) => x !== null).join('/');
  return `${where ? `${where}: ` : ''}${f.message}`;
}

export function formatReport(r: CheckReport): string {
  const out: string[] = [];
  for (const f of r.findings) out.push(findingLine(f));
  if (r.findings.length > 0) out.push('');
  if (r.only !== null) {
    const n = r.services.length - 1;
    out.push(`start order (${r.only}${n > 0 ? ` and ${n} ${n === 1 ? 'dependency' : 'dependencies'}` : ''}):`);
  } else out.push(`start order (${r.services.length} services in ${r.serviceDir}):`);
  if (r.startOrder.length === 0) out.push('  (none)');
  r.startOrder.forEach((w, i) => out.push(`  ${i + 1}. ${w.join(' ')}`));
  const s = r.shutdown;
  out.push('');
  out.push(`shutdown plan (budget ${sec(s.budgetMs)}${s.graceMs !== null ? `, grace period ${sec(s.graceMs)}` : ''}):`);
  for (const p of s.phases) {
    out.push(`  ${p.phase}: ${sec(p.ms)} (${p.what})`);
    if (p.phase !== 'stop services') continue;
    s.stopWaves.forEach((w, i) => {
      const names = w.services
        .map((x) => `${x.name}${x.downSignal !== 'TERM' ? ` ${x.downSignal}` : ''}${x.timeoutKillMs !== null ? ` kill@${sec(x.timeoutKillMs)}` : ''}`)
        .join(', ');
      out.push(`    wave ${i + 1}: ${names} (${w.boundMs !== null ? `done within ${sec(w.boundMs)}` : 'until they stop'})`);
    });
    if (s.neverStarted.length > 0) out.push(`    never started, nothing to stop: ${s.neverStarted.join(', ')}`);
  }
  out.push(`  longest chain of timeout-kill (with the stop delay): ${sec(s.chainMs)}`);
  out.push('');
  out.push(`${r.errors} error(s), ${r.warnings} warning(s)`);
  return `${out.join('\n')}\n`;
}
