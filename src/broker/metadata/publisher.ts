/**
 * The broker side of a new metadata image (Kafka's BrokerMetadataPublisher): what changed
 * between two images becomes work for the replica manager — partitions placed on this node to
 * open, registrations (leader, epochs, replicas, ISR) that changed to apply (makeLeader or
 * makeFollower), topics gone (or recreated under a new id) to delete, topic configs to
 * re-apply — and changed dynamic broker configs reach the broker config and every log. A
 * stopping replica manager is told nothing more.
 */
import type { BrokerConfig } from '../config.js';
import type { Logger } from '../../util/logger.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { DynamicBrokerConfigs, MetadataImage, PartitionRegistration, TopicImage } from './image.js';
import type { MetadataPublisher } from './store.js';

/** What the publisher needs of the replica manager (signatures as ReplicaManager has them). */
export type ReplicaManagerView = Pick<ReplicaManager, 'applyRegistration' | 'deleteTopic' | 'stopReplica' | 'configChanged' | 'brokerConfigChanged' | 'isStopping'>;

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id, i) => id === b[i]);
const sameRegistration = (a: PartitionRegistration, b: PartitionRegistration) =>
  a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && a.partitionEpoch === b.partitionEpoch && sameIds(a.replicas, b.replicas) && sameIds(a.isr, b.isr);

const sameRecord = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};
const sameBrokerConfigs = (a: DynamicBrokerConfigs, b: DynamicBrokerConfigs) => sameRecord(a.node, b.node) && sameRecord(a.clusterDefault, b.clusterDefault);

/** Puts the stored dynamic broker configs into effect (a value that no longer parses: dropped with a warning). */
export function applyDynamicBrokerConfigs(config: BrokerConfig, configs: DynamicBrokerConfigs, logger: Logger): void {
  try {
    config.setDynamic(configs.node, configs.clusterDefault);
  } catch (e) {
    logger.warn('stored dynamic broker configs ignored', { error: e });
  }
}

export class BrokerMetadataPublisher implements MetadataPublisher {
  readonly name = 'broker';

  constructor(
    private readonly nodeId: number,
    private readonly config: BrokerConfig,
    private readonly replicas: ReplicaManagerView,
    private readonly logger: Logger,
  ) {}

  /** At start: every partition of the loaded image placed on this node is opened. */
  async load(image: MetadataImage): Promise<void> {
    for (const topic of image.topics.values()) await this.openFrom(topic, 0);
  }

  async publish(next: MetadataImage, previous: MetadataImage): Promise<void> {
    if (this.replicas.isStopping) return;
    for (const old of previous.topics.values()) {
      if (next.topic(old.name)?.topicId !== old.topicId) await this.replicas.deleteTopic(old);
    }
    if (!sameBrokerConfigs(previous.brokerConfigs, next.brokerConfigs)) {
      applyDynamicBrokerConfigs(this.config, next.brokerConfigs, this.logger);
      this.replicas.brokerConfigChanged();
    }
    for (const topic of next.topics.values()) {
      const old = previous.topic(topic.name);
      const known = old?.topicId === topic.topicId ? old : undefined;
      if (known && !sameRecord(known.configs, topic.configs)) this.replicas.configChanged(topic);
      await this.openFrom(topic, known?.partitions.length ?? 0);
      if (!known) continue;
      for (let p = 0; p < known.partitions.length && p < topic.partitions.length; p++) {
        const reg = topic.partitions[p]!;
        if (reg.replicas.includes(this.nodeId) && !sameRegistration(known.partitions[p]!, reg)) await this.replicas.applyRegistration(topic, p);
        else if (!reg.replicas.includes(this.nodeId) && known.partitions[p]!.replicas.includes(this.nodeId)) await this.replicas.stopReplica(topic.name, p);
      }
    }
  }

  private async openFrom(topic: TopicImage, from: number): Promise<void> {
    for (let p = from; p < topic.partitions.length; p++) {
      if (topic.partitions[p]!.replicas.includes(this.nodeId)) await this.replicas.applyRegistration(topic, p);
    }
  }
}
