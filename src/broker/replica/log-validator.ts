/**
 * Kafka's LogValidator (with the checks of ProduceRequest.validateRecords before it): the one
 * place a produce's records for one partition are checked, run once. v0/v1 message sets become
 * one magic-2 batch; batch headers are walked once (lengths, CRC32C, counts: the BatchesSummary
 * the log then trusts); base offset and control flag checked; every record read (compressed
 * batches decompressed); CreateTime timestamps bounded; batches re-encoded to the topic's
 * compression.type; keys required on compacted topics. A refusal is a RecordsRejection whose
 * code, message, recordErrors and log-start-or-not are what Apache Kafka answers.
 */
import { KafkaDecodeError } from '../../protocol/runtime/index.js';
import { isCompacted, type LogConfig } from '../../storage/config.js';
import { type BatchesSummary, CompressionType, compressionTypeOf, firstRecordWithoutKey, recompressBatches, convertMessageSetToBatch, recordsMagic, validateBatches, validateBatchesDeep, batchSize, decodeRecordBatch, forEachRecord, BASE_OFFSET } from '../../protocol/records/index.js';
import { ErrorCode } from '../errors.js';

/** One record's refusal: its index among the partition's records (Kafka's RecordError). */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

/** Topic configs the produce path checks, parsed once per config change rather than per request. */
export interface ProduceChecks {
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms / after.max.ms; MAX_SAFE_INTEGER = unchecked. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

export const UNCHECKED_TIMESTAMPS: ProduceChecks = { timestampType: 'CreateTime', timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER };

/** A partition's records refused; `withLogStart`: Kafka answers with the log start offset (LogValidator's refusals). */
export class RecordsRejection extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly recordErrors: RecordError[] = [],
    readonly withLogStart = false,
  ) {
    super(message);
  }
}

export interface ValidationContext {
  /** The Produce request's version: v3+ allows only one magic-2 batch, zstd needs v7+. */
  apiVersion: number;
  config: LogConfig;
  checks: ProduceChecks;
  /** `topic-partition`, for messages. */
  partitionName: string;
  /** Milliseconds since the epoch, for the timestamp bounds. */
  now: number;
}

export interface ValidatedRecords {
  /** The magic-2 batches to append (the request's bytes unless converted or recompressed). */
  records: Buffer;
  /** Of `records`, computed once: the log trusts it instead of walking the headers again. */
  summary: BatchesSummary;
}

/** Validates one partition's records of a produce; throws RecordsRejection. */
export function validateRecords(records: Buffer, ctx: ValidationContext): ValidatedRecords {
  try {
    return validate(records, ctx);
  } catch (e) {
    if (e instanceof KafkaDecodeError) throw new RecordsRejection(ErrorCode.CORRUPT_MESSAGE, e.message);
    throw e;
  }
}

function validate(records: Buffer, ctx: ValidationContext): ValidatedRecords {
  const { apiVersion: version, config } = ctx;
  const maxDecompressedBytes = config.maxMessageBytes * 64;
  let batches = records;
  if (records.length >= 17 && recordsMagic(records) < 2) {
    if (version >= 3) throw new RecordsRejection(ErrorCode.INVALID_RECORD, `Produce requests with version 3 or above are only allowed to contain record batches with magic version 2`);
    batches = convertMessageSetToBatch(records, { maxDecompressedBytes });
    if (batches.length === 0) throw new RecordsRejection(ErrorCode.INVALID_RECORD, 'empty message set');
  }
  let summary: BatchesSummary;
  try {
    summary = validateBatches(batches, { maxDecompressedBytes });
  } catch (e) {
    if (!(e instanceof KafkaDecodeError)) throw e;
    // A batch cut short: Kafka's reader sees no (complete) batch at all.
    if (e.path.endsWith('.batchLength') && e.reason.includes('overruns')) throw new RecordsRejection(ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or above must have at least one record batch per partition');
    // LogValidator.validateBatch: the offset range and the count must agree.
    if (/\.(lastOffsetDelta|recordsCount)$/.test(e.path) && /does not match|at least one record/.test(e.reason)) throw new RecordsRejection(ErrorCode.INVALID_RECORD, e.message, [], true);
    throw new RecordsRejection(ErrorCode.CORRUPT_MESSAGE, e.message);
  }
  if (summary.batchCount === 0) throw new RecordsRejection(ErrorCode.INVALID_RECORD, 'no record batch');
  if (version >= 3 && summary.batchCount !== 1) {
    throw new RecordsRejection(ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or higher must contain exactly one record batch per partition');
  }
  if (summary.compression === CompressionType.Zstd && version < 7) {
    throw new RecordsRejection(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests with ZStandard compression need version 7 or higher');
  }
  for (let at = 0; at < batches.length; at += batchSize(batches, at)) {
    const base = batches.readBigInt64BE(at + BASE_OFFSET);
    if (base !== 0n) throw new RecordsRejection(ErrorCode.INVALID_RECORD, `The baseOffset of the record batch should be 0, but it is ${base}`, [], true);
  }
  if (summary.isControl) throw new RecordsRejection(ErrorCode.INVALID_RECORD, 'Control batches cannot be produced by clients', [], true);
  if (summary.mixed) throw new RecordsRejection(ErrorCode.INVALID_RECORD, 'batches of one partition differ in codec or producer', [], true);
  // Every record is read, compressed batches decompressed, as Kafka's LogValidator does: what
  // cannot be read is refused rather than stored for consumers to fail on.
  try {
    validateBatchesDeep(batches, { maxDecompressedBytes });
  } catch (e) {
    if (e instanceof KafkaDecodeError) throw new RecordsRejection(ErrorCode.INVALID_RECORD, e.message, [], true);
    throw e;
  }
  const { timestampType, timestampBeforeMaxMs: beforeMaxMs, timestampAfterMaxMs: afterMaxMs } = ctx.checks;
  if (timestampType === 'CreateTime' && (beforeMaxMs < Number.MAX_SAFE_INTEGER || afterMaxMs < Number.MAX_SAFE_INTEGER)) {
    const errors = recordsOutOfTime(batches, BigInt(ctx.now), BigInt(beforeMaxMs), BigInt(afterMaxMs), maxDecompressedBytes);
    if (errors.length) throw new RecordsRejection(ErrorCode.INVALID_TIMESTAMP, errors[0]!.batchIndexErrorMessage ?? 'Timestamp out of range', errors, true);
  }
  // Topic compression.type set to a codec other than the producer's: the broker re-encodes.
  const codec = compressionTypeOf(config.compressionType);
  if (codec !== undefined && summary.compression !== codec) {
    const level = codec === CompressionType.Gzip ? config.gzipLevel : codec === CompressionType.Zstd ? config.zstdLevel : undefined;
    batches = recompressBatches(batches, codec, { maxDecompressedBytes, level });
    summary = validateBatches(batches, { maxDecompressedBytes }); // only on this path: the summary describes what is appended
  }
  if (isCompacted(config)) {
    const at = firstRecordWithoutKey(batches, maxDecompressedBytes);
    if (at >= 0) {
      const message = `Compacted topic cannot accept message without key in topic partition ${ctx.partitionName}`;
      throw new RecordsRejection(ErrorCode.INVALID_RECORD, message, [{ batchIndex: at, batchIndexErrorMessage: message }], true);
    }
  }
  return { records: batches, summary };
}

/**
 * LogValidator.validateTimestamp for CreateTime records: every record outside
 * [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] is one error,
 * its batchIndex the record's index among the partition's records.
 */
function recordsOutOfTime(batches: Buffer, now: bigint, beforeMaxMs: bigint, afterMaxMs: bigint, maxDecompressedBytes: number): RecordError[] {
  // Unchecked limits are Long.MAX_VALUE, and the bounds computed in Java's int64 arithmetic (they go into the message).
  const LONG_MAX = 0x7fffffffffffffffn;
  const lo = BigInt.asIntN(64, now - (beforeMaxMs >= BigInt(Number.MAX_SAFE_INTEGER) ? LONG_MAX : beforeMaxMs));
  const hi = BigInt.asIntN(64, now + (afterMaxMs >= BigInt(Number.MAX_SAFE_INTEGER) ? LONG_MAX : afterMaxMs));
  const tooOld = (ts: bigint) => beforeMaxMs < BigInt(Number.MAX_SAFE_INTEGER) && now - ts > beforeMaxMs;
  const tooNew = (ts: bigint) => afterMaxMs < BigInt(Number.MAX_SAFE_INTEGER) && ts - now > afterMaxMs;
  const errors: RecordError[] = [];
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
