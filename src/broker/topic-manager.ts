/**
 * The controller side of topics (Kafka's ReplicationControlManager, reduced): create (explicitly
 * or automatically), delete, add partitions, change configs. It checks requests against the
 * current metadata image with Kafka's rules and error codes, places partitions on registered
 * brokers and proposes the change; the broker's metadata publisher then opens or removes the
 * logs, before the proposal resolves.
 */
import type { BrokerConfig } from './config.js';
import { ErrorCode, KafkaError } from './errors.js';
import { newPartition, type MetadataImage, type PartitionRegistration, type TopicImage } from './metadata/image.js';
import { INTERNAL_TOPICS, invalidTopicName, randomUuid } from './metadata/names.js';
import type { MetadataProposer } from './metadata/store.js';
import { invalidTopicConfig } from './topic-configs.js';
import { placeReplicas } from './controller/placement.js';
import { offsetsTopicSpec } from './groups.js';
import { OFFSETS_TOPIC } from '../coordinators/group/index.js';
import type { Logger } from '../util/logger.js';
import { SerialQueue } from '../util/serial.js';

/** Kafka's cap on partitions created in one request, to bound the work a request can cause. */
const MAX_PARTITIONS = 100_000;

export class TopicManager {
  private readonly creating = new Map<string, Promise<TopicImage>>();
  /** Config changes computed from the current configs run one at a time, so none is lost. */
  private readonly configUpdates = new SerialQueue();

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
    private readonly store: MetadataProposer,
  ) {}

  private get image(): MetadataImage {
    return this.store.image;
  }

  /** Throws a KafkaError for a create request Kafka would refuse. */
  validateCreate(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>): { partitions: number; replicationFactor: number } {
    const bad = invalidTopicName(name);
    if (bad) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    if (this.image.topic(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const partitions = numPartitions === -1 ? this.config.int('num.partitions') : numPartitions;
    if (partitions <= 0 || partitions > MAX_PARTITIONS) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0 (and at most ${MAX_PARTITIONS}).`);
    const rf = replicationFactor === -1 ? this.config.int('default.replication.factor') : replicationFactor;
    if (rf <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    // As Kafka's usable brokers: a broker in controlled shutdown gets no new replicas.
    const brokers = this.image.usableBrokers().length;
    if (rf > brokers) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers} broker(s) are registered.`);
    }
    for (const [key, value] of Object.entries(configs)) {
      const problem = invalidTopicConfig(key, value);
      if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, problem);
    }
    return { partitions, replicationFactor: rf };
  }

  /** Partitions `from`..`to-1` placed over the registered (in a cluster: live) brokers, `rf` replicas each, the first one leading. */
  private place(from: number, to: number, rf: number): PartitionRegistration[] {
    return placeReplicas(this.image.usableBrokers(), from, to, rf).map(newPartition);
  }

  /** `assignments`: each partition's replicas as the request chose them (already checked), instead of placing them here. */
  async create(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null>, assignments?: readonly (readonly number[])[]): Promise<TopicImage> {
    const inFlight = this.creating.get(name);
    if (inFlight) {
      await inFlight.catch(() => undefined);
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    }
    const checked = this.validateCreate(name, numPartitions, replicationFactor, configs);
    const run = (async () => {
      const clean: Record<string, string> = {};
      for (const [k, v] of Object.entries(configs)) if (v !== null) clean[k] = v;
      const topic: TopicImage = { name, topicId: randomUuid(), internal: INTERNAL_TOPICS.has(name), configs: clean, partitions: assignments?.map(newPartition) ?? this.place(0, checked.partitions, checked.replicationFactor) };
      const image = await this.store.propose({ type: 'createTopic', topic });
      this.logger.info('topic created', { topic: name, partitions: checked.partitions });
      return image.topic(name)!;
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
  async getOrAutoCreate(name: string, allowAutoCreate: boolean): Promise<TopicImage | number> {
    // A topic being created is in the metadata before its partitions are open: wait for them.
    // Not in it yet (the controller has not committed it, e.g. etcd has no quorum): unknown, as
    // Kafka answers, rather than holding the request as long as the commit takes.
    const pending = this.creating.get(name);
    const existing = this.image.topic(name);
    if (pending && existing) return pending.catch(() => ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (existing) return existing;
    if (invalidTopicName(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
    const isInternal = INTERNAL_TOPICS.has(name);
    if (!isInternal && (!allowAutoCreate || !this.config.bool('auto.create.topics.enable'))) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      if (name === OFFSETS_TOPIC) {
        const spec = offsetsTopicSpec(this.config, this.image.brokers.size);
        return await this.create(name, spec.partitions, spec.replicationFactor, spec.configs);
      }
      return await this.create(name, -1, -1, {});
    } catch (e) {
      if (e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS) return this.image.topic(name) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      throw e;
    }
  }

  /** Whether CreateTopics or auto-create is still opening the topic's partitions. */
  isCreating(name: string): boolean {
    return this.creating.has(name);
  }

  async delete(name: string): Promise<void> {
    const topic = this.image.topic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (!this.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED);
    if (topic.internal) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic ${name} is an internal topic and cannot be deleted`);
    await this.store.propose({ type: 'deleteTopic', name });
    this.logger.info('topic deleted', { topic: name });
  }

  /** ElectLeaders for one partition: decided by the controller on its image, refused with Kafka's error when not needed or not possible. */
  async electLeader(topic: string, partition: number, electionType: number): Promise<void> {
    await this.store.propose({ type: 'electLeader', topic, partition, electionType });
    this.logger.info('leader elected', { topic, partition, electionType });
  }

  /** CreatePartitions: grow a topic to `count` partitions. */
  validateAddPartitions(name: string, count: number): TopicImage {
    const topic = this.image.topic(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = topic.partitions.length;
    if (count < current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    if (count === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    if (count > MAX_PARTITIONS) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Too many partitions: ${count}`);
    return topic;
  }

  /** `assignments`: the new partitions' replicas as the request chose them (already checked). */
  async addPartitions(name: string, count: number, assignments?: readonly (readonly number[])[]): Promise<void> {
    const topic = this.validateAddPartitions(name, count);
    const rf = topic.partitions[0]?.replicas.length ?? 1;
    await this.store.propose({ type: 'addPartitions', name, partitions: assignments?.map(newPartition) ?? this.place(topic.partitions.length, count, rf) });
  }

  /**
   * Replaces a topic's config overrides with what `compute` makes of the current ones (already
   * validated; undefined: no change). Updates run one at a time, each computed from the configs
   * the one before committed.
   */
  updateConfigs(name: string, compute: (current: Readonly<Record<string, string>> | undefined) => Record<string, string> | undefined): Promise<void> {
    return this.configUpdates.run(async () => {
      const configs = compute(this.image.topic(name)?.configs);
      if (configs === undefined) return;
      if (!this.image.topic(name)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      await this.store.propose({ type: 'setTopicConfigs', name, configs });
    });
  }

  /** Replaces a topic's config overrides (already validated). */
  setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.updateConfigs(name, () => configs);
  }

  /** Starts (or with `target` null cancels) a reassignment of one partition, decided by the controller (KIP-455). */
  async reassignPartition(topic: string, partition: number, target: readonly number[] | null): Promise<void> {
    await this.store.propose({ type: 'reassignPartition', topic, partition, target });
  }
}
