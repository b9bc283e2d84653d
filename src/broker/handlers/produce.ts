// Produce (key 0), v0-11. v0-2 may carry legacy message sets (magic 0/1), converted to one
// magic-2 batch as Kafka's LogValidator does; v3+ must carry exactly one magic-2 batch per
// partition; zstd needs v7+ (KIP-110). acks=0 gets no response at all. The batches are
// checked from their headers (lengths, CRC32C, counts); uncompressed records are walked once
// without allocation; then the bytes are stored exactly as sent, offsets patched in the header.
import { Produce, type ProduceRequest, type ProduceResponse } from '../../protocol/generated/apis/0-produce.js';
import { KafkaDecodeError } from '../../protocol/runtime/index.js';
import { ProducerStateError } from '../../storage/producer-state.js';
import { isCompacted } from '../../storage/config.js';
import { effectiveTopicConfig } from '../topic-configs.js';
import { type BatchesSummary, CompressionType, compressionTypeOf, firstRecordWithoutKey, recompressBatches, convertMessageSetToBatch, recordsMagic, validateBatches, validateBatchesDeep, BASE_TIMESTAMP } from '../../protocol/records/index.js';
import type { Broker } from '../broker.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { toErrorCode } from '../storage-errors.js';

type PartitionResponse = ProduceResponse.PartitionProduceResponse;

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

/** Whether the first batch of these records is transactional (magic 2, attributes bit 4). */
function isTransactionalRecords(records: Buffer | null): boolean {
  return records !== null && records.length >= 23 && records.readInt8(16) === 2 && (records.readInt16BE(21) & 0x10) !== 0;
}

export function produceHandler(broker: Broker): ApiHandler<ProduceRequest, ProduceResponse> {
  const response = (index: number, errorCode: number, errorMessage: string | null = null, batchIndex?: number): PartitionResponse => ({
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: batchIndex === undefined ? [] : [{ batchIndex, batchIndexErrorMessage: errorMessage }],
    errorMessage,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  });

  /** Checks one partition's records and returns the magic-2 bytes to append. */
  function validate(records: Buffer, version: number, maxMessageBytes: number, timestampType: string, beforeMaxMs: number, afterMaxMs: number): { batches: Buffer; summary: BatchesSummary } {
    let batches = records;
    if (records.length >= 17 && recordsMagic(records) < 2) {
      if (version >= 3) throw new KafkaError(ErrorCode.INVALID_RECORD, `Produce v${version} requires record batches of magic 2`);
      batches = convertMessageSetToBatch(records, { maxDecompressedBytes: maxMessageBytes * 64 });
      if (batches.length === 0) throw new KafkaError(ErrorCode.INVALID_RECORD, 'empty message set');
    }
    const summary = validateBatches(batches, { maxDecompressedBytes: maxMessageBytes * 64 });
    if (summary.batchCount === 0) throw new KafkaError(ErrorCode.INVALID_RECORD, 'no record batch');
    if (version >= 3 && summary.batchCount !== 1) {
      throw new KafkaError(ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or higher must contain exactly one record batch per partition');
    }
    if (summary.isControl) throw new KafkaError(ErrorCode.INVALID_RECORD, 'Control batches cannot be produced by clients');
    if (summary.compression === CompressionType.Zstd && version < 7) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with ZStandard compression need version 7 or higher');
    }
    if (summary.mixed) throw new KafkaError(ErrorCode.INVALID_RECORD, 'batches of one partition differ in codec or producer');
    if (summary.compression === CompressionType.None) validateBatchesDeep(batches);
    if (timestampType === 'CreateTime' && (beforeMaxMs < Number.MAX_SAFE_INTEGER || afterMaxMs < Number.MAX_SAFE_INTEGER)) {
      const now = BigInt(Date.now());
      const first = batches.readBigInt64BE(BASE_TIMESTAMP);
      if ((first >= 0n && now - first > BigInt(beforeMaxMs)) || summary.maxTimestamp - now > BigInt(afterMaxMs)) {
        throw new KafkaError(ErrorCode.INVALID_TIMESTAMP, `Timestamp out of range (message.timestamp.before/after.max.ms)`);
      }
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
      if (e instanceof KafkaError) return response(data.index, e.code, e.message, 0);
      if (e instanceof KafkaDecodeError) return response(data.index, ErrorCode.CORRUPT_MESSAGE, e.message, 0);
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
        if (e instanceof KafkaDecodeError) return response(data.index, ErrorCode.CORRUPT_MESSAGE, e.message, 0);
        throw e;
      }
    }
    if (isCompacted(partition.log.config)) {
      const at = firstRecordWithoutKey(batches, partition.log.config.maxMessageBytes * 64);
      if (at >= 0) return response(data.index, ErrorCode.INVALID_RECORD, `Compacted topic cannot accept message without key in topic partition ${partition.name}.`, at);
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
      // Kafka answers sequence and epoch errors with the partition's log start offset.
      if (e instanceof ProducerStateError) return { ...response(data.index, e.code, e.message), logStartOffset: partition.logStartOffset };
      const code = toErrorCode(e);
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.logger.error('append failed', { partition: partition.name, error: e });
      return response(data.index, code, e instanceof Error ? e.message : String(e));
    }
  }

  /** acks=all on a topic whose min.insync.replicas exceeds the ISR (this node alone): Kafka's NOT_ENOUGH_REPLICAS. */
  const notEnoughReplicas = (topicName: string): boolean => {
    const topic = broker.metadata.topic(topicName);
    return topic !== undefined && Number(effectiveTopicConfig(broker.config, topic.configs, 'min.insync.replicas').value) > 1;
  };

  return {
    api: Produce,
    minVersion: 0,
    maxVersion: 11,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
      // Transactional records need a transactional id (Kafka: the whole request fails its
      // TRANSACTIONAL_ID WRITE authorization).
      if (v >= 3 && req.transactionalId === null && req.topicData.some((t) => t.partitionData.some((p) => isTransactionalRecords(p.records)))) {
        if (req.acks === 0) return null;
        const responses = req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => response(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)) }));
        return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
      }
      const responses = await Promise.all(
        req.topicData.map(async (t) => ({
          name: t.name,
          partitionResponses: await Promise.all(
            t.partitionData.map((p) =>
              !acksValid
                ? Promise.resolve(response(p.index, ErrorCode.INVALID_REQUIRED_ACKS))
                : req.acks === -1 && notEnoughReplicas(t.name)
                  ? Promise.resolve(response(p.index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR 1 is insufficient to satisfy the min.isr requirement of topic ${t.name}`))
                  : producePartition(t.name, p, v, v >= 3 ? req.transactionalId : null),
            ),
          ),
        })),
      );
      // acks=0: the client reads no response (Kafka closes the connection on errors instead).
      if (req.acks === 0) return null;
      return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
    },
  };
}
