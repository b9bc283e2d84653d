/**
 * The group coordinator wired to this broker: its config from Kafka's group.* and offsets.*
 * keys, `__consumer_offsets` created on first use (internal, compacted,
 * offsets.topic.replication.factor capped at the registered brokers, offsets.topic.num.partitions
 * partitions) and read and appended through the replica manager while this node leads them.
 */
import { GroupCoordinator, OFFSETS_TOPIC } from '../coordinators/group/index.js';
import type { BrokerContext } from './context.js';
import type { BrokerConfig } from './config.js';
import { createInternalTopic, internalTopicLeaderEpoch, internalTopicLog, internalTopicReplicationFactor } from './internal-topic-log.js';
import { toErrorCode } from './storage-errors.js';

/** What the group handlers see of the broker: the group coordinator alone. */
export type GroupsContext = Pick<BrokerContext, 'groups'>;

/** How `__consumer_offsets` is created, by the coordinator or by a Metadata request (Kafka's AutoTopicCreationManager). */
export function offsetsTopicSpec(config: BrokerConfig, brokers: number): { partitions: number; replicationFactor: number; configs: Record<string, string> } {
  return {
    partitions: config.int('offsets.topic.num.partitions'),
    replicationFactor: internalTopicReplicationFactor(config.int('offsets.topic.replication.factor'), brokers),
    configs: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(config.int('offsets.topic.segment.bytes')) },
  };
}

export function createGroupCoordinator(broker: BrokerContext): GroupCoordinator {
  const c = broker.config;
  const offsetsLog = (index: number) => internalTopicLog(broker, OFFSETS_TOPIC, index);
  return new GroupCoordinator({
    config: {
      offsetsTopicNumPartitions: c.int('offsets.topic.num.partitions'),
      sessionTimeoutMinMs: c.int('group.min.session.timeout.ms'),
      sessionTimeoutMaxMs: c.int('group.max.session.timeout.ms'),
      initialRebalanceDelayMs: c.int('group.initial.rebalance.delay.ms'),
      groupMaxSize: c.int('group.max.size'),
      offsetsRetentionMs: c.int('offsets.retention.minutes') * 60_000,
      offsetsRetentionCheckIntervalMs: c.int('offsets.retention.check.interval.ms'),
      offsetMetadataMaxBytes: c.int('offset.metadata.max.bytes'),
    },
    logger: broker.logger.child({ component: 'group-coordinator' }),
    offsetsTopic: {
      partitions: () => broker.metadata.topic(OFFSETS_TOPIC)?.partitions.length,
      create: (partitions) => createInternalTopic(broker, OFFSETS_TOPIC, partitions, 'offsets.topic.replication.factor', offsetsTopicSpec(c, broker.metadata.brokers.size).configs),
      log: offsetsLog,
      leaderEpoch: (index) => internalTopicLeaderEpoch(broker, OFFSETS_TOPIC, index),
    },
    topicPartitions: (topic) => broker.metadata.topic(topic)?.partitions.length,
    errorCode: toErrorCode,
  });
}

/** Kafka's client address form: "/127.0.0.1". */
export function clientHost(remoteAddress: string): string {
  return `/${remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress}`;
}
