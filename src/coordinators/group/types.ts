/**
 * What the group coordinator's shard takes and answers: the arguments of each operation, its
 * results, and what an append failure means to a member.
 */
import { EMPTY_BUFFER } from '../../protocol/runtime/index.js';
import type { Logger } from '../../util/logger.js';
import type { CoordinatorResult as RuntimeResult, ShardScheduler } from '../runtime/shard.js';
import type { JoinGroupResult, Protocol, SyncGroupResult } from './classic-group.js';
import { GroupErrors as E } from './errors.js';
import type { CoordinatorRecord } from './records.js';

export interface ShardConfig {
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** How long a new member's JoinGroup may wait in a rebalance (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

/** Records an operation or a hook wants appended; hooks may ask for more (rarely: a rebalance completing). */
export type Records = CoordinatorRecord[];

export type CoordinatorResult<T> = RuntimeResult<T, CoordinatorRecord>;

/** Timers keyed by name: scheduling a key replaces its timer; a fired timer runs as an operation. */
export type ShardTimer = ShardScheduler<CoordinatorRecord>;

export interface ShardDeps {
  partition: number;
  config: ShardConfig;
  now: () => number;
  timer: ShardTimer;
  logger: Logger;
  /** Member ids: `prefix-uuid` as Kafka (the prefix is the client id, or the group instance id). */
  newMemberId?: (prefix: string) => string;
}

export interface JoinGroupArgs {
  groupId: string;
  /** '' for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  clientId: string;
  clientHost: string;
  reason: string | null;
  /** JoinGroup v4+ without an instance id: a new member first gets an id (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a Stable group may skip the assignment. */
  supportsSkipAssignment: boolean;
}

export interface SyncGroupArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface HeartbeatArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface CommitPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  /** OffsetCommit v1 only; -1 means "now". */
  commitTimestamp: bigint;
  committedMetadata: string | null;
}

export interface CommitArgs {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4; -1: the broker's retention. */
  retentionTimeMs: bigint;
  /** The request version: v9+ answers GROUP_ID_NOT_FOUND where older ones get ILLEGAL_GENERATION. */
  apiVersion: number;
  topics: { name: string; partitions: CommitPartition[] }[];
}

export interface PartitionErrors {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface DeleteOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

export function done<T>(response: T, records: Records = []): CoordinatorResult<T> {
  return { records, response };
}

/** What a failed append of group records means to the member (Kafka's appendGroupMetadataErrorToResponseError). */
export function appendErrorToResponseError(code: number, forOffsetCommit = false): number {
  switch (code) {
    case E.UNKNOWN_TOPIC_OR_PARTITION:
    case E.NOT_ENOUGH_REPLICAS:
    case E.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case E.REQUEST_TIMED_OUT:
      return E.COORDINATOR_NOT_AVAILABLE;
    case E.NOT_LEADER_OR_FOLLOWER:
    case E.KAFKA_STORAGE_ERROR:
      return E.NOT_COORDINATOR;
    case E.MESSAGE_TOO_LARGE:
    case E.RECORD_LIST_TOO_LARGE:
    case E.INVALID_FETCH_SIZE:
      return forOffsetCommit ? E.INVALID_COMMIT_OFFSET_SIZE : E.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}
