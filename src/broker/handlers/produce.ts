// Produce (key 0), v0-11. v0-2 may carry legacy message sets (magic 0/1), converted to one
// magic-2 batch as Kafka's LogValidator does; v3+ must carry exactly one magic-2 batch per
// partition; zstd needs v7+ (KIP-110). acks=0 gets no response at all. The batches are
// checked from their headers (lengths, CRC32C, counts); uncompressed records are walked once
// without allocation; then the bytes are stored exactly as sent, offsets patched in the header.
import { Produce, type ProduceRequest, type ProduceResponse } from '../../protocol/generated/apis/0-produce.js';
import { KafkaDecodeError } from '../../protocol/runtime/index.js';
import { ProducerStateError } from '../../storage/producer-state.js';
import { isCompacted } from '../../storage/config.js';
import { type BatchesSummary, CompressionType, compressionTypeOf, firstRecordWithoutKey, recompressBatches, convertMessageSetToBatch, recordsMagic, validateBatches, validateBatchesDeep, batchSize, decodeRecordBatch, forEachRecord, ATTRIBUTES, BASE_OFFSET, MAGIC, RECORD_BATCH_OVERHEAD, TRANSACTIONAL_FLAG } from '../../protocol/records/index.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { toErrorCode } from '../storage-errors.js';

type PartitionResponse = ProduceResponse.PartitionProduceResponse;

/** A partition's records refused; `withLogStart`: Kafka answers with the log start offset (LogValidator's refusals). */
class Rejection extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly recordErrors: ProduceResponse.BatchIndexAndErrorMessage[] = [],
    readonly withLogStart = false,
  ) {
    super(message);
  }
}

/** Errors Kafka's ReplicaManager answers without the log start offset (unknown partition, not leader, too large, corrupt, storage, unknown topic id). */
const NO_LOG_START_OFFSET = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.RECORD_LIST_TOO_LARGE, ErrorCode.CORRUPT_MESSAGE, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.UNKNOWN_TOPIC_ID]);

/**
 * A partition named more than once in one request: Kafka keeps the last records for it (its
 * request becomes a map by partition), so only those are appended and answered.
 */
function lastOfEachPartition(topics: ProduceRequest.TopicProduceData[]): ProduceRequest.TopicProduceData[] {
  const byTopic = new Map<string, Map<number, ProduceRequest.PartitionProduceData>>();
  let duplicates = false;
  for (const t of topics) {
    let parts = byTopic.get(t.name);
    if (parts) duplicates = true;
    else byTopic.set(t.name, (parts = new Map()));
    for (const p of t.partitionData) {
      if (parts.has(p.index)) duplicates = true;
      parts.set(p.index, p);
    }
  }
  if (!duplicates) return topics;
  return [...byTopic].map(([name, parts]) => ({ name, partitionData: [...parts.values()] }));
}

/** Whether the first batch of a partition's records is transactional (Kafka's ProduceRequest.hasTransactionalRecords). */
function isTransactionalBatch(records: Buffer | null): boolean {
  return records !== null && records.length >= RECORD_BATCH_OVERHEAD && records.readInt8(MAGIC) === 2 && (records.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_FLAG) !== 0;
}

/**
 * LogValidator.validateTimestamp for CreateTime records: every record outside
 * [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] is one error,
 * its batchIndex the record's index among the partition's records.
 */
function recordsOutOfTime(batches: Buffer, now: bigint, beforeMaxMs: bigint, afterMaxMs: bigint, maxDecompressedBytes: number): ProduceResponse.BatchIndexAndErrorMessage[] {
  // Unchecked limits are Long.MAX_VALUE, and the bounds computed in Java's int64 arithmetic (they go into the message).
  const LONG_MAX = 0x7fffffffffffffffn;
  const lo = BigInt.asIntN(64, now - (beforeMaxMs >= BigInt(Number.MAX_SAFE_INTEGER) ? LONG_MAX : beforeMaxMs));
  const hi = BigInt.asIntN(64, now + (afterMaxMs >= BigInt(Number.MAX_SAFE_INTEGER) ? LONG_MAX : afterMaxMs));
  const tooOld = (ts: bigint) => beforeMaxMs < BigInt(Number.MAX_SAFE_INTEGER) && now - ts > beforeMaxMs;
  const tooNew = (ts: bigint) => afterMaxMs < BigInt(Number.MAX_SAFE_INTEGER) && ts - now > afterMaxMs;
  const errors: ProduceResponse.BatchIndexAndErrorMessage[] = [];
  let index = 0;
  for (let at = 0; at < batches.length; ) {
    const batch = decodeRecordBatch(batches, at, { maxDecompressedBytes, verifyCrc: false });
    forEachRecord(batch, (r, i) => {
      if (r.timestamp !== -1n && (tooOld(r.timestamp) || tooNew(r.timestamp))) {
        errors.push({ batchIndex: index + i, batchIndexErrorMessage: `Timestamp ${r.timestamp} of message with offset ${r.offset} is out of range. The timestamp should be within [${lo}, ${hi}]` });
      }
    });
    index += batch.recordsCount;
    at += batch.sizeInBytes;
  }
  return errors;
}

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

export function produceHandler(broker: BrokerContext): ApiHandler<ProduceRequest, ProduceResponse> {
  const response = (index: number, errorCode: number, errorMessage: string | null = null, recordErrors: ProduceResponse.BatchIndexAndErrorMessage[] = [], logStartOffset = -1n): PartitionResponse => ({
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset,
    recordErrors,
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  });

  /**
   * Checks one partition's records and returns the magic-2 bytes to append. Throws a Rejection:
   * as Kafka, what its ProduceRequest.validateRecords, size and CRC checks refuse carries no log
   * start offset; what its LogValidator refuses (InvalidRecordException, per-record errors) does.
   */
  function validate(records: Buffer, version: number, maxMessageBytes: number, timestampType: string, beforeMaxMs: number, afterMaxMs: number): { batches: Buffer; summary: BatchesSummary } {
    let batches = records;
    if (records.length >= 17 && recordsMagic(records) < 2) {
      if (version >= 3) throw new Rejection(ErrorCode.INVALID_RECORD, `Produce requests with version 3 or above are only allowed to contain record batches with magic version 2`);
      batches = convertMessageSetToBatch(records, { maxDecompressedBytes: maxMessageBytes * 64 });
      if (batches.length === 0) throw new Rejection(ErrorCode.INVALID_RECORD, 'empty message set');
    }
    let summary: BatchesSummary;
    try {
      summary = validateBatches(batches, { maxDecompressedBytes: maxMessageBytes * 64 });
    } catch (e) {
      if (!(e instanceof KafkaDecodeError)) throw e;
      // A batch cut short: Kafka's reader sees no (complete) batch at all.
      if (e.path.endsWith('.batchLength') && e.reason.includes('overruns')) throw new Rejection(ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or above must have at least one record batch per partition');
      // LogValidator.validateBatch: the offset range and the count must agree.
      if (/\.(lastOffsetDelta|recordsCount)$/.test(e.path) && /does not match|at least one record/.test(e.reason)) throw new Rejection(ErrorCode.INVALID_RECORD, e.message, [], true);
      throw new Rejection(ErrorCode.CORRUPT_MESSAGE, e.message);
    }
    if (summary.batchCount === 0) throw new Rejection(ErrorCode.INVALID_RECORD, 'no record batch');
    if (version >= 3 && summary.batchCount !== 1) {
      throw new Rejection(ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or higher must contain exactly one record batch per partition');
    }
    if (summary.compression === CompressionType.Zstd && version < 7) {
      throw new Rejection(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with ZStandard compression need version 7 or higher');
    }
    for (let at = 0; at < batches.length; at += batchSize(batches, at)) {
      const base = batches.readBigInt64BE(at + BASE_OFFSET);
      if (base !== 0n) throw new Rejection(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch should be 0, but it is ${base}`, [], true);
    }
    if (summary.isControl) throw new Rejection(ErrorCode.INVALID_RECORD, 'Control batches cannot be produced by clients', [], true);
    if (summary.mixed) throw new Rejection(ErrorCode.INVALID_RECORD, 'batches of one partition differ in codec or producer', [], true);
    // Every record is read, compressed batches decompressed, as Kafka's LogValidator does: what
    // cannot be read is refused rather than stored for consumers to fail on.
    try {
      validateBatchesDeep(batches, { maxDecompressedBytes: maxMessageBytes * 64 });
    } catch (e) {
      if (e instanceof KafkaDecodeError) throw new Rejection(ErrorCode.INVALID_RECORD, e.message, [], true);
      throw e;
    }
    if (timestampType === 'CreateTime' && (beforeMaxMs < Number.MAX_SAFE_INTEGER || afterMaxMs < Number.MAX_SAFE_INTEGER)) {
      const errors = recordsOutOfTime(batches, BigInt(Date.now()), BigInt(beforeMaxMs), BigInt(afterMaxMs), maxMessageBytes * 64);
      if (errors.length) throw new Rejection(ErrorCode.INVALID_TIMESTAMP, errors[0]!.batchIndexErrorMessage ?? 'Timestamp out of range', errors, true);
    }
    return { batches, summary };
  }

  async function producePartition(topicName: string, data: ProduceRequest.PartitionProduceData, version: number, transactionalId: string | null): Promise<PartitionResponse> {
    const partition = broker.replicas.partition(topicName, data.index);
    if (!partition) return response(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (partition.topic.internal) return response(data.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topicName}`);
    if (data.records === null || data.records.length === 0) return response(data.index, ErrorCode.INVALID_RECORD, 'no records');
    const checks = partition.checks;
    let batches: Buffer;
    let summary: BatchesSummary;
    try {
      ({ batches, summary } = validate(data.records, version, partition.log.config.maxMessageBytes, checks.timestampType, checks.timestampBeforeMaxMs, checks.timestampAfterMaxMs));
    } catch (e) {
      if (e instanceof Rejection) return response(data.index, e.code, e.message, e.recordErrors, e.withLogStart ? partition.logStartOffset : -1n);
      if (e instanceof KafkaDecodeError) return response(data.index, ErrorCode.CORRUPT_MESSAGE, e.message);
      throw e;
    }
    // Topic compression.type set to a codec other than the producer's: the broker re-encodes (as Kafka's LogValidator).
    const codec = compressionTypeOf(partition.log.config.compressionType);
    if (codec !== undefined && summary.compression !== codec) {
      try {
        const c = partition.log.config;
        const level = codec === CompressionType.Gzip ? c.gzipLevel : codec === CompressionType.Zstd ? c.zstdLevel : undefined;
        batches = recompressBatches(batches, codec, { maxDecompressedBytes: c.maxMessageBytes * 64, level });
      } catch (e) {
        if (e instanceof KafkaDecodeError) return response(data.index, ErrorCode.CORRUPT_MESSAGE, e.message);
        throw e;
      }
    }
    if (isCompacted(partition.log.config)) {
      const at = firstRecordWithoutKey(batches, partition.log.config.maxMessageBytes * 64);
      if (at >= 0) {
        const message = `Compacted topic cannot accept message without key in topic partition ${partition.name}`;
        return response(data.index, ErrorCode.INVALID_RECORD, message, [{ batchIndex: at, batchIndexErrorMessage: message }], partition.logStartOffset);
      }
    }
    const entry = summary.isTransactional && summary.producerId >= 0n ? partition.producers.entry(summary.producerId) : undefined;
    if (summary.isTransactional && summary.producerId >= 0n && transactionalId !== null && ((entry?.currentTxnFirstOffset ?? -1n) === -1n || entry!.epoch !== summary.producerEpoch)) {
      // KIP-890 part 1: the first write of a transaction (of this producer epoch) must be to a
      // partition the coordinator added (Kafka's hasOngoingTransaction(producerId, epoch)).
      const code = (await broker.txn.verifyPartitions(transactionalId, summary.producerId, summary.producerEpoch, [{ topic: topicName, partition: data.index }])).values().next().value ?? ErrorCode.NONE;
      if (code !== ErrorCode.NONE) return response(data.index, verificationError(code, version >= 11, ErrorCode.INVALID_TXN_STATE), 'transaction verification failed');
    }
    try {
      const info = await partition.appendFromClient(batches, summary);
      return {
        ...response(data.index, ErrorCode.NONE),
        baseOffset: info.firstOffset,
        logAppendTimeMs: info.logAppendTime,
        logStartOffset: info.logStartOffset,
      };
    } catch (e) {
      // ReplicaManager.appendToLocalLog: errors other than these carry the log start offset.
      const logStart = (code: number) => (NO_LOG_START_OFFSET.has(code) ? -1n : partition.logStartOffset);
      if (e instanceof ProducerStateError) return response(data.index, e.code, e.message, [], logStart(e.code));
      const code = toErrorCode(e);
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.logger.error('append failed', { partition: partition.name, error: e });
      return response(data.index, code, e instanceof Error ? e.message : String(e), [], logStart(code));
    }
  }

  return {
    api: Produce,
    minVersion: 0,
    maxVersion: 11,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
      const topicData = lastOfEachPartition(req.topicData);
      // KafkaApis: transactional records need a transactional id (authorised for WRITE).
      if (req.transactionalId === null && topicData.some((t) => t.partitionData.some((p) => isTransactionalBatch(p.records)))) {
        if (req.acks === 0) {
          ctx.closeConnection?.();
          return null;
        }
        const responses = topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => response(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)) }));
        return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
      }
      // acks=all needs min(min.insync.replicas, replication factor) replicas in sync (Kafka 4's
      // effectiveMinIsr): one node is the whole replica set, so NOT_ENOUGH_REPLICAS never applies.
      const responses = await Promise.all(
        topicData.map(async (t) => ({
          name: t.name,
          partitionResponses: await Promise.all(
            t.partitionData.map((p) => (!acksValid ? Promise.resolve(response(p.index, ErrorCode.INVALID_REQUIRED_ACKS)) : producePartition(t.name, p, v, v >= 3 ? req.transactionalId : null))),
          ),
        })),
      );
      // acks=0: the client reads no response; on any error Kafka closes the connection instead.
      if (req.acks === 0) {
        if (responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE))) ctx.closeConnection?.();
        return null;
      }
      return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    },
  };
}
