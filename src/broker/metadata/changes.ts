/**
 * The changes a metadata store commits, as records (Kafka's TopicRecord, PartitionRecord,
 * ConfigRecord, RegisterBrokerRecord, ... reduced), and their replay onto an image. Replay is
 * pure and deterministic, so every store that commits the same records in the same order
 * publishes the same images; a change that no longer fits the image it is applied to is refused.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { completeReassignment, reassign } from '../controller/reassignment.js';
import { electedRegistration } from '../controller/preferred-election.js';
import { livenessChanges, withPartitionChanges } from '../controller/partition-change.js';
import type { BrokerRegistration, DynamicBrokerConfigs, MetadataImage, PartitionRegistration, TopicImage } from './image.js';

export type MetadataChange =
  | { readonly type: 'createTopic'; readonly topic: TopicImage }
  | { readonly type: 'deleteTopic'; readonly name: string }
  | { readonly type: 'addPartitions'; readonly name: string; readonly partitions: readonly PartitionRegistration[] }
  | { readonly type: 'setTopicConfigs'; readonly name: string; readonly configs: Readonly<Record<string, string>> }
  | { readonly type: 'setBrokerConfigs'; readonly configs: DynamicBrokerConfigs }
  | { readonly type: 'registerBroker'; readonly broker: BrokerRegistration }
  // A cluster's (etcd store): a broker whose lease expired, the elected controller, and the
  // controller's partition decisions (Kafka's PartitionChangeRecord: leader, ISR, epochs).
  | { readonly type: 'unregisterBroker'; readonly id: number }
  /** Kafka's BrokerHeartbeat wantShutDown: the broker is marked in controlled shutdown, its leaderships and ISR places move in the same commit. */
  | { readonly type: 'controlledShutdown'; readonly id: number }
  | { readonly type: 'setController'; readonly id: number }
  | { readonly type: 'changePartitions'; readonly name: string; readonly partitions: readonly { readonly index: number; readonly registration: PartitionRegistration }[] }
  /** Kafka's AlterPartition: the leader's new ISR, based on the registration at `partitionEpoch` (refused when stale). */
  | { readonly type: 'alterPartition'; readonly topic: string; readonly partition: number; readonly leaderEpoch: number; readonly partitionEpoch: number; readonly isr: readonly number[] }
  /** Kafka's AlterPartitionReassignments for one partition: `target` null cancels; decided on the image it is applied to. */
  | { readonly type: 'reassignPartition'; readonly topic: string; readonly partition: number; readonly target: readonly number[] | null }
  /** Kafka's ElectLeaders for one partition (0 preferred, 1 unclean), decided on the image it is applied to. */
  | { readonly type: 'electLeader'; readonly topic: string; readonly partition: number; readonly electionType: number };

const unknownTopic = (name: string) => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);

function existing(image: MetadataImage, name: string): TopicImage {
  const t = image.topic(name);
  if (!t) throw unknownTopic(name);
  return t;
}

/** The image after `change`; throws a KafkaError when the change does not apply to `image`. */
export function applyChange(image: MetadataImage, change: MetadataChange): MetadataImage {
  const replaceTopic = (t: TopicImage) => image.with({ topics: [...image.topics.values()].map((o) => (o.name === t.name ? t : o)) });
  switch (change.type) {
    case 'createTopic': {
      const t = change.topic;
      if (image.topic(t.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      if (image.topicById(t.topicId)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Topic id ${t.topicId} is taken.`);
      return image.with({ topics: [...image.topics.values(), t] });
    }
    case 'deleteTopic':
      existing(image, change.name);
      return image.with({ topics: [...image.topics.values()].filter((t) => t.name !== change.name) });
    case 'addPartitions': {
      const t = existing(image, change.name);
      return replaceTopic({ ...t, partitions: [...t.partitions, ...change.partitions] });
    }
    case 'setTopicConfigs':
      return replaceTopic({ ...existing(image, change.name), configs: { ...change.configs } });
    case 'setBrokerConfigs':
      return image.with({ brokerConfigs: { node: { ...change.configs.node }, clusterDefault: { ...change.configs.clusterDefault } } });
    case 'registerBroker':
      return image.with({ brokers: [...[...image.brokers.values()].filter((b) => b.id !== change.broker.id), change.broker] });
    case 'unregisterBroker':
      return image.with({ brokers: [...image.brokers.values()].filter((b) => b.id !== change.id) });
    case 'controlledShutdown': {
      const b = image.broker(change.id);
      if (!b) throw new KafkaError(ErrorCode.BROKER_ID_NOT_REGISTERED, `Broker ${change.id} is not registered.`);
      const marked = image.with({ brokers: [...image.brokers.values()].map((o) => (o.id === change.id ? { ...b, inControlledShutdown: true } : o)) });
      return withPartitionChanges(marked, livenessChanges(marked));
    }
    case 'setController':
      return image.with({ controllerId: change.id });
    case 'changePartitions': {
      const t = existing(image, change.name);
      const partitions = [...t.partitions];
      for (const { index, registration } of change.partitions) {
        if (index < 0 || index >= partitions.length) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The partition ${change.name}-${index} does not exist.`);
        partitions[index] = registration;
      }
      return replaceTopic({ ...t, partitions });
    }
    case 'alterPartition': {
      const t = existing(image, change.topic);
      const altered = alteredPartition(image, t.partitions[change.partition], change);
      // The ISR change that brings the last adding replica in sync completes its reassignment (KIP-455).
      const next = completeReassignment(altered) ?? altered;
      return replaceTopic({ ...t, partitions: t.partitions.map((p, i) => (i === change.partition ? next : p)) });
    }
    case 'reassignPartition': {
      const r = reassign(image, change.topic, change.partition, change.target);
      if (r.code !== ErrorCode.NONE) throw new KafkaError(r.code, r.message ?? 'reassignment refused');
      if (!r.registration) return image;
      const t = existing(image, change.topic);
      return replaceTopic({ ...t, partitions: t.partitions.map((p, i) => (i === change.partition ? r.registration! : p)) });
    }
    case 'electLeader': {
      const t = existing(image, change.topic);
      const current = t.partitions[change.partition];
      if (!current) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${change.topic}-${change.partition} does not exist.`);
      const next = electedRegistration(current, new Set(image.usableBrokers().map((b) => b.id)), change.electionType, `${change.topic}-${change.partition}`);
      return replaceTopic({ ...t, partitions: t.partitions.map((p, i) => (i === change.partition ? next : p)) });
    }
  }
}

/**
 * Kafka's AlterPartition checks: the leader's epoch, the partition epoch it saw, an ISR of
 * replicas that holds the leader, and (KIP-903) no replica joins the ISR unless its broker is
 * registered and not in controlled shutdown: a follower's last fetch may have come just before its
 * broker died, and a broker shutting down was just moved out of the ISR on purpose.
 */
function alteredPartition(image: MetadataImage, current: PartitionRegistration | undefined, change: Extract<MetadataChange, { type: 'alterPartition' }>): PartitionRegistration {
  if (!current) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${change.topic}-${change.partition} does not exist.`);
  if (change.leaderEpoch !== current.leaderEpoch) throw new KafkaError(change.leaderEpoch < current.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH, `leader epoch ${change.leaderEpoch} is not ${current.leaderEpoch}`);
  if (change.partitionEpoch !== current.partitionEpoch) throw new KafkaError(ErrorCode.INVALID_UPDATE_VERSION, `partition epoch ${change.partitionEpoch} is not ${current.partitionEpoch}`);
  if (!change.isr.includes(current.leader) || change.isr.some((id) => !current.replicas.includes(id))) throw new KafkaError(ErrorCode.INVALID_REQUEST, `ISR [${change.isr}] must hold the leader ${current.leader} and only replicas [${current.replicas}]`);
  const usable = new Set(image.usableBrokers().map((b) => b.id));
  const ineligible = change.isr.filter((id) => !current.isr.includes(id) && !usable.has(id));
  if (ineligible.length > 0) throw new KafkaError(ErrorCode.INELIGIBLE_REPLICA, `replicas [${ineligible}] cannot join the ISR: their brokers are not registered or are in controlled shutdown`);
  return { ...current, isr: [...change.isr], partitionEpoch: current.partitionEpoch + 1 };
}
