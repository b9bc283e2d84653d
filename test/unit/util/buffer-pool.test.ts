import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../../src/util/buffer-pool.js';

test('a released block is handed out again for any size of its class; exact lengths', () => {
  const pool = new BufferPool(64 * 1024, 1024 * 1024, 8 * 1024 * 1024);
  const a = pool.acquire(300_000);
  assert.equal(a.length, 300_000);
  assert.equal(a.buffer.byteLength, 512 * 1024);
  pool.release(a);
  const b = pool.acquire(500_000);
  assert.equal(b.length, 500_000);
  assert.equal(b.buffer, a.buffer, 'the same block');
  const c = pool.acquire(400_000);
  assert.notEqual(c.buffer, b.buffer, 'a block in use is not handed out twice');
  assert.deepEqual([pool.allocated, pool.reused], [2, 1]);
});

test('small and very large buffers are not pooled; foreign buffers are ignored on release', () => {
  const pool = new BufferPool(64 * 1024, 1024 * 1024);
  const small = pool.acquire(1000);
  const large = pool.acquire(2 * 1024 * 1024);
  pool.release(small);
  pool.release(large);
  pool.release(Buffer.alloc(128 * 1024));
  assert.deepEqual([pool.allocated, pool.reused], [0, 0]);
  assert.notEqual(pool.acquire(2 * 1024 * 1024).buffer, large.buffer);
});

test('free blocks are bounded; a block released twice throws', () => {
  const pool = new BufferPool(64 * 1024, 1024 * 1024, 1024 * 1024);
  const blocks = [pool.acquire(1024 * 1024), pool.acquire(1024 * 1024)];
  for (const b of blocks) pool.release(b);
  pool.acquire(1024 * 1024);
  assert.equal(pool.acquire(1024 * 1024).buffer === blocks[1]!.buffer, false, 'only one block was kept');
  const x = pool.acquire(100_000);
  pool.release(x);
  assert.throws(() => pool.release(x), /released twice/);
});
