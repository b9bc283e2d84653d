// Fetch session ids (KIP-227): random like Kafka's, so that a broker restarted with an empty cache
// does not hand out the ids its previous life gave to clients that still hold them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchSessionCache } from '../../../src/broker/fetch-sessions.js';

const open = (cache: FetchSessionCache, now = 0) => {
  const r = cache.lookup(0, 0, true, now);
  assert.equal(r.kind, 'new');
  return (r as { session: { id: number } }).session.id;
};

test('session ids are random positive int32s, unique in a cache, not repeated by a new cache', () => {
  const before = new FetchSessionCache(1000);
  const ids = Array.from({ length: 200 }, () => open(before));
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => Number.isInteger(id) && id > 0 && id <= 0x7fffffff));
  // The same broker after a restart: sequential ids would start again at 1, 2, 3…
  const after = new FetchSessionCache(1000);
  const again = Array.from({ length: 200 }, () => open(after));
  assert.ok(again.filter((id) => ids.includes(id)).length <= 1, 'a new cache repeats the old ids');
});

test('a client closing the old broker\'s session does not close a session of the new one', () => {
  const old = new FetchSessionCache(10);
  const held = open(old);
  const restarted = new FetchSessionCache(10);
  const other = open(restarted);
  // The reconnecting client asks to close its session and open a new one (epoch 0).
  assert.notEqual(held, other, 'the new broker gave out the id the old one had given');
  restarted.lookup(held, 0, true, 1);
  assert.equal(restarted.lookup(other, 1, true, 2).kind, 'incremental');
});

test('least recently used session evicted when the cache is full', () => {
  const cache = new FetchSessionCache(2);
  const a = open(cache, 0);
  const b = open(cache, 1);
  assert.equal(cache.lookup(a, 1, true, 2).kind, 'incremental'); // a used last: b is the oldest
  open(cache, 3);
  assert.equal(cache.size, 2);
  assert.deepEqual(cache.lookup(b, 1, true, 4), { kind: 'error', errorCode: 70 }); // FETCH_SESSION_ID_NOT_FOUND
  assert.equal(cache.lookup(a, 1, true, 5).kind, 'incremental'); // the handler moves the epoch on, not lookup
});
