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
import { EMPTY_BUFFER, Reader, Writer, decodeMessage, type MessageCodec } from '../../protocol/runtime/index.js';
import { partitionForKey } from '../runtime/partitioning.js';
import type { RecordSerde } from '../runtime/shard.js';
import type { ClassicGroup } from './classic-group.js';

export { javaStringHashCode, javaUtilsAbs } from '../runtime/partitioning.js';

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

/** The group record: generation, protocol, leader and every member with its assignment. */
export function groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>, now: number): GroupMetadataRecord {
  return {
    type: 'group',
    group: group.groupId,
    value: {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.stateTimestamp ?? now),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: assignment.get(m.memberId) ?? EMPTY_BUFFER,
      })),
    },
  };
}

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

/** The `__consumer_offsets` partition that owns a group: Utils.abs(groupId.hashCode()) % partitions, as Kafka's GroupCoordinatorService.partitionFor. */
export function partitionForGroup(groupId: string, partitions: number): number {
  return partitionForKey(groupId, partitions);
}

/** The serde the runtime appends and loads `__consumer_offsets` with. */
export const GROUP_RECORD_SERDE: RecordSerde<CoordinatorRecord> = { encode: encodeRecord, decode: decodeRecord };
