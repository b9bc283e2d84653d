/**
 * How the cluster's metadata is laid out in etcd, and the two translations the etcd store needs:
 * etcd's keys to a broker's image (every broker derives its image from the same keys, so the
 * images agree at every revision), and an image change to the key writes that commit it.
 *
 * Under the prefix P:
 *   P/cluster-id               the cluster id, written once
 *   P/controller               the controller's node id, on its lease (the election key)
 *   P/brokers/<id>             a live broker's registration, on its lease
 *   P/controlled-shutdown/<id> written by the controller when broker <id> asked to shut down, on that broker's lease
 *   P/topics/<name>            a topic with its id, configs and partition registrations
 *   P/configs/brokers/<id>     dynamic broker configs of node <id>; `default` for the cluster default
 *   P/proposals/<id>           a change a broker asks the controller to commit, on its lease
 *   P/results/<id>             the controller's answer to proposal <id>
 *   P/producer-ids             the first producer id of the next unallocated block (KIP-730's ProducerIdsRecord)
 */
import { applyChange, type MetadataChange } from './changes.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { MetadataImage, type BrokerRegistration, type PartitionRegistration, type TopicImage } from './image.js';

export class EtcdKeys {
  constructor(readonly prefix: string) {}
  get producerIds(): string {
    return `${this.prefix}/producer-ids`;
  }
  get clusterId(): string {
    return `${this.prefix}/cluster-id`;
  }
  get controller(): string {
    return `${this.prefix}/controller`;
  }
  broker(id: number): string {
    return `${this.prefix}/brokers/${id}`;
  }
  controlledShutdown(id: number): string {
    return `${this.prefix}/controlled-shutdown/${id}`;
  }
  topic(name: string): string {
    return `${this.prefix}/topics/${name}`;
  }
  /** `null`: the cluster default. */
  brokerConfigs(id: number | null): string {
    return `${this.prefix}/configs/brokers/${id === null ? 'default' : id}`;
  }
  proposal(id: string): string {
    return `${this.prefix}/proposals/${id}`;
  }
  result(id: string): string {
    return `${this.prefix}/results/${id}`;
  }
  /** The proposal or result id of a key under proposals/ or results/, else undefined. */
  idUnder(kind: 'proposals' | 'results', key: string): string | undefined {
    const head = `${this.prefix}/${kind}/`;
    return key.startsWith(head) ? key.slice(head.length) : undefined;
  }
}

/** A proposal as the controller reads it: who proposed (images differ in their node's dynamic configs) and what. */
export interface Proposal {
  readonly nodeId: number;
  readonly change: MetadataChange;
}

/** The controller's answer: committed, or refused with a Kafka error. */
export type ProposalResult = { readonly ok: true } | { readonly ok: false; readonly code: number; readonly message: string };

/** What a topic key holds. */
interface StoredTopic {
  topicId: string;
  internal: boolean;
  configs: Readonly<Record<string, string>>;
  partitions: readonly PartitionRegistration[];
}

export const encodeTopic = (t: TopicImage): string =>
  JSON.stringify({ topicId: t.topicId, internal: t.internal, configs: t.configs, partitions: t.partitions } satisfies StoredTopic);

export const encodeBroker = (b: BrokerRegistration): string => JSON.stringify(b);

/**
 * The image node `nodeId` sees of the keys under `keys.prefix` (a key that does not parse is
 * skipped: a newer Samsa's key must not stop an older one's broker).
 */
export function imageFromKeys(kvs: ReadonlyMap<string, string>, keys: EtcdKeys, nodeId: number): MetadataImage {
  const brokers: BrokerRegistration[] = [];
  const topics: TopicImage[] = [];
  const shuttingDown = (id: number) => kvs.has(keys.controlledShutdown(id));
  const brokersHead = `${keys.prefix}/brokers/`;
  const topicsHead = `${keys.prefix}/topics/`;
  const parse = <T>(text: string): T | undefined => {
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  };
  for (const [key, value] of kvs) {
    if (key.startsWith(brokersHead)) {
      const b = parse<BrokerRegistration>(value);
      if (b && Number.isInteger(b.id)) brokers.push(shuttingDown(b.id) ? { ...b, inControlledShutdown: true } : b);
    } else if (key.startsWith(topicsHead)) {
      const t = parse<StoredTopic>(value);
      if (t && Array.isArray(t.partitions)) topics.push({ name: key.slice(topicsHead.length), ...t });
    }
  }
  const controller = kvs.get(keys.controller);
  return new MetadataImage({
    clusterId: kvs.get(keys.clusterId) ?? '',
    controllerId: controller === undefined ? -1 : Number(controller),
    brokers,
    topics: topics.sort((a, b) => (a.name < b.name ? -1 : 1)),
    brokerConfigs: {
      node: parse<Record<string, string>>(kvs.get(keys.brokerConfigs(nodeId)) ?? '{}') ?? {},
      clusterDefault: parse<Record<string, string>>(kvs.get(keys.brokerConfigs(null)) ?? '{}') ?? {},
    },
  });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The changes that turn `prev` into `next`, in an order `applyChange` accepts (deletions before
 * creations, so a topic recreated under a new id is deleted first). Applying them to `prev`
 * gives an image equal to `next`.
 */
export function diffImages(prev: MetadataImage, next: MetadataImage): MetadataChange[] {
  const changes: MetadataChange[] = [];
  for (const b of prev.brokers.values()) if (!next.broker(b.id)) changes.push({ type: 'unregisterBroker', id: b.id });
  for (const b of next.brokers.values()) if (!same(prev.broker(b.id), b)) changes.push({ type: 'registerBroker', broker: b });
  if (prev.controllerId !== next.controllerId) changes.push({ type: 'setController', id: next.controllerId });
  for (const t of prev.topics.values()) if (next.topic(t.name)?.topicId !== t.topicId) changes.push({ type: 'deleteTopic', name: t.name });
  for (const t of next.topics.values()) {
    const old = prev.topic(t.name);
    if (old?.topicId !== t.topicId) {
      changes.push({ type: 'createTopic', topic: t });
      continue;
    }
    if (!same(old.configs, t.configs)) changes.push({ type: 'setTopicConfigs', name: t.name, configs: t.configs });
    const changed = old.partitions.flatMap((p, index) => (index < t.partitions.length && !same(p, t.partitions[index]) ? [{ index, registration: t.partitions[index]! }] : []));
    if (changed.length > 0) changes.push({ type: 'changePartitions', name: t.name, partitions: changed });
    if (t.partitions.length > old.partitions.length) changes.push({ type: 'addPartitions', name: t.name, partitions: t.partitions.slice(old.partitions.length) });
  }
  if (!same(prev.brokerConfigs, next.brokerConfigs)) changes.push({ type: 'setBrokerConfigs', configs: next.brokerConfigs });
  return changes;
}

/** One key write of a commit: a put (on `lease` when given, or on the lease key `sameLeaseAs` is on), or a delete when `value` is null. */
export interface KeyWrite {
  readonly key: string;
  readonly value: string | null;
  readonly lease?: string;
  readonly sameLeaseAs?: string;
}

/**
 * The controller's side of a change proposed by node `nodeId`: checked against the image that
 * node sees of `kvs` (throws the KafkaError a refused change gets), and turned into the topic
 * and config key writes that commit it. Broker registrations and the controller key are not
 * metadata writes: each broker writes its own, on its lease (the controlled-shutdown mark is
 * the controller's, put on the broker's lease).
 */
export function writesForChange(kvs: ReadonlyMap<string, string>, keys: EtcdKeys, nodeId: number, change: MetadataChange): KeyWrite[] {
  const prev = imageFromKeys(kvs, keys, nodeId);
  // Placed by the proposer on the brokers it saw: one may have died since.
  const placed = change.type === 'createTopic' ? change.topic.partitions : change.type === 'addPartitions' ? change.partitions : [];
  const missing = placed.flatMap((p) => p.replicas).find((id) => !prev.broker(id));
  if (missing !== undefined) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Broker ${missing} is not a live broker of the cluster.`);
  const next = applyChange(prev, change);
  const writes: KeyWrite[] = [];
  for (const t of prev.topics.values()) if (!next.topic(t.name)) writes.push({ key: keys.topic(t.name), value: null });
  for (const t of next.topics.values()) if (!same(prev.topic(t.name), t)) writes.push({ key: keys.topic(t.name), value: encodeTopic(t) });
  // The controlled-shutdown mark lives on the broker's own lease: it goes with the broker, and a restarted broker starts unmarked.
  for (const b of next.brokers.values()) {
    if (b.inControlledShutdown === true && prev.broker(b.id)?.inControlledShutdown !== true) writes.push({ key: keys.controlledShutdown(b.id), value: JSON.stringify({ brokerId: b.id }), sameLeaseAs: keys.broker(b.id) });
  }
  if (!same(prev.brokerConfigs.node, next.brokerConfigs.node)) writes.push({ key: keys.brokerConfigs(nodeId), value: JSON.stringify(next.brokerConfigs.node) });
  if (!same(prev.brokerConfigs.clusterDefault, next.brokerConfigs.clusterDefault)) writes.push({ key: keys.brokerConfigs(null), value: JSON.stringify(next.brokerConfigs.clusterDefault) });
  return writes;
}
