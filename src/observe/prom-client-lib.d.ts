// Types of the three prom-client modules /metrics loads directly (its index
// also loads default metrics, cluster, push gateway, histograms and
// OpenTelemetry: 7x the code and ~8 MB more PSS; see docs/design.md).
declare module 'prom-client/lib/registry.js' {
  import type { Registry } from 'prom-client';
  const R: typeof Registry;
  export = R;
}
declare module 'prom-client/lib/gauge.js' {
  import type { Gauge } from 'prom-client';
  const G: typeof Gauge;
  export = G;
}
declare module 'prom-client/lib/counter.js' {
  import type { Counter } from 'prom-client';
  const C: typeof Counter;
  export = C;
}
