import { BASE_TIMESTAMP, RECORD_BATCH_OVERHEAD, RECORDS_COUNT } from '../protocol/records/batch-header.js';

/** Timestamps of the records of one batch (offsetDelta, absolute timestamp), or undefined if unknown (e.g. compressed). */
export type RecordTimestamps = (batch: Buffer) => Iterable<{ offsetDelta: number; timestamp: number }> | undefined;

/**
 * Walks the records of an uncompressed v2 batch far enough to read each record's
 * timestampDelta and offsetDelta (ListOffsets by timestamp needs the first record at or after a
 * time). Record bodies are skipped using their length prefix. Returns undefined on malformed input.
 */
export function recordTimestampsOfUncompressedBatch(batch: Buffer): { offsetDelta: number; timestamp: number }[] | undefined {
  const out: { offsetDelta: number; timestamp: number }[] = [];
  const baseTimestamp = Number(batch.readBigInt64BE(BASE_TIMESTAMP));
  const count = batch.readInt32BE(RECORDS_COUNT);
  let at = RECORD_BATCH_OVERHEAD;
  const readVarlong = (): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= batch.length) throw new RangeError('truncated varint');
      const b = batch[at++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    throw new RangeError('varint too long');
  };
  try {
    for (let i = 0; i < count; i++) {
      const length = readVarlong();
      const bodyStart = at;
      at += 1; // attributes
      const timestampDelta = readVarlong();
      const offsetDelta = readVarlong();
      out.push({ offsetDelta, timestamp: baseTimestamp + timestampDelta });
      at = bodyStart + length;
      if (length < 0 || at > batch.length) return undefined;
    }
  } catch {
    return undefined;
  }
  return out;
}
