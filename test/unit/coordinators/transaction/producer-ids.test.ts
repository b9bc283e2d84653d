// Producer id allocation: blocks reserved durably before any id of them is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProducerIdManager, PRODUCER_ID_BLOCK_FILE } from '../../../../src/coordinators/transaction/producer-ids.js';

test('producer ids come from blocks reserved on disk before use: never repeated across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-pid-'));
  try {
    const a = new ProducerIdManager(dir, 10n);
    const first = await Promise.all(Array.from({ length: 15 }, () => a.generate()));
    assert.deepEqual(first, Array.from({ length: 15 }, (_, i) => BigInt(i)));
    assert.equal(JSON.parse(await readFile(join(dir, PRODUCER_ID_BLOCK_FILE), 'utf8')).nextBlockStart, '20');
    // A restart (clean or not) starts at the next unreserved block: ids 15-19 are skipped, never reused.
    const b = new ProducerIdManager(dir, 10n);
    assert.equal(await b.generate(), 20n);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('in a cluster each block comes from the cluster\'s allocator, never below what this broker\'s file reserved', async () => {
  const dirs = [await mkdtemp(join(tmpdir(), 'samsa-pid-')), await mkdtemp(join(tmpdir(), 'samsa-pid-'))];
  try {
    let next = 0n;
    const asked: bigint[] = [];
    // The etcd store's compare-and-swap, in memory: one counter for every broker.
    const allocate = async (size: bigint, atLeast: bigint) => {
      asked.push(atLeast);
      const start = next > atLeast ? next : atLeast;
      next = start + size;
      return start;
    };
    const [a, b] = dirs.map((d) => new ProducerIdManager(d, 10n, allocate));
    const ids = [await a.generate(), await b.generate(), await a.generate(), await b.generate()];
    assert.deepEqual(ids, [0n, 10n, 1n, 11n], 'two brokers, two blocks: no id handed out twice');
    for (let i = 0; i < 8; i++) await a.generate(); // 2..9, the rest of its block
    assert.equal(await a.generate(), 20n, 'a\'s next block comes after b\'s');
    assert.deepEqual(asked, [0n, 0n, 10n], 'each asks from where its own file left off');
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
});
