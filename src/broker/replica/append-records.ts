/**
 * The leader's half of a produce for one partition (Kafka's ReplicaManager.appendToLocalLog with
 * Partition.appendRecordsToLeader): checks the partition, the ISR size acks=all needs, validates
 * once (log-validator.ts), verifies a transaction's first write with its coordinator (KIP-890),
 * then appends under the producer state check. Errors become Kafka's codes, with or without the
 * log start offset as Kafka answers them.
 */
import { ProducerStateError } from '../../storage/producer-state.js';
import { ErrorCode } from '../errors.js';
import { toErrorCode } from '../storage-errors.js';
import type { Logger } from '../../util/logger.js';
import { RecordsRejection, validateRecords, type RecordError } from './log-validator.js';
import type { Partition } from './partition.js';

/** Asks the transaction coordinator whether these partitions are in the producer's transaction: an error code by partition. */
export type TransactionVerifier = (transactionalId: string, producerId: bigint, producerEpoch: number, partitions: { topic: string; partition: number }[]) => Promise<Map<string, number>>;

export interface AppendEntry {
  topic: string;
  partition: number;
  records: Buffer | null;
}

export interface AppendRecordsRequest {
  /** -1 (all), 0 or 1; the handler refused others. */
  requiredAcks: number;
  timeoutMs: number;
  /** The Produce request's version (what the validator allows, which errors it knows). */
  apiVersion: number;
  /** Non-null: transactional first writes are verified with the coordinator. */
  transactionalId: string | null;
  entries: AppendEntry[];
}

export interface AppendPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
  recordErrors: RecordError[];
  baseOffset: bigint;
  /** The last offset appended (-1 if none): acks=all waits for the high watermark to pass it. */
  lastOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
}

/** Errors Kafka's ReplicaManager answers without the log start offset (unknown partition, not leader, too large, corrupt, storage, unknown topic id). */
const NO_LOG_START_OFFSET = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.CORRUPT_MESSAGE, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.UNKNOWN_TOPIC_ID]);

/**
 * A transaction verification error as Kafka 4.1 hands it to a request: PRODUCER_FENCED becomes
 * INVALID_PRODUCER_EPOCH; TRANSACTION_ABORTABLE (a partition not in the transaction), which
 * requests that predate it (Produce v10-, TxnOffsetCommit v3-) do not know, becomes `legacy`
 * (INVALID_TXN_STATE for both).
 */
export function verificationError(code: number, abortableSupported: boolean, legacy: number): number {
  if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (code === ErrorCode.TRANSACTION_ABORTABLE && !abortableSupported) return legacy;
  return code;
}

export function appendFailed(entry: AppendEntry, errorCode: number, errorMessage: string | null = null, recordErrors: RecordError[] = [], logStartOffset = -1n): AppendPartitionResult {
  return { topic: entry.topic, partition: entry.partition, errorCode, errorMessage, recordErrors, baseOffset: -1n, lastOffset: -1n, logAppendTimeMs: -1n, logStartOffset };
}

export interface AppendContext {
  now: number;
  verify: TransactionVerifier;
  logger: Logger;
}

/** One partition's append as leader; never throws for a refusal, only answers it. */
export async function appendToLeader(partition: Partition | undefined, entry: AppendEntry, req: AppendRecordsRequest, ctx: AppendContext): Promise<AppendPartitionResult> {
  if (!partition) return appendFailed(entry, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (partition.topic.internal) return appendFailed(entry, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${entry.topic}`);
  if (!partition.isLeader) return appendFailed(entry, ErrorCode.NOT_LEADER_OR_FOLLOWER, `This server is not the leader for partition ${partition.name}`);
  if (entry.records === null || entry.records.length === 0) return appendFailed(entry, ErrorCode.INVALID_RECORD, 'no records');
  // acks=all needs min(min.insync.replicas, replication factor) replicas in sync: one node is
  // the whole replica set, so this never refuses there.
  const enough = partition.checkEnoughReplicasToAppend(req.requiredAcks);
  if (enough !== ErrorCode.NONE) return appendFailed(entry, enough, `The size of the current ISR [${partition.isr}] is insufficient to satisfy the min.isr requirement of ${partition.effectiveMinIsr} for partition ${partition.name}`, [], partition.logStartOffset);
  let validated;
  try {
    validated = validateRecords(entry.records, { apiVersion: req.apiVersion, config: partition.log.config, checks: partition.checks, partitionName: partition.name, now: ctx.now });
  } catch (e) {
    if (e instanceof RecordsRejection) return appendFailed(entry, e.code, e.message, e.recordErrors, e.withLogStart ? partition.logStartOffset : -1n);
    throw e;
  }
  const { records, summary } = validated;
  if (summary.isTransactional && summary.producerId >= 0n && req.transactionalId !== null && !partition.hasOngoingTransaction(summary.producerId, summary.producerEpoch)) {
    // KIP-890 part 1: the first write of a transaction (of this producer epoch) must be to a
    // partition the coordinator added (Kafka's verification guard).
    const code = (await ctx.verify(req.transactionalId, summary.producerId, summary.producerEpoch, [{ topic: entry.topic, partition: entry.partition }])).values().next().value ?? ErrorCode.NONE;
    if (code !== ErrorCode.NONE) return appendFailed(entry, verificationError(code, req.apiVersion >= 11, ErrorCode.INVALID_TXN_STATE), 'transaction verification failed');
  }
  try {
    const info = await partition.appendFromClient(records, summary, summary);
    return { ...appendFailed(entry, ErrorCode.NONE), baseOffset: info.firstOffset, lastOffset: info.lastOffset, logAppendTimeMs: info.logAppendTime, logStartOffset: info.logStartOffset };
  } catch (e) {
    const logStart = (code: number) => (NO_LOG_START_OFFSET.has(code) ? -1n : partition.logStartOffset);
    if (e instanceof ProducerStateError) return appendFailed(entry, e.code, e.message, [], logStart(e.code));
    const code = toErrorCode(e);
    if (code === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.logger.error('append failed', { partition: partition.name, error: e });
    return appendFailed(entry, code, e instanceof Error ? e.message : String(e), [], logStart(code));
  }
}
