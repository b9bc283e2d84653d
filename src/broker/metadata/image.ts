/**
 * The cluster's metadata as one immutable value (Kafka's MetadataImage, reduced): the cluster
 * id and controller, the registered brokers with their endpoints, the topics with their
 * partitions' replicas, leader, ISR and epochs, and the dynamic broker configs. A metadata store
 * publishes a new image for every committed change; nothing mutates an image once built, so a
 * reader holding one sees a consistent cluster across awaits.
 */

export interface Endpoint {
  /** The listener's name, as a request's listener is named (PLAINTEXT, EXTERNAL, ...). */
  readonly listener: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

/** A broker as it registered (Kafka's BrokerRegistration). */
export interface BrokerRegistration {
  readonly id: number;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  /**
   * Set by the controller once the broker asked to shut down (Kafka's BrokerHeartbeat
   * wantShutDown): it is no longer eligible as leader, ISR member or home of new replicas.
   */
  readonly inControlledShutdown?: boolean;
}

/** One partition's placement and leadership (Kafka's PartitionRegistration). */
export interface PartitionRegistration {
  readonly replicas: readonly number[];
  /** In-sync replicas, always a subset of `replicas` that contains the leader. */
  readonly isr: readonly number[];
  /** -1 when the partition has no leader. */
  readonly leader: number;
  /** Bumped on every leader change (KIP-101 fencing of stale leaders). */
  readonly leaderEpoch: number;
  /** Bumped on every change of the registration (replicas, ISR or leader). */
  readonly partitionEpoch: number;
  /**
   * A reassignment in progress (KIP-455): replicas being added (target minus original) and
   * being removed (original minus target). Absent (older stored values) means none.
   */
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  /** Kafka's topic id, 22 characters of URL-safe base64. */
  readonly topicId: string;
  readonly internal: boolean;
  /** Topic-level overrides of broker defaults, as set by CreateTopics/AlterConfigs. */
  readonly configs: Readonly<Record<string, string>>;
  /** Indexed by partition id: partitions 0..n-1, none missing. */
  readonly partitions: readonly PartitionRegistration[];
}

/** Dynamic broker configs: this node's (BROKER resource "<id>") and the cluster default (""). */
export interface DynamicBrokerConfigs {
  readonly node: Readonly<Record<string, string>>;
  readonly clusterDefault: Readonly<Record<string, string>>;
}

export interface MetadataImageParts {
  clusterId: string;
  controllerId: number;
  brokers?: readonly BrokerRegistration[];
  topics?: readonly TopicImage[];
  brokerConfigs?: DynamicBrokerConfigs;
}

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};

export class MetadataImage {
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: ReadonlyMap<string, TopicImage>;
  readonly brokerConfigs: DynamicBrokerConfigs;
  private readonly byId: ReadonlyMap<string, TopicImage>;

  constructor(parts: MetadataImageParts) {
    this.clusterId = parts.clusterId;
    this.controllerId = parts.controllerId;
    this.brokers = new Map((parts.brokers ?? []).map((b) => [b.id, deepFreeze(b)]));
    this.topics = new Map((parts.topics ?? []).map((t) => [t.name, deepFreeze(t)]));
    this.byId = new Map([...this.topics.values()].map((t) => [t.topicId, t]));
    this.brokerConfigs = deepFreeze(parts.brokerConfigs ?? { node: {}, clusterDefault: {} });
    Object.freeze(this);
  }

  /** A copy with some parts replaced (the others shared: they are frozen). */
  with(parts: Partial<MetadataImageParts>): MetadataImage {
    return new MetadataImage({
      clusterId: this.clusterId,
      controllerId: this.controllerId,
      brokers: [...this.brokers.values()],
      topics: [...this.topics.values()],
      brokerConfigs: this.brokerConfigs,
      ...parts,
    });
  }

  topic(name: string): TopicImage | undefined {
    return this.topics.get(name);
  }

  topicById(id: string): TopicImage | undefined {
    return this.byId.get(id);
  }

  partition(topic: string, index: number): PartitionRegistration | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  broker(id: number): BrokerRegistration | undefined {
    return this.brokers.get(id);
  }

  /** Registered brokers that may lead, join an ISR or get new replicas: not in controlled shutdown (Kafka's usable brokers). */
  usableBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].filter((b) => b.inControlledShutdown !== true);
  }

  /**
   * Where clients reach broker `id` on the listener a request arrived on. As Samsa always has,
   * a broker without that listener is reached on its first endpoint.
   */
  endpoint(id: number, listener: string): Endpoint | undefined {
    const b = this.brokers.get(id);
    return b?.endpoints.find((e) => e.listener === listener) ?? b?.endpoints[0];
  }

  /** Every broker clients can reach on `listener`, by id, with where (Metadata, DescribeCluster). */
  reachableBrokers(listener: string): { id: number; host: string; port: number; rack: string | null }[] {
    return [...this.brokers.values()]
      .sort((a, b) => a.id - b.id)
      .flatMap((b) => {
        const e = this.endpoint(b.id, listener);
        return e ? [{ id: b.id, host: e.host, port: e.port, rack: b.rack }] : [];
      });
  }
}

/** The registration of a partition created on `replicas`: the first one leads, all are in sync. */
export function newPartition(replicas: readonly number[]): PartitionRegistration {
  return { replicas: [...replicas], isr: [...replicas], leader: replicas[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0 };
}
