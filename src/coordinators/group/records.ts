/**
 * The records of `__consumer_offsets`, in Kafka's formats: a key of int16 version + schema
 * (OffsetCommitKey for versions 0 and 1, GroupMetadataKey for version 2) and a value of int16
 * version + OffsetCommitValue / GroupMetadataValue, or null for a tombstone. Records of the
 * newer protocols (KIP-848 consumer groups, share groups: key versions 3+) are recognised and
 * skipped.
 */
import { GroupMetadataKeyCodec } from '../../protocol/generated/internal/group-metadata-key.js';
import { GroupMetadataValueCodec, type GroupMetadataValue } from '../../protocol/generated/internal/group-metadata-value.js';
import { OffsetCommitKeyCodec } from '../../protocol/generated/internal/offset-commit-key.js';
import { OffsetCommitValueCodec, type OffsetCommitValue } from '../../protocol/generated/internal/offset-commit-value.js';
import { Reader, Writer, decodeMessage, type MessageCodec } from '../../protocol/runtime/index.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Versions written: what Kafka 3.x writes with a current metadata version. */
const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
/** OffsetCommitValue v1 carries an explicit expire timestamp (OffsetCommit v2-4 retention time); v3 otherwise. */
const OFFSET_VALUE_VERSION = 3;
const OFFSET_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_VALUE_VERSION = 3;

export interface OffsetCommitRecord {
  type: 'offset';
  group: string;
  topic: string;
  partition: number;
  /** null: a tombstone (the offset was deleted or expired). */
  value: OffsetCommitValue | null;
}

export interface GroupMetadataRecord {
  type: 'group';
  group: string;
  /** null: a tombstone (the group was deleted or expired). */
  value: GroupMetadataValue | null;
}

export type CoordinatorRecord = OffsetCommitRecord | GroupMetadataRecord;

function versioned<T>(codec: MessageCodec<T>, version: number, value: T): Buffer {
  const w = new Writer(2 + codec.size(value, version));
  w.int16(version);
  codec.write(w, value, version);
  return w.finish();
}

/** Key and value bytes of a record, as appended to the log. */
export function encodeRecord(record: CoordinatorRecord): { key: Buffer; value: Buffer | null } {
  if (record.type === 'offset') {
    const key = versioned(OffsetCommitKeyCodec, OFFSET_KEY_VERSION, { group: record.group, topic: record.topic, partition: record.partition });
    if (record.value === null) return { key, value: null };
    const version = record.value.expireTimestamp >= 0n ? OFFSET_VALUE_VERSION_WITH_EXPIRY : OFFSET_VALUE_VERSION;
    return { key, value: versioned(OffsetCommitValueCodec, version, record.value) };
  }
  const key = versioned(GroupMetadataKeyCodec, GROUP_KEY_VERSION, { group: record.group });
  return { key, value: record.value === null ? null : versioned(GroupMetadataValueCodec, GROUP_VALUE_VERSION, record.value) };
}

/**
 * The record stored under `key`/`value`, or undefined for a record type this coordinator does
 * not keep (newer group protocols). Throws KafkaDecodeError on malformed bytes.
 */
export function decodeRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | undefined {
  const r = new Reader(key);
  const keyVersion = r.int16('key.version');
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeMessage(OffsetCommitKeyCodec, key, keyVersion, 2);
    if (value === null) return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: decodeValue(OffsetCommitValueCodec, value) };
  }
  if (keyVersion === 2) {
    const k = decodeMessage(GroupMetadataKeyCodec, key, keyVersion, 2);
    return { type: 'group', group: k.group, value: value === null ? null : decodeValue(GroupMetadataValueCodec, value) };
  }
  return undefined;
}

/** A value of a version newer than this code knows is read with the newest schema, ignoring what follows (Kafka's rule). */
function decodeValue<T>(codec: MessageCodec<T>, value: Buffer): T {
  const version = new Reader(value).int16('value.version');
  if (version < codec.minVersion) throw new RangeError(`${codec.name}: unknown version ${version}`);
  if (version > codec.maxVersion) return codec.read(new Reader(value, 2), codec.maxVersion);
  return decodeMessage(codec, value, version, 2);
}

/** Java's String.hashCode over UTF-16 code units. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE gives 0. (Not the bit mask
 * `x & 0x7fffffff` — that is Utils.toPositive, used by the producer's partitioner; the two differ
 * for every negative hash.)
 */
export function javaUtilsAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition that owns a group: Utils.abs(groupId.hashCode()) % partitions, as Kafka's GroupCoordinatorService.partitionFor. */
export function partitionForGroup(groupId: string, partitions: number): number {
  return javaUtilsAbs(javaStringHashCode(groupId)) % partitions;
}
