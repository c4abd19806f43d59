// GET /metrics: Prometheus text exposition through prom-client's registry,
// gauge and counter modules (not its index: see prom-client-lib.d.ts),
// loaded on the first scrape, so PID 1 pays nothing for them until asked. Values
// are read from the snapshots at scrape time: nothing is kept up to date
// between scrapes.
import type { Registry as RegistryT } from 'prom-client';
import { signalNumberOf } from '../util/signal-names.ts';
import { TAI_OFFSET, wallNow } from '../util/tai64n.ts';
import { isRecord, sideUp, type ServiceSnapshot } from './snapshot.ts';
import type { ExitInfo } from '../supervise/ext-status.ts';

export interface MetricsInput {
  snapshots(): ServiceSnapshot[];
  orphansReaped(): number;
  shuttingDown(): boolean;
}

export interface Metrics {
  contentType: string;
  render(): Promise<string>;
}

/** The shell's convention for a last exit: the code, or 128 + the signal's number. */
export function exitCodeOf(e: ExitInfo): number {
  if ('code' in e) return e.code;
  return 128 + (signalNumberOf(e.signal) ?? 0);
}

export async function createMetrics(input: MetricsInput): Promise<Metrics> {
  const [{ default: Registry }, { default: Gauge }, { default: Counter }] = await Promise.all([
    import('prom-client/lib/registry.js'),
    import('prom-client/lib/gauge.js'),
    import('prom-client/lib/counter.js'),
  ]);
  const prom = { Registry, Gauge, Counter };
  const registry: RegistryT = new prom.Registry();
  let snaps: ServiceSnapshot[] = [];
  const perService = (name: string, help: string, value: (s: ServiceSnapshot, nowSec: number) => number | null): void => {
    new prom.Gauge({
      name,
      help,
      labelNames: ['service'],
      registers: [registry],
      collect() {
        this.reset();
        const now = wallNow().sec;
        for (const s of snaps) {
          const v = value(s, now);
          if (v !== null) this.set({ service: s.name }, v);
        }
      },
    });
  };
  new prom.Gauge({
    name: 'tsinit_services',
    help: 'Services supervised.',
    registers: [registry],
    collect() {
      this.set(snaps.length);
    },
  });
  const up = (s: ServiceSnapshot): boolean => isRecord(s.main) && sideUp(s.main.st);
  perService('tsinit_service_up', '1 when the service runs (runit state run), else 0.', (s) => (up(s) ? 1 : 0));
  perService('tsinit_service_ready', '1 when the service is up and ready, else 0.', (s) =>
    up(s) && (s.ext ? s.ext.ready : true) ? 1 : 0,
  );
  perService('tsinit_service_healthy', '0 when unhealthy (health-retries consecutive failed checks), else 1 (also without ./health).', (s) =>
    s.ext?.healthy === false ? 0 : 1,
  );
  perService('tsinit_service_last_exit_code', 'How ./run last ended: its exit code, or 128 + signal.', (s) =>
    s.ext?.lastExit ? exitCodeOf(s.ext.lastExit) : null,
  );
  perService('tsinit_service_state_seconds', 'Seconds since the service entered its current state.', (s, now) => {
    if (!isRecord(s.main)) return null;
    const since = Number(s.main.st.readBigUInt64BE(0) - TAI_OFFSET);
    return Math.max(0, now - since);
  });
  new prom.Counter({
    name: 'tsinit_service_restarts_total',
    help: 'Starts of ./run after the first one.',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of snaps) this.inc({ service: s.name }, s.ext?.restarts ?? 0);
    },
  });
  new prom.Counter({
    name: 'tsinit_orphans_reaped_total',
    help: 'Orphaned processes reaped by tsinit.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(input.orphansReaped());
    },
  });
  new prom.Gauge({
    name: 'tsinit_shutdown_in_progress',
    help: '1 from the moment a shutdown was requested.',
    registers: [registry],
    collect() {
      this.set(input.shuttingDown() ? 1 : 0);
    },
  });
  return {
    contentType: registry.contentType,
    render: () => {
      // One snapshot per scrape, read by every collector.
      snaps = input.snapshots();
      return registry.metrics();
    },
  };
}
