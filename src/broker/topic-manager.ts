/**
 * Topic lifecycle on a single node: create (explicitly or automatically), delete, add partitions,
 * change configs. Validation uses Kafka's rules and error codes; the metadata store records the
 * result and the replica manager creates or removes the partitions' logs.
 */
import type { BrokerContext } from './context.js';
import { ErrorCode, KafkaError } from './errors.js';
import { INTERNAL_TOPICS, invalidTopicName, type TopicMetadata } from './metadata.js';
import { invalidTopicConfig } from './topic-configs.js';
import { offsetsTopicSpec } from './groups.js';
import { OFFSETS_TOPIC } from '../coordinators/group/index.js';

/** Kafka's cap on partitions created in one request, to bound the work a request can cause. */
const MAX_PARTITIONS = 100_000;

export class TopicManager {
  private readonly creating = new Map<string, Promise<TopicMetadata>>();

  constructor(private readonly broker: BrokerContext) {}

  /** Opens the logs of every partition the metadata knows (at start). */
  async loadPartitions(): Promise<void> {
    for (const topic of this.broker.metadata.topics.values()) {
      for (let p = 0; p < topic.partitions; p++) await this.broker.replicas.openPartition(topic, p);
    }
  }

  /** Throws a KafkaError for a create request Kafka would refuse. */
  validateCreate(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>): { partitions: number } {
    const bad = invalidTopicName(name);
    if (bad) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (this.broker.metadata.topic(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const partitions = numPartitions === -1 ? this.broker.config.int('num.partitions') : numPartitions;
    if (partitions <= 0 || partitions > MAX_PARTITIONS) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0 (and at most ${MAX_PARTITIONS}).`);
    const rf = replicationFactor === -1 ? this.broker.config.int('default.replication.factor') : replicationFactor;
    if (rf <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (rf > 1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`);
    }
    for (const [key, value] of Object.entries(configs)) {
      const problem = invalidTopicConfig(key, value);
      if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
    }
    return { partitions };
  }

  async create(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>): Promise<TopicMetadata> {
    const inFlight = this.creating.get(name);
    if (inFlight) {
      await inFlight.catch(() => undefined);
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    }
    const { partitions } = this.validateCreate(name, numPartitions, replicationFactor, configs);
    const run = (async () => {
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(configs)) if (v !== null) clean[k] = v;
      const topic = await this.broker.metadata.createTopic(name, partitions, clean);
      for (let p = 0; p < partitions; p++) await this.broker.replicas.openPartition(topic, p);
      this.broker.logger.info('topic created', { topic: name, partitions });
      return topic;
    })();
    this.creating.set(name, run);
    try {
      return await run;
    } finally {
      this.creating.delete(name);
    }
  }

  /**
   * The topic, created with the broker's defaults when auto-creation allows it. Returns the
   * error code for the metadata response otherwise.
   */
  async getOrAutoCreate(name: string, allowAutoCreate: boolean): Promise<TopicMetadata | number> {
    // A topic being created is in the metadata before its partitions are open: wait for them.
    const pending = this.creating.get(name);
    if (pending) return pending.catch(() => ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const existing = this.broker.metadata.topic(name);
    if (existing) return existing;
    if (invalidTopicName(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
    const isInternal = INTERNAL_TOPICS.has(name);
    if (!isInternal && (!allowAutoCreate || !this.broker.config.bool('auto.create.topics.enable'))) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      if (name === OFFSETS_TOPIC) {
        const spec = offsetsTopicSpec(this.broker.config);
        return await this.create(name, spec.partitions, 1, spec.configs);
      }
      return await this.create(name, -1, -1, {});
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) return this.broker.metadata.topic(name) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      throw e;
    }
  }

  /** Whether CreateTopics or auto-create is still opening the topic's partitions. */
  isCreating(name: string): boolean {
    return this.creating.has(name);
  }

  async delete(name: string): Promise<void> {
    const topic = this.broker.metadata.topic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (!this.broker.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED);
    if (topic.internal) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic ${name} is an internal topic and cannot be deleted`);
    await this.broker.metadata.deleteTopic(name);
    await this.broker.replicas.deleteTopic(topic);
    this.broker.logger.info('topic deleted', { topic: name });
  }

  /** CreatePartitions: grow a topic to `count` partitions. */
  validateAddPartitions(name: string, count: number): TopicMetadata {
    const topic = this.broker.metadata.topic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    if (count < topic.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${topic.partitions} partitions, which is higher than the requested ${count}.`);
    if (count === topic.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partitions.`);
    if (count > MAX_PARTITIONS) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Too many partitions: ${count}`);
    return topic;
  }

  async addPartitions(name: string, count: number): Promise<void> {
    const topic = this.validateAddPartitions(name, count);
    const from = topic.partitions;
    await this.broker.metadata.setPartitions(name, count);
    for (let p = from; p < count; p++) await this.broker.replicas.openPartition(topic, p);
  }

  /** Replaces a topic's config overrides (already validated) and applies them to its logs. */
  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const topic = this.broker.metadata.topic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await this.broker.metadata.setConfigs(name, configs);
    this.broker.replicas.configChanged(topic);
  }
}
