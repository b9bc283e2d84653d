/** The group coordinator: classic consumer groups and committed offsets, stored in `__consumer_offsets`. */
export { ClassicGroupManager } from './group-manager.js';
export { OffsetManager } from './offset-manager.js';
export { GroupCoordinator, type GroupCoordinatorConfig, type GroupCoordinatorOptions, type OffsetsTopic, type TopicPartitions } from './coordinator.js';
export { CoordinatorRuntime, type ShardStatus } from '../runtime/runtime.js';
export type { CoordinatorLog } from '../runtime/shard.js';
export { GroupCoordinatorShard } from './shard.js';
export {
  joinError,
  syncError,
  appendErrorToResponseError,
  type CoordinatorResult,
  type ShardConfig,
  type ShardTimer,
  type JoinGroupArgs,
  type SyncGroupArgs,
  type HeartbeatArgs,
  type LeavingMember,
  type LeaveGroupResult,
  type CommitArgs,
  type CommitPartition,
  type PartitionErrors,
  type FetchOffsetsResult,
  type FetchedOffset,
  type DescribedGroup,
  type DescribedMember,
  type ListedGroup,
  type DeleteOffsetsResult,
} from './types.js';
export { ClassicGroup, ClassicGroupMember, CONSUMER_PROTOCOL_TYPE, parseSubscriptionTopics, type GroupState, type Protocol, type JoinGroupResult, type SyncGroupResult, type JoinGroupMember } from './classic-group.js';
export { OffsetStore, type OffsetAndMetadata } from './offsets.js';
export { OFFSETS_TOPIC, GROUP_RECORD_SERDE, encodeRecord, decodeRecord, partitionForGroup, javaStringHashCode, javaUtilsAbs, type CoordinatorRecord, type OffsetCommitRecord, type GroupMetadataRecord } from './records.js';
export { GroupErrors, CoordinatorError } from './errors.js';
export { SYSTEM_TIME, MockTime, settle, type Time, type TimerHandle } from '../../util/time.js';
