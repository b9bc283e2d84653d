/**
 * The records of `__transaction_state`, in Kafka's formats: a TransactionLogKey (int16 version
 * 0 + transactional id) and a TransactionLogValue (int16 version + value), or null for a
 * tombstone (the id expired). Partitioned by Utils.abs(transactionalId.hashCode()) % partitions.
 */
import { TransactionLogKeyCodec } from '../../protocol/generated/internal/transaction-log-key.js';
import { TransactionLogValueCodec, type TransactionLogValue } from '../../protocol/generated/internal/transaction-log-value.js';
import { Reader, Writer, decodeMessage } from '../../protocol/runtime/index.js';
import { partitionForKey } from '../runtime/partitioning.js';
import type { RecordSerde } from '../runtime/shard.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** TransactionState ids as stored in TransactionLogValue.transactionStatus. */
export const enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export const TXN_STATE_NAMES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, TopicPartition>;
  startTimestamp: number;
  lastUpdateTimestamp: number;
  /** An operation (markers being written) is under way: others get CONCURRENT_TRANSACTIONS. In memory only, never replayed. */
  pending: boolean;
  /**
   * Kafka's lastProducerEpoch (KIP-360): the epoch before the last bump that a producer may still
   * name to recover (fenced by a timeout, or a retried InitProducerId), -1 when none. Carried by
   * the records an operation writes but not encoded: after a restart such a producer is fenced,
   * as with a Kafka coordinator that moved.
   */
  lastProducerEpoch?: number;
}

/** One record of `__transaction_state`: a transactional id's metadata, or null (a tombstone). */
export interface TxnRecord {
  transactionalId: string;
  value: TxnMetadata | null;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function partitionForTransactionalId(transactionalId: string, partitions: number): number {
  return partitionForKey(transactionalId, partitions);
}

function encodeKey(transactionalId: string): Buffer {
  const k = new Writer(2 + TransactionLogKeyCodec.size({ transactionalId }, 0));
  k.int16(0);
  TransactionLogKeyCodec.write(k, { transactionalId }, 0);
  return k.finish();
}

/** Key and value bytes of a transactional id's metadata (TransactionLogValue v0). */
export function encodeTxnRecord(m: TxnMetadata): { key: Buffer; value: Buffer } {
  const byTopic = new Map<string, number[]>();
  for (const tp of m.partitions.values()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const value: TransactionLogValue = {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    transactionStatus: m.state,
    transactionPartitions: m.state === TxnState.Empty ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: BigInt(m.lastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(m.startTimestamp),
  };
  const v = new Writer(2 + TransactionLogValueCodec.size(value, 0));
  v.int16(0);
  TransactionLogValueCodec.write(v, value, 0);
  return { key: encodeKey(m.transactionalId), value: v.finish() };
}

export function decodeTxnRecord(keyBytes: Buffer, valueBytes: Buffer | null): TxnRecord | undefined {
  const kv = new Reader(keyBytes).int16('key.version');
  if (kv !== 0) return undefined;
  const k = decodeMessage(TransactionLogKeyCodec, keyBytes, 0, 2);
  if (valueBytes === null) return { transactionalId: k.transactionalId, value: null };
  const vv = new Reader(valueBytes).int16('value.version');
  const v = vv > 1 ? TransactionLogValueCodec.read(new Reader(valueBytes, 2), 1) : decodeMessage(TransactionLogValueCodec, valueBytes, vv, 2);
  const partitions = new Map<string, TopicPartition>();
  for (const t of v.transactionPartitions ?? []) for (const p of t.partitionIds) partitions.set(tpKey(t.topic, p), { topic: t.topic, partition: p });
  return {
    transactionalId: k.transactionalId,
    value: {
      transactionalId: k.transactionalId,
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      timeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      startTimestamp: Number(v.transactionStartTimestampMs),
      lastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
      pending: false,
    },
  };
}

/** The serde the runtime appends and loads `__transaction_state` with. */
export const TXN_RECORD_SERDE: RecordSerde<TxnRecord> = {
  encode: (r) => (r.value === null ? { key: encodeKey(r.transactionalId), value: null } : encodeTxnRecord(r.value)),
  decode: decodeTxnRecord,
};
