// Producer snapshots and `.txnindex` files on the storage FileSystem: what load trusts, what it
// rebuilds from the log.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LOG_CONFIG, SimulatedFileSystem, createPartitionLog, createStorageContext, type PartitionLog } from '../../../src/storage/index.js';
import { decodeAbortedTxns, ProducerStateManager, snapshotFileName } from '../../../src/storage/producer-state.js';
import { ProducerStateStore, txnIndexFileName } from '../../../src/storage/producer-state-store.js';
import { ProducerDriver, producerStateOf, splitBatches, type TestProducer } from './helpers.js';

const DIR = '/data/t-0';

async function setUp() {
  const fs = new SimulatedFileSystem();
  const log = await createPartitionLog(createStorageContext(fs), { topic: 't', partition: 0, dir: DIR, config: { ...DEFAULT_LOG_CONFIG, fileDeleteDelayMs: 0 } });
  const state = new ProducerStateManager('t-0');
  const driver = new ProducerDriver(log, state, new ProducerStateStore(log, state));
  const txn: TestProducer = { id: 7n, epoch: 0, nextSequence: 0, transactional: true, inTransaction: false };
  const idempotent: TestProducer = { id: 8n, epoch: 0, nextSequence: 0, transactional: false, inTransaction: false };
  return { fs, log, state, driver, txn, idempotent };
}

async function reload(log: PartitionLog) {
  const state = new ProducerStateManager('t-0');
  const result = await new ProducerStateStore(log, state).load();
  return { state, ...result };
}

function summary(state: ProducerStateManager) {
  return {
    producers: [...state.producers.values()].map((e) => [e.producerId, e.epoch, e.lastSeq, e.lastOffset, e.currentTxnFirstOffset]).sort(),
    aborted: state.aborted.map((t) => [t.producerId, t.firstOffset, t.lastOffset]),
  };
}

async function indexedAborts(fs: SimulatedFileSystem): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const n of (await fs.readdir(DIR)).filter((n) => n.endsWith('.txnindex')).sort()) out.push(...decodeAbortedTxns(await fs.readFile(path.join(DIR, n))).map((t) => t.lastOffset));
  return out;
}

describe('ProducerStateStore', () => {
  it('loads from the newest snapshot and replays only the log after it; keeps the newest two', async () => {
    const { fs, log, state, driver, txn, idempotent } = await setUp();
    for (let i = 0; i < 3; i++) {
      await driver.produce(txn, 2);
      await driver.produce(idempotent, 1);
      await driver.endTransaction(txn, i !== 1);
      await driver.store.takeSnapshot();
    }
    await driver.produce(txn, 1);
    const snapshots = (await fs.readdir(DIR)).filter((n) => n.endsWith('.snapshot'));
    assert.deepEqual(snapshots.sort(), [snapshotFileName(8n), snapshotFileName(12n)]);
    const loaded = await reload(log);
    assert.equal(loaded.snapshot, 12n);
    assert.equal(loaded.scannedBytes, (await log.readRecords(12n, 1 << 20, log.logEndOffset)).length);
    assert.deepEqual(summary(loaded.state), summary(state));
    assert.equal(loaded.state.firstUnstableOffset(), 12n);
  });

  it('a snapshot is taken only at a new log end offset (Kafka\'s takeSnapshot), also after a reload', async () => {
    const { fs, log, driver, idempotent } = await setUp();
    await driver.produce(idempotent, 2);
    await driver.store.takeSnapshot();
    const ops = fs.operations;
    await driver.store.takeSnapshot();
    assert.equal(fs.operations, ops, 'nothing written or listed at the same offset');
    const state = new ProducerStateManager('t-0');
    const reloaded = new ProducerStateStore(log, state);
    await reloaded.load();
    const afterLoad = fs.operations;
    await reloaded.takeSnapshot();
    assert.equal(fs.operations, afterLoad, 'the loaded snapshot is at the log end already');
    await new ProducerDriver(log, state, reloaded).produce(idempotent, 1);
    await reloaded.takeSnapshot();
    assert.ok((await fs.readdir(DIR)).includes(snapshotFileName(log.logEndOffset)), 'a new offset gets its snapshot');
  });

  it('ignores a torn snapshot and a missing one: the log is replayed', async () => {
    const { fs, log, state, driver, txn, idempotent } = await setUp();
    await driver.produce(txn, 2);
    await driver.endTransaction(txn, false);
    await driver.store.takeSnapshot();
    await driver.produce(idempotent, 3);
    await driver.store.takeSnapshot();
    const newest = path.join(DIR, snapshotFileName(log.logEndOffset));
    const bytes = await fs.readFile(newest);
    bytes[bytes.length - 1]! ^= 0xff;
    const fh = await fs.open(newest, 'readwrite');
    await fh.write(bytes, 0, bytes.length, 0);
    await fh.close();
    const fromOlder = await reload(log);
    assert.equal(fromOlder.snapshot, 3n, 'the torn one is skipped');
    assert.deepEqual(summary(fromOlder.state), summary(state));
    assert.ok(!(await fs.readdir(DIR)).includes(snapshotFileName(6n)), 'the torn snapshot is removed');
    await fs.remove(path.join(DIR, snapshotFileName(3n)));
    const fromLog = await reload(log);
    assert.equal(fromLog.snapshot, undefined);
    assert.deepEqual(summary(fromLog.state), summary(state));
  });

  it('rebuilds index entries from the replay start on: a torn tail or a lost entry comes back as the markers say', async () => {
    const { fs, log, driver, txn } = await setUp();
    await driver.produce(txn, 1);
    await driver.endTransaction(txn, false); // abort at 1
    await driver.store.takeSnapshot(); // at 2: the abort at 1 is trusted from the index from now on
    await driver.produce(txn, 1);
    await driver.endTransaction(txn, false); // abort at 3
    const index = path.join(DIR, txnIndexFileName(0n));
    assert.deepEqual(await indexedAborts(fs), [1n, 3n]);
    // Lose the second entry and leave garbage in its place.
    const fh = await fs.open(index, 'readwrite');
    await fh.truncate(34);
    await fh.write(Buffer.alloc(20, 0x5a), 0, 20, 34);
    await fh.close();
    const loaded = await reload(log);
    assert.deepEqual(loaded.state.aborted.map((t) => t.lastOffset), [1n, 3n]);
    assert.deepEqual(await indexedAborts(fs), [1n, 3n]);
    assert.equal((await fs.readFile(index)).length, 2 * 34);
    assert.deepEqual(producerStateOf(splitBatches(await log.readRecords(0n, 1 << 20, log.logEndOffset))).aborted.map((t) => t.lastOffset), [1n, 3n]);
  });

  it('writes each abort to the index of the segment holding its marker, and drops indexes of deleted segments', async () => {
    const { fs, log, driver, txn } = await setUp();
    await driver.produce(txn, 1);
    await driver.endTransaction(txn, false); // abort at 1, segment 0
    await log.roll();
    await driver.produce(txn, 1);
    await driver.endTransaction(txn, false); // abort at 3, segment 2
    assert.deepEqual(decodeAbortedTxns(await fs.readFile(path.join(DIR, txnIndexFileName(0n)))).map((t) => t.lastOffset), [1n]);
    assert.deepEqual(decodeAbortedTxns(await fs.readFile(path.join(DIR, txnIndexFileName(2n)))).map((t) => t.lastOffset), [3n]);
    log.updateHighWatermark(log.logEndOffset);
    await log.advanceLogStartOffset(2n);
    const loaded = await reload(log);
    assert.deepEqual(loaded.state.aborted.map((t) => t.lastOffset), [3n]);
    assert.ok(!(await fs.readdir(DIR)).includes(txnIndexFileName(0n)));
  });
});
