import { KafkaDecodeError } from '../runtime/errors.js';
import { buildRecordBatch, type RecordBatch, NO_SEQUENCE, NO_PARTITION_LEADER_EPOCH, readRecords } from './batch.js';

/** The `type` in a control record's key (Java's ControlRecordType). */
export const enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
}

export const CONTROL_RECORD_KEY_SIZE = 4;
export const END_TXN_MARKER_VALUE_SIZE = 6;

export interface ControlRecordKey {
  version: number;
  type: number;
}

export interface EndTxnMarkerValue {
  version: number;
  coordinatorEpoch: number;
}

/** Key of every control record: version int16, type int16. */
export function encodeControlRecordKey(type: ControlRecordType, version = 0): Buffer {
  const b = Buffer.allocUnsafe(CONTROL_RECORD_KEY_SIZE);
  b.writeInt16BE(version, 0);
  b.writeInt16BE(type, 2);
  return b;
}

/** Like Java, later key versions are accepted as long as they start with version and type. */
export function decodeControlRecordKey(key: Buffer | null, path = 'controlRecord.key'): ControlRecordKey {
  if (key === null || key.length < CONTROL_RECORD_KEY_SIZE) throw new KafkaDecodeError(`control record key needs ${CONTROL_RECORD_KEY_SIZE} bytes, has ${key?.length ?? 'null'}`, path, 0);
  const version = key.readInt16BE(0);
  if (version < 0) throw new KafkaDecodeError(`invalid control record key version ${version}`, path, 0);
  return { version, type: key.readInt16BE(2) };
}

/** Value of an ABORT/COMMIT marker: version int16, coordinatorEpoch int32. */
export function encodeEndTxnMarkerValue(coordinatorEpoch: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(END_TXN_MARKER_VALUE_SIZE);
  b.writeInt16BE(version, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function decodeEndTxnMarkerValue(value: Buffer | null, path = 'controlRecord.value'): EndTxnMarkerValue {
  if (value === null || value.length < END_TXN_MARKER_VALUE_SIZE) throw new KafkaDecodeError(`end transaction marker needs ${END_TXN_MARKER_VALUE_SIZE} bytes, has ${value?.length ?? 'null'}`, path, 0);
  const version = value.readInt16BE(0);
  if (version < 0) throw new KafkaDecodeError(`invalid end transaction marker version ${version}`, path, 0);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerOptions {
  producerId: bigint;
  producerEpoch: number;
  /** COMMIT when true, ABORT when false. */
  commit: boolean;
  coordinatorEpoch: number;
  /** Default `Date.now()`. */
  timestamp?: bigint | number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/** The control batch the leader appends on WriteTxnMarkers, laid out as Java's MemoryRecords.withEndTransactionMarker. */
export function buildEndTxnMarkerBatch(options: EndTxnMarkerOptions): Buffer {
  const timestamp = options.timestamp ?? Date.now();
  return buildRecordBatch(
    [
      {
        key: encodeControlRecordKey(options.commit ? ControlRecordType.Commit : ControlRecordType.Abort),
        value: encodeEndTxnMarkerValue(options.coordinatorEpoch),
        timestamp,
      },
    ],
    {
      baseOffset: options.baseOffset ?? 0n,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      producerId: options.producerId,
      producerEpoch: options.producerEpoch,
      baseSequence: NO_SEQUENCE,
      transactional: true,
      control: true,
      timestamp,
    },
  );
}

export interface EndTxnMarker {
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  commit: boolean;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  offset: bigint;
  timestamp: bigint;
}

/**
 * The transaction marker carried by a control batch, or null when the batch is a control batch
 * of another kind (KRaft's LeaderChange and snapshot records).
 */
export function readEndTxnMarker(batch: RecordBatch, path = 'controlBatch'): EndTxnMarker | null {
  if (!batch.isControl) throw new KafkaDecodeError('not a control batch', path, 0);
  const records = readRecords(batch);
  if (records.length !== 1) throw new KafkaDecodeError(`control batch holds ${records.length} records, expected 1`, path, 0);
  const record = records[0]!;
  const key = decodeControlRecordKey(record.key, `${path}.records[0].key`);
  if (key.type !== ControlRecordType.Abort && key.type !== ControlRecordType.Commit) return null;
  const value = decodeEndTxnMarkerValue(record.value, `${path}.records[0].value`);
  return {
    type: key.type,
    commit: key.type === ControlRecordType.Commit,
    coordinatorEpoch: value.coordinatorEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    offset: record.offset,
    timestamp: record.timestamp,
  };
}
