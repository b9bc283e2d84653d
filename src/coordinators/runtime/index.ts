/** The coordinator runtime both coordinators run on: shards per internal-topic partition, loaded by replay, one operation at a time. */
export { CoordinatorRuntime, type RuntimeOptions, type ShardStatus } from './runtime.js';
export { CoordinatorTopic, type InternalTopic } from './topic.js';
export { CoordinatorService, type ServiceTopic } from './service.js';
export { CoordinatorError } from './errors.js';
export { javaStringHashCode, javaUtilsAbs, partitionForKey } from './partitioning.js';
export type { CoordinatorLog, CoordinatorResult, CoordinatorShard, RecordSerde, ShardInit, ShardOperation, ShardScheduler, TxnBatchOwner, Write } from './shard.js';
