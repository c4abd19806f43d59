// The tool service's messages as TypeScript sees them (issue 18's protocol).
// Types only here; the encoder and decoder of the bytes come with the
// transport.

export interface CallRequest {
  argv: Buffer[];
  env: Buffer[];
  cwd: Buffer;
  nice: number;
  limits: ReadonlyArray<{ soft: bigint; hard: bigint }>; // index = RLIMIT number
  /** descriptors received (PID 1's numbers), owned by the transport: closed when the call ends */
  fds: { stdin?: number; stdout?: number; stderr?: number; cwd?: number; root?: number };
}

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
  groups: number[];
}

export type Reply =
  | { kind: 'out'; stream: 1 | 2; data: Buffer }
  | { kind: 'exit'; code: number }
  | { kind: 'exec'; words: Buffer[] }
  | { kind: 'fallback' }
  | { kind: 'die'; signal: number }
  | { kind: 'title'; text: Buffer };
