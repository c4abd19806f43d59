// The `config` file of a log directory, parsed line by line on the first
// byte exactly as runit 2.1.2 does (s n N t ! u U p + - e E). Pure.
import { scanUlong } from './options.ts';

export type RuleKind = '+' | '-' | 'e' | 'E';

export interface Rule {
  kind: RuleKind;
  pattern: Buffer;
}

export interface LogConfig {
  /** `s`: maximum size of current, 0 = no size rotation */
  sizemax: number;
  /** `n`: maximum number of old files, 0 = keep all */
  nmax: number;
  /** `N`: minimum number kept when the disk is full */
  nmin: number;
  /** `t`: rotate after this many seconds, 0 = off */
  tmax: number;
  /** `!`: processor command, '' = none */
  processor: string;
  /** `u`/`U`: IPv4 address (dotted, each byte taken modulo 256) */
  udpAddr: string | undefined;
  /** UDP port, 0 = no UDP */
  udpPort: number;
  /** `U`: send via UDP only, do not write to the directory */
  udpOnly: boolean;
  /** `p`: prefix for every line */
  prefix: Buffer;
  /** `+ - e E` rules in file order */
  rules: Rule[];
  /** warnings produced while parsing, in order (text after "svlogd: warning: ") */
  warnings: string[];
}

export function defaultConfig(): LogConfig {
  return {
    sizemax: 1000000, nmax: 10, nmin: 10, tmax: 0, processor: '', udpAddr: undefined, udpPort: 0,
    udpOnly: false, prefix: Buffer.alloc(0), rules: [], warnings: [],
  };
}

/** A C string view: the bytes up to the first NUL. */
function cstr(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** djb ip4_scan: four dotted decimals; returns the length consumed, 0 on failure. */
export function ip4Scan(s: Buffer): { len: number; addr: string } | undefined {
  const parts: number[] = [];
  let off = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0) {
      if (s[off] !== 46) return undefined;
      off++;
    }
    const r = scanUlong(s, off);
    if (!r.digits) return undefined;
    parts.push(r.value % 256);
    off += r.digits;
  }
  return { len: off, addr: parts.join('.') };
}

/**
 * Apply a config file's bytes on top of `base` (normally the defaults; runit
 * keeps the previous UDP address when a later `u` line has a bad port).
 */
export function parseConfig(data: Buffer, base: LogConfig = defaultConfig()): LogConfig {
  const c: LogConfig = { ...base, rules: [...base.rules], warnings: [] };
  const n = data.length;
  // runit's loop runs while i + 1 < len: a final one-byte line without a
  // newline is never looked at.
  for (let i = 0; i + 1 < n; i++) {
    let nl = data.indexOf(10, i);
    if (nl < 0) nl = n;
    const len = nl - i;
    const line = data.subarray(i, nl);
    const rest = line.subarray(1);
    switch (len > 0 ? line[0] : 0) {
      case 43: // +
      case 45: // -
      case 101: // e
      case 69: // E
        c.rules.push({ kind: String.fromCharCode(line[0] as number) as RuleKind, pattern: Buffer.from(cstr(rest)) });
        break;
      case 115: { // s
        const r = scanUlong(rest);
        c.sizemax = r.value;
        const suffix = rest[r.digits];
        if (suffix === 109) c.sizemax *= 1024 * 1024; // m
        else if (suffix === 107) c.sizemax *= 1024; // k
        break;
      }
      case 110: // n
        c.nmax = scanUlong(rest).value;
        break;
      case 78: // N
        c.nmin = scanUlong(rest).value;
        break;
      case 116: { // t
        const r = scanUlong(rest);
        c.tmax = r.value;
        const suffix = rest[r.digits];
        if (suffix === 104) c.tmax *= 3600; // h
        else if (suffix === 109) c.tmax *= 60; // m
        break;
      }
      case 33: // !
        if (len > 1) c.processor = cstr(rest).toString();
        break;
      case 85: // U
      case 117: { // u
        if (line[0] === 85) c.udpOnly = true;
        const ip = ip4Scan(rest);
        if (!ip) {
          c.warnings.push(`unable to scan ip address: ${cstr(rest).toString()}`);
          break;
        }
        c.udpAddr = ip.addr;
        let port = 514;
        if (rest[ip.len] === 58) { // ':'
          const portText = rest.subarray(ip.len + 1);
          port = scanUlong(portText).value;
          if (port === 0) {
            c.warnings.push(`unable to scan port number: ${cstr(portText).toString()}`);
            break;
          }
        }
        c.udpPort = port % 65536; // htons() keeps 16 bits
        break;
      }
      case 112: // p
        if (len > 1) c.prefix = Buffer.from(cstr(rest));
        break;
      default:
        break; // empty, '#', unknown
    }
    i = nl;
  }
  return c;
}
