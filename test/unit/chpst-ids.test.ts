import test from 'node:test';
import assert from 'node:assert/strict';
import { AccountDbError, accountIds, extendedIds, numericIds, parseGroup, parsePasswd, type AccountDb } from '../../src/chpst/ids.ts';

const passwd = '# comment\nroot:x:0:0:root:/root:/bin/sh\n+nis\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\nnobody:x:1:1::/:/bin/sh\nbad:x:abc:1::/:\nweb:x:33:33::/:\n';
const group = 'root:x:0:\nnogroup:x:65534:\nusers:x:100:web\nwww-data:x:33:\n';
const db: AccountDb = { user: (n) => parsePasswd(passwd, n), group: (n) => parseGroup(group, n) };

test('passwd/group files: first entry wins, comments and bad lines skipped', () => {
  assert.deepEqual(parsePasswd(passwd, 'nobody'), { uid: 65534, gid: 65534 });
  assert.equal(parsePasswd(passwd, 'bad'), undefined);
  assert.equal(parsePasswd(passwd, '+nis'), undefined);
  assert.equal(parseGroup(group, 'users'), 100);
  assert.equal(parseGroup(group, 'nosuch'), undefined);
});

test('plain account (setuidgid): only the primary group', () => {
  assert.deepEqual(accountIds(db, 'web'), { uid: 33, gids: [33] });
  assert.equal(accountIds(db, 'nobody:nogroup'), undefined);
});

test('user[:group…]: groups by name, first is the gid', () => {
  assert.deepEqual(extendedIds(db, 'nobody'), { uid: 65534, gids: [65534] });
  assert.deepEqual(extendedIds(db, 'web:users:nogroup'), { uid: 33, gids: [100, 65534] });
  assert.equal(extendedIds(db, 'web:nosuch'), undefined);
  assert.equal(extendedIds(db, 'web:'), undefined, 'an empty group name is unknown');
  assert.equal(extendedIds(db, 'nosuch:users'), undefined);
});

test(':uid:gid[:gid…] is numeric, no lookups', () => {
  const none: AccountDb = { user: () => assert.fail('no lookup'), group: () => assert.fail('no lookup') };
  assert.deepEqual(extendedIds(none, ':65534:65534:100'), { uid: 65534, gids: [65534, 100] });
  assert.deepEqual(numericIds('65534:'), { uid: 65534, gids: [0] }, 'empty gid scans as 0');
  assert.equal(numericIds('65534'), undefined, 'a gid is required');
  assert.equal(numericIds('a:1'), undefined);
  assert.equal(numericIds('1:2x'), undefined);
  assert.deepEqual(numericIds('4294967297:1'), { uid: 1, gids: [1] }, 'uid_t truncation');
});

test('at most 60 groups', () => {
  const sixty = Array.from({ length: 60 }, (_, i) => String(i + 1));
  assert.equal(numericIds(`0:${sixty.join(':')}`)?.gids.length, 60);
  assert.equal(numericIds(`0:${sixty.join(':')}:`)?.gids.length, 60, 'a trailing colon after 60 is accepted');
  assert.equal(numericIds(`0:${sixty.join(':')}:61`), undefined);
  const names = Array.from({ length: 62 }, () => 'users').join(':');
  assert.equal(extendedIds(db, `web:${names}`)?.gids.length, 60, 'named groups beyond 60 are ignored');
});

test('a database read error surfaces as AccountDbError', () => {
  const broken: AccountDb = {
    user: () => {
      throw new AccountDbError('ENOENT');
    },
    group: () => undefined,
  };
  assert.throws(() => extendedIds(broken, 'nobody'), (e: unknown) => e instanceof AccountDbError && e.code === 'ENOENT');
});
