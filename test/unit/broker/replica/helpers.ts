import { newPartition as newPartitionRegistration } from '../../../../src/broker/metadata/image.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { buildRecordBatch, validateBatches } from '../../../../src/protocol/records/index.js';
import { DEFAULT_LOG_CONFIG, NodeFileSystem, createPartitionLog, createStorageContext, type PartitionLog } from '../../../../src/storage/index.js';
import type { ClientBatch } from '../../../../src/storage/producer-state.js';
import { Partition, type AlterPartitionListener, type PartitionListener } from '../../../../src/broker/replica/partition.js';
import type { MockTime } from '../../../../src/util/time.js';

const dirs: string[] = [];
const logs: PartitionLog[] = [];
after(async () => {
  for (const l of logs) await l.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A partition over a real log in a temporary directory (producer state writes its .txnindex there). */
export async function newPartition(time: MockTime, options: { localBrokerId?: number; listener?: PartitionListener; onAlterPartition?: AlterPartitionListener; name?: string } = {}): Promise<Partition> {
  const root = await mkdtemp(join(tmpdir(), 'samsa-partition-'));
  dirs.push(root);
  const ctx = createStorageContext(new NodeFileSystem(), { now: () => time.now() });
  const name = options.name ?? 't';
  const log = await createPartitionLog(ctx, { topic: name, partition: 0, dir: join(root, `${name}-0`), config: { ...DEFAULT_LOG_CONFIG, fileDeleteDelayMs: 0 } });
  logs.push(log);
  const topic = { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [newPartitionRegistration([1])], configs: {}, internal: false };
  return new Partition(topic, 0, log, { localBrokerId: options.localBrokerId ?? 1, time, listener: options.listener, onAlterPartition: options.onAlterPartition });
}

export interface ProducerBatch {
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  records?: number;
  timestamp?: number;
}

/** A client's batch and what the validator would say of it. */
export function clientBatch(spec: ProducerBatch = {}): { records: Buffer; batch: ClientBatch } {
  const n = spec.records ?? 1;
  const records = buildRecordBatch(
    Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })),
    { producerId: spec.producerId ?? -1n, producerEpoch: spec.producerEpoch ?? -1, baseSequence: spec.baseSequence ?? -1, transactional: spec.transactional ?? false, timestamp: spec.timestamp ?? 1_700_000_000_000 },
  );
  return { records, batch: validateBatches(records) };
}

/** Appends a client's batch as the produce path does after validation. */
export function appendClient(p: Partition, spec: ProducerBatch = {}): ReturnType<Partition['appendFromClient']> {
  const { records, batch } = clientBatch(spec);
  return p.appendFromClient(records, batch);
}
