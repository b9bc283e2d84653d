// The log validator answers each refusal as Apache Kafka does (code, message, recordErrors, with
// or without the log start offset), converts legacy message sets, and re-encodes to the topic's
// compression.type with a summary of the bytes it returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordsRejection, UNCHECKED_TIMESTAMPS, validateRecords, type ValidationContext } from '../../../../src/broker/replica/log-validator.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { CompressionType, buildMessageSet, buildRecordBatch, validateBatches } from '../../../../src/protocol/records/index.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../../src/storage/index.js';

const NOW = 1_700_000_000_000;

function ctx(config: Partial<LogConfig> = {}, over: Partial<ValidationContext> = {}): ValidationContext {
  return { apiVersion: 9, config: { ...DEFAULT_LOG_CONFIG, ...config }, checks: UNCHECKED_TIMESTAMPS, partitionName: 't-0', now: NOW, ...over };
}

const batch = (n = 2, options: Parameters<typeof buildRecordBatch>[1] = {}, key: Buffer | null = null) =>
  buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key, value: Buffer.from(`value-${i}`) })), { timestamp: NOW, ...options });

function rejection(records: Buffer, c: ValidationContext): RecordsRejection {
  try {
    validateRecords(records, c);
  } catch (e) {
    if (e instanceof RecordsRejection) return e;
    throw e;
  }
  assert.fail('accepted');
}

test('valid batches come back as they are, with their summary', () => {
  const records = batch(3);
  const out = validateRecords(records, ctx());
  assert.equal(out.records, records);
  assert.equal(out.summary.recordCount, 3);
  assert.equal(out.summary.sizeInBytes, records.length);
});

test('refusals carry the log start offset where Kafka answers with it (LogValidator) and not where it does not', () => {
  const corrupt = Buffer.from(batch());
  corrupt[corrupt.length - 1]! ^= 0xff; // CRC no longer matches
  const r1 = rejection(corrupt, ctx());
  assert.deepEqual([r1.code, r1.withLogStart], [ErrorCode.CORRUPT_MESSAGE, false]);

  const r2 = rejection(batch(1, { baseOffset: 5n }), ctx());
  assert.deepEqual([r2.code, r2.message, r2.withLogStart], [ErrorCode.INVALID_RECORD, 'The baseOffset of the record batch should be 0, but it is 5', true]);

  const r3 = rejection(batch(1, { control: true }), ctx());
  assert.deepEqual([r3.code, r3.message, r3.withLogStart], [ErrorCode.INVALID_RECORD, 'Control batches cannot be produced by clients', true]);

  const r4 = rejection(Buffer.concat([batch(), batch()]), ctx());
  assert.deepEqual([r4.code, r4.withLogStart], [ErrorCode.INVALID_RECORD, false]);

  const r5 = rejection(batch(1, { compression: CompressionType.Zstd }), ctx({}, { apiVersion: 6 }));
  assert.deepEqual([r5.code, r5.withLogStart], [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, false]);
});

test('legacy message sets: converted to one magic-2 batch before v3, refused from v3 on', () => {
  const legacy = buildMessageSet([{ value: Buffer.from('a') }, { value: Buffer.from('b') }], { magic: 1 });
  const out = validateRecords(legacy, ctx({}, { apiVersion: 2 }));
  assert.equal(out.summary.batchCount, 1);
  assert.equal(out.summary.recordCount, 2);
  const r = rejection(legacy, ctx({}, { apiVersion: 3 }));
  assert.deepEqual([r.code, r.message], [ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or above are only allowed to contain record batches with magic version 2']);
});

test('CreateTime timestamps out of bounds: one record error per record, by its index', () => {
  const records = buildRecordBatch([{ key: null, value: Buffer.from('ok'), timestamp: NOW }, { key: null, value: Buffer.from('old'), timestamp: NOW - 10_000 }], { timestamp: NOW });
  const checks = { timestampType: 'CreateTime' as const, timestampBeforeMaxMs: 1000, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER };
  const r = rejection(records, ctx({}, { checks }));
  assert.equal(r.code, ErrorCode.INVALID_TIMESTAMP);
  assert.equal(r.withLogStart, true);
  assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [1]);
  assert.doesNotThrow(() => validateRecords(records, ctx({}, { checks: { ...checks, timestampType: 'LogAppendTime' } })));
});

test('a compacted topic refuses a record without a key, naming its index', () => {
  const r = rejection(batch(2), ctx({ cleanupPolicy: 'compact' }));
  assert.equal(r.code, ErrorCode.INVALID_RECORD);
  assert.equal(r.message, 'Compacted topic cannot accept message without key in topic partition t-0');
  assert.deepEqual(r.recordErrors, [{ batchIndex: 0, batchIndexErrorMessage: r.message }]);
  assert.equal(r.withLogStart, true);
  assert.doesNotThrow(() => validateRecords(batch(2, {}, Buffer.from('k')), ctx({ cleanupPolicy: 'compact' })));
});

test("the topic's compression.type re-encodes the batches, and the summary describes the bytes returned", () => {
  const records = batch(20);
  const out = validateRecords(records, ctx({ compressionType: 'gzip' }));
  assert.notEqual(out.records, records);
  assert.equal(out.summary.compression, CompressionType.Gzip);
  assert.equal(out.summary.sizeInBytes, out.records.length);
  assert.deepEqual(out.summary, validateBatches(out.records));
  assert.equal(out.summary.recordCount, 20);
});
