/**
 * Transactional produce next to plain idempotent produce, in the same run, same client
 * (KafkaJS), same in-process broker (durable flush: fdatasync before every ack):
 *
 *  - idempotent: `send` of 100 records at a time (acks=all), one after the other;
 *  - transactional: transactions of 100 records (AddPartitionsToTxn, Produce, EndTxn with the
 *    markers written and synced on every partition before EndTxn answers), one after the other;
 *  - transactional + sendOffsets: the same with AddOffsetsToTxn/TxnOffsetCommit in every
 *    transaction (a consume-transform-produce loop's cost, without the consume).
 *
 * Run: node dist/bench/transactions.js [records, default 20000]. Prints a table and one JSON line.
 */
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../src/index.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');

const RECORDS = Number(process.argv[2] ?? 20_000);
const PER_TXN = 100;
const PARTITIONS = 3;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-txn-'));
  const broker = await startBroker({ logDirs: dir, config: { 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3, 'samsa.log.level': 'error' } });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'bench-txn', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: ['idem', 'txn', 'txn-offsets'].map((topic) => ({ topic, numPartitions: PARTITIONS })) });
  await admin.disconnect();
  const value = Buffer.alloc(100, 'x');
  const chunk = (n: number) => Array.from({ length: PER_TXN }, (_, i) => ({ key: `k${n * PER_TXN + i}`, value }));
  const rows: { name: string; recordsPerSec: number; ms: number; msPerBatch: number }[] = [];

  async function measure(name: string, run: (n: number) => Promise<void>): Promise<void> {
    const batches = RECORDS / PER_TXN;
    for (let n = 0; n < 5; n++) await run(n); // warm-up
    const t0 = performance.now();
    for (let n = 0; n < batches; n++) await run(n);
    const ms = performance.now() - t0;
    rows.push({ name, recordsPerSec: Math.round((RECORDS / ms) * 1000), ms: Math.round(ms), msPerBatch: +(ms / batches).toFixed(2) });
  }

  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  await measure('idempotent, 100-record sends', async (n) => {
    await idem.send({ topic: 'idem', acks: -1, messages: chunk(n) });
  });
  await idem.disconnect();

  const txp = kafka.producer({ transactionalId: 'bench-txn', idempotent: true, maxInFlightRequests: 1 });
  await txp.connect();
  await measure('transactional, 100-record transactions', async (n) => {
    const t = await txp.transaction();
    await t.send({ topic: 'txn', messages: chunk(n) });
    await t.commit();
  });
  await measure('transactional + sendOffsets, 100 records', async (n) => {
    const t = await txp.transaction();
    await t.send({ topic: 'txn-offsets', messages: chunk(n) });
    await t.sendOffsets({ consumerGroupId: 'bench-group', topics: [{ topic: 'txn-offsets', partitions: [{ partition: 0, offset: String(n) }] }] });
    await t.commit();
  });
  await txp.disconnect();
  await broker.close();
  await rm(dir, { recursive: true, force: true });

  const base = rows[0]!.recordsPerSec;
  console.log(`records: ${RECORDS} per scenario, ${PER_TXN} per send/transaction, ${PARTITIONS} partitions, durable flush, KafkaJS, in-process broker`);
  for (const r of rows) console.log(`${r.name.padEnd(44)} ${String(r.recordsPerSec).padStart(8)} records/s  ${String(r.msPerBatch).padStart(7)} ms per batch  (${((r.recordsPerSec / base) * 100).toFixed(0)}% of idempotent)`);
  console.log(JSON.stringify({ bench: 'transactions', records: RECORDS, perTxn: PER_TXN, rows }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
