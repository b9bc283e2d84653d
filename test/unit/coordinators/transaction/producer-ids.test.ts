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
