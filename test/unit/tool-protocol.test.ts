// src/tool-service/protocol.ts: every message round-trips, and garbage from a
// caller (bad magic or version, lengths past the end, strings without a NUL,
// too large, too many descriptors) is rejected with a reason, never thrown.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeClientMessage, decodeReply, decodeRequest, encodeReply, encodeRequest, encodeSignal, outChunks,
  MAGIC, MAX_MESSAGE_BYTES, MAX_OUT_CHUNK, NLIMITS, VERSION, type Reply, type RequestSpec,
} from '../../src/tool-service/protocol.ts';

const INF = 0xffffffffffffffffn;
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function spec(over: Partial<RequestSpec> = {}): RequestSpec {
  return {
    argv: [b('sv'), b('status'), b('/etc/service/web')],
    env: [b('PATH=/bin:/usr/bin'), b('X=\xff\xfe')],
    cwd: b('/srv/\xe9t\xe9'),
    nice: -5,
    limits: Array.from({ length: NLIMITS }, (_, i) => ({ soft: i === 7 ? 1024n : INF, hard: i === 7 ? 4096n : INF })),
    sent: { stdin: true, stdout: true, stderr: true, cwd: true, root: true },
    ...over,
  };
}

test('a REQUEST with five descriptors decodes to what was sent', () => {
  const r = decodeRequest(encodeRequest(spec()), [10, 11, 12, 13, 14]);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const v = r.value;
  assert.deepEqual(v.argv.map((x) => x.toString('latin1')), ['sv', 'status', '/etc/service/web']);
  assert.deepEqual(v.env.map((x) => x.toString('latin1')), ['PATH=/bin:/usr/bin', 'X=\xff\xfe']);
  assert.equal(v.cwd.toString('latin1'), '/srv/\xe9t\xe9');
  assert.equal(v.nice, -5);
  assert.equal(v.limits.length, NLIMITS);
  assert.deepEqual(v.limits[7], { soft: 1024n, hard: 4096n });
  assert.deepEqual(v.limits[0], { soft: INF, hard: INF });
  assert.deepEqual(v.fds, { stdin: 10, stdout: 11, stderr: 12, cwd: 13, root: 14 });
});

test('only the descriptors sent are named, in protocol order', () => {
  const r = decodeRequest(encodeRequest(spec({ sent: { stdout: true, cwd: true } })), [20, 21]);
  assert.ok(r.ok);
  assert.deepEqual(r.value.fds, { stdout: 20, cwd: 21 });
  const none = decodeRequest(encodeRequest(spec({ sent: {}, env: [], cwd: b('') })), []);
  assert.ok(none.ok);
  assert.deepEqual(none.value.fds, {});
  assert.equal(none.value.cwd.length, 0);
  assert.deepEqual(none.value.env, []);
});

function reason(buf: Buffer, fds: number[] = [1, 2, 3, 4, 5]): string {
  const r = decodeRequest(buf, fds);
  assert.equal(r.ok, false, 'garbage accepted');
  return r.ok ? '' : r.reason;
}

test('garbage requests are rejected with a reason', () => {
  const good = encodeRequest(spec());
  const at = (off: number, v: number): Buffer => {
    const c = Buffer.from(good);
    c.writeUInt32LE(v, off);
    return c;
  };
  assert.match(reason(at(0, MAGIC + 1)), /magic/);
  assert.match(reason(at(4, VERSION + 1)), /version/);
  assert.match(reason(at(8, 0x3f)), /flags/);
  assert.match(reason(good, [1, 2, 3, 4]), /descriptors/);
  assert.match(reason(good, [1, 2, 3, 4, 5, 6]), /descriptors/);
  assert.match(reason(at(12, 20)), /nice/);
  assert.match(reason(at(12, -21 >>> 0)), /nice/);
  assert.match(reason(at(16, 1000)), /limits/);
  assert.match(reason(at(16, 60)), /past the end/);
  const countsAt = 20 + NLIMITS * 16;
  assert.match(reason(at(countsAt, 0)), /argv\[0\]/);
  assert.match(reason(at(countsAt, 0xffffffff)), /past the end/);
  assert.match(reason(at(countsAt + 4, 0xfffffff)), /past the end/);
  assert.match(reason(at(countsAt + 8, 0xffffff)), /past the end/);
  assert.match(reason(at(countsAt + 8, 2)), /after the cwd/);
  // argc one more than there are strings: the cwd has no NUL to end it
  assert.match(reason(at(countsAt, 6)), /NUL/);
  assert.match(reason(good.subarray(0, 10)), /bytes/);
  assert.match(reason(Buffer.alloc(0)), /bytes/);
  assert.match(reason(good.subarray(0, good.length - 3)), /past the end/);
  assert.match(reason(Buffer.concat([good, Buffer.alloc(MAX_MESSAGE_BYTES)])), /bytes/);
  const nulCwd = encodeRequest(spec({ cwd: b('/a\0b') }));
  assert.match(reason(nulCwd), /NUL/);
});

test('a request just within 192 KiB is taken', () => {
  const base = encodeRequest(spec({ env: [] })).length;
  const fill = MAX_MESSAGE_BYTES - base - 1;
  const big = encodeRequest(spec({ env: [Buffer.alloc(fill, 0x41)] }));
  assert.equal(big.length, MAX_MESSAGE_BYTES);
  assert.ok(decodeRequest(big, [1, 2, 3, 4, 5]).ok);
});

test('every reply round-trips', () => {
  const replies: Reply[] = [
    { kind: 'out', stream: 1, data: b('a\0b\xff') },
    { kind: 'out', stream: 2, data: Buffer.alloc(0) },
    { kind: 'exit', code: 0 },
    { kind: 'exit', code: 255 },
    { kind: 'exec', words: [b('u'), b('65534:65534'), b('--'), b('id'), b('')] },
    { kind: 'fallback' },
    { kind: 'die', signal: 15 },
    { kind: 'title', text: b('runsvdir -P /etc/service log: ...') },
  ];
  for (const r of replies) {
    const enc = encodeReply(r);
    assert.ok(enc.ok, enc.ok ? '' : enc.reason);
    const dec = decodeReply(enc.value);
    assert.ok(dec.ok, dec.ok ? '' : dec.reason);
    assert.deepEqual(dec.value, r);
  }
  const exit2 = encodeReply({ kind: 'exit', code: 2 });
  assert.equal(exit2.ok ? exit2.value.toString('hex') : exit2.reason, '0200000002000000');
});

test('replies that cannot be sent are refused', () => {
  assert.equal(encodeReply({ kind: 'exit', code: 256 }).ok, false);
  assert.equal(encodeReply({ kind: 'exit', code: -1 }).ok, false);
  assert.equal(encodeReply({ kind: 'die', signal: 0 }).ok, false);
  assert.equal(encodeReply({ kind: 'die', signal: 65 }).ok, false);
  assert.equal(encodeReply({ kind: 'exec', words: [b('a\0b')] }).ok, false);
  assert.equal(encodeReply({ kind: 'exec', words: [Buffer.alloc(MAX_MESSAGE_BYTES)] }).ok, false);
  assert.equal(encodeReply({ kind: 'out', stream: 1, data: Buffer.alloc(MAX_OUT_CHUNK + 1) }).ok, false);
  assert.equal(encodeReply({ kind: 'out', stream: 3 as 1, data: b('x') }).ok, false);
});

test('OUT text is cut into chunks of at most 64 KiB, bytes kept', () => {
  const data = Buffer.alloc(MAX_OUT_CHUNK * 2 + 5, 7);
  const chunks = outChunks(data);
  assert.deepEqual(chunks.map((c) => c.length), [MAX_OUT_CHUNK, MAX_OUT_CHUNK, 5]);
  assert.deepEqual(Buffer.concat(chunks), data);
  assert.deepEqual(outChunks(Buffer.alloc(0)), []);
});

test('garbage replies are rejected by the decoder', () => {
  for (const hex of ['', '0100', '09000000', '0100000003000000', '0200000000010000', '0400000001', '0500000000000000', '0300000061']) {
    assert.equal(decodeReply(Buffer.from(hex, 'hex')).ok, false, hex);
  }
});

test('SIGNAL is the only message after the request', () => {
  const ok = decodeClientMessage(encodeSignal(1), 0);
  assert.deepEqual(ok, { ok: true, value: { kind: 'signal', signo: 1 } });
  assert.equal(decodeClientMessage(encodeSignal(1), 1).ok, false);
  assert.equal(decodeClientMessage(encodeSignal(0), 0).ok, false);
  assert.equal(decodeClientMessage(encodeSignal(65), 0).ok, false);
  assert.equal(decodeClientMessage(Buffer.concat([encodeSignal(1), Buffer.alloc(1)]), 0).ok, false);
  assert.equal(decodeClientMessage(encodeRequest(spec()), 0).ok, false);
  const typ = encodeSignal(1);
  typ.writeUInt32LE(2, 0);
  assert.equal(decodeClientMessage(typ, 0).ok, false);
});
