// TSINIT_HTTP=[ADDR:]PORT: where the probe server listens. A bare port binds
// 127.0.0.1 (only what runs in the pod/container reaches it unless asked);
// an IPv6 address is written in brackets, [::]:8080. Pure.

export interface HttpAddress {
  host: string;
  port: number;
}

export function parseHttpAddress(v: string): HttpAddress | { error: string } {
  const bad = { error: `TSINIT_HTTP: not [ADDR:]PORT: ${v}` };
  let host = '127.0.0.1';
  let portText = v.trim();
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(portText);
  if (m) {
    host = m[1] as string;
    portText = m[2] as string;
  } else {
    const i = portText.lastIndexOf(':');
    if (i >= 0) {
      host = portText.slice(0, i);
      portText = portText.slice(i + 1);
      if (host === '' || host.includes(':')) return bad;
    }
  }
  if (!/^\d{1,5}$/.test(portText)) return bad;
  const port = Number(portText);
  if (port > 65535) return bad;
  return { host, port };
}
