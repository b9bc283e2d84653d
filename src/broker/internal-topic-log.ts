import type { CoordinatorLog } from '../coordinators/runtime/index.js';
import type { BrokerContext } from './context.js';
import { ErrorCode, KafkaError } from './errors.js';
import { DelayedProduce, type ProducePartitionStatus } from './replica/delayed-produce.js';
import type { Partition } from './replica/partition.js';
import { partitionKey } from './replica/replica-manager.js';

/** How long a coordinator's write waits for the ISR (Kafka's offsets.commit.timeout.ms default). */
export const COORDINATOR_WRITE_TIMEOUT_MS = 5_000;

/**
 * A coordinator's view of one partition of its internal topic (`__consumer_offsets`,
 * `__transaction_state`) while this node leads it: appends go through the leader path with
 * acks=all (Kafka's coordinators write with required acks -1) and loading reads up to the log
 * end. Bound to the leader epoch it was taken at, so a shard that outlived its leadership
 * cannot append (NOT_LEADER_OR_FOLLOWER). Undefined while this node does not lead the partition.
 */
export function internalTopicLog(broker: BrokerContext, topic: string, index: number): CoordinatorLog | undefined {
  const partition = broker.replicas.partition(topic, index);
  if (!partition?.isLeader) return undefined;
  const leaderEpoch = partition.leaderEpoch;
  return {
    async append(batch) {
      if (!partition.isLeader || partition.leaderEpoch !== leaderEpoch) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${partition.name} is no longer led here at epoch ${leaderEpoch}`);
      const refused = partition.checkEnoughReplicasToAppend(-1);
      if (refused !== ErrorCode.NONE) throw new KafkaError(refused, `${partition.name}: not enough in-sync replicas`);
      const info = await partition.appendAsLeader(batch);
      await awaitReplication(broker, partition, info.lastOffset + 1n);
    },
    startOffset: () => partition.logStartOffset,
    read: (offset, maxBytes) => partition.log.readRecords(offset, maxBytes, partition.logEndOffset, true),
  };
}

/**
 * Waits until the high watermark reaches `requiredOffset` (the ISR has the records, as acks=all
 * does), and throws the error a produce would answer: NOT_LEADER_OR_FOLLOWER,
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT. On one node it resolves at once.
 */
export async function awaitReplication(broker: BrokerContext, partition: Partition, requiredOffset: bigint, timeoutMs = COORDINATOR_WRITE_TIMEOUT_MS): Promise<void> {
  const status: ProducePartitionStatus = { partition, requiredOffset, acksPending: true, errorCode: ErrorCode.NONE };
  await new Promise<void>((resolve) => {
    const op = new DelayedProduce(timeoutMs, [status], () => resolve());
    broker.replicas.producePurgatory.tryCompleteElseWatch(op, [partitionKey(partition.topic.name, partition.index)]);
  });
  if (status.errorCode !== ErrorCode.NONE) throw new KafkaError(status.errorCode, `${partition.name}: replication of offset ${requiredOffset - 1n} failed (${status.errorCode})`);
}

/** The coordinator epoch of a load: the partition's leader epoch (0 on one node). */
export function internalTopicLeaderEpoch(broker: BrokerContext, topic: string, index: number): number {
  return broker.replicas.partition(topic, index)?.leaderEpoch ?? 0;
}

/**
 * An internal topic's replication factor: the configured one (offsets.topic.replication.factor,
 * transaction.state.log.replication.factor), capped at the registered brokers. Kafka refuses to
 * create the topic with fewer; Samsa has always run them on one node, so it warns instead.
 */
export function internalTopicReplicationFactor(configured: number, brokers: number): number {
  return Math.min(configured, Math.max(1, brokers));
}

/** Creates an internal topic with its replication factor (warning when capped); one created meanwhile is used as it is. */
export async function createInternalTopic(broker: BrokerContext, topic: string, partitions: number, replicationFactorKey: string, configs: Record<string, string>): Promise<void> {
  const configured = broker.config.int(replicationFactorKey);
  const brokers = broker.metadata.brokers.size;
  const rf = internalTopicReplicationFactor(configured, brokers);
  if (rf < configured) broker.logger.warn(`${topic} created with replication factor ${rf}: ${replicationFactorKey} is ${configured} but only ${brokers} broker(s) are registered`);
  try {
    await broker.topics.create(topic, partitions, rf, configs);
  } catch (e) {
    // Created meanwhile (by a Metadata request, say).
    if (!(e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw e;
  }
}
