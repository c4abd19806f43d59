import test from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpAddress } from '../../src/util/http-address.ts';

test('TSINIT_HTTP: a bare port binds 127.0.0.1; ADDR:PORT and [IPv6]:PORT', () => {
  assert.deepEqual(parseHttpAddress('8080'), { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseHttpAddress('0.0.0.0:9000'), { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(parseHttpAddress('[::]:9000'), { host: '::', port: 9000 });
  assert.deepEqual(parseHttpAddress('localhost:1'), { host: 'localhost', port: 1 });
});

test('TSINIT_HTTP: anything else is refused', () => {
  for (const v of ['', 'abc', '65536', ':80', '::1:80', '1.2.3.4:', '80x', '-1']) {
    const r = parseHttpAddress(v);
    assert.ok('error' in r, v);
    assert.match(r.error, /^TSINIT_HTTP: not \[ADDR:\]PORT/);
  }
});
