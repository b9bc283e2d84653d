// Building a BrokerContext for handler tests from the parts a test needs: a metadata image of
// one registered broker, a real local metadata store with the topic and config managers and the
// broker's metadata publisher in front of a replica manager that only records what it is told.
// A member the test did not supply throws when a handler touches it.
import { BrokerConfig } from '../../../src/broker/config.js';
import type { BrokerContext } from '../../../src/broker/context.js';
import { DynamicConfigManager } from '../../../src/broker/dynamic-configs.js';
import { MetadataImage, newPartition, type BrokerRegistration, type TopicImage } from '../../../src/broker/metadata/image.js';
import { INTERNAL_TOPICS, randomUuid } from '../../../src/broker/metadata/names.js';
import { LocalMetadataStore } from '../../../src/broker/metadata/local-store.js';
import { BrokerMetadataPublisher, type ReplicaManagerView } from '../../../src/broker/metadata/publisher.js';
import { TopicManager } from '../../../src/broker/topic-manager.js';
import { createLogger } from '../../../src/util/logger.js';

export const testConfig = (props: Record<string, string> = {}) => new BrokerConfig(new Map(Object.entries(props)));

/** Broker `id` registered with one PLAINTEXT endpoint. */
export function registration(id: number, host = 'broker.local', port = 9092, rack: string | null = null): BrokerRegistration {
  return { id, endpoints: [{ listener: 'PLAINTEXT', host, port, securityProtocol: 'PLAINTEXT' }], rack };
}

/** A topic of `partitions` partitions, each on node `nodeId` alone. */
export function topicImage(name: string, partitions: number, nodeId = 1, configs: Record<string, string> = {}): TopicImage {
  return { name, topicId: randomUuid(), internal: INTERNAL_TOPICS.has(name), configs, partitions: Array.from({ length: partitions }, () => newPartition([nodeId])) };
}

/** An image of one node, the controller, with the given topics. */
export function singleNodeImage(nodeId = 1, topics: TopicImage[] = [], where: Partial<{ host: string; port: number; rack: string }> = {}): MetadataImage {
  return new MetadataImage({ clusterId: 'test-cluster-id-000000', controllerId: nodeId, brokers: [registration(nodeId, where.host, where.port, where.rack ?? null)], topics });
}

/** A context of exactly `parts`; reading any other member fails the test with its name. */
export function testContext(parts: Partial<BrokerContext>): BrokerContext {
  return new Proxy(parts as BrokerContext, {
    get(target, key, receiver) {
      if (key in target || typeof key === 'symbol' || key === 'then') return Reflect.get(target, key, receiver);
      throw new Error(`the test's BrokerContext has no ${key}`);
    },
  });
}

/** What the stub replica manager was told, in order ("open t-0" the first time a partition's registration applies, "apply t-0" later ones, "delete t", "config t", "broker configs"). */
export interface RecordingReplicas extends ReplicaManagerView {
  readonly calls: string[];
  readonly opened: string[];
  readonly deleted: string[];
  /** Something for a partition it was told to open (the Metadata handler asks whether it is open). */
  partition(topic: string, index: number): object | undefined;
}

export function recordingReplicas(): RecordingReplicas {
  const calls: string[] = [];
  const opened: string[] = [];
  const deleted: string[] = [];
  return {
    calls,
    opened,
    deleted,
    isStopping: false,
    applyRegistration: async (t, p) => {
      const name = `${t.name}-${p}`;
      calls.push(`${opened.includes(name) ? 'apply' : 'open'} ${name}`);
      if (!opened.includes(name)) opened.push(name);
      return undefined;
    },
    deleteTopic: async (t) => {
      calls.push(`delete ${t.name}`);
      deleted.push(t.name);
    },
    stopReplica: async (t, p) => {
      calls.push(`stop ${t}-${p}`);
      opened.splice(opened.indexOf(`${t}-${p}`) >>> 0, 1);
    },
    configChanged: (t) => void calls.push(`config ${t.name}`),
    brokerConfigChanged: () => void calls.push('broker configs'),
    partition: (topic, index) => (opened.includes(`${topic}-${index}`) ? {} : undefined),
  };
}

export interface StoreContext {
  broker: BrokerContext;
  store: LocalMetadataStore;
  replicas: RecordingReplicas;
}

/**
 * A context over a real local metadata store in `dir` (this node registered at
 * samsa.example:19092), with the topic and dynamic config managers; logs are not opened, the
 * replica manager records what the publisher tells it.
 */
export async function storeContext(dir: string, props: Record<string, string> = {}): Promise<StoreContext> {
  const config = testConfig({ 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0', ...props });
  const logger = createLogger('silent');
  const store = await LocalMetadataStore.load([dir], config.nodeId, null);
  await store.propose({ type: 'registerBroker', broker: registration(config.nodeId, 'samsa.example', 19092) });
  const replicas = recordingReplicas();
  const publisher = new BrokerMetadataPublisher(config.nodeId, config, replicas, logger);
  await publisher.load(store.image);
  store.subscribe(publisher);
  const broker = testContext({
    nodeId: config.nodeId,
    config,
    logger,
    get metadata() {
      return store.image;
    },
    // The handlers under test only ask the replica manager whether a partition is open.
    replicas: replicas as unknown as BrokerContext['replicas'],
    topics: new TopicManager(config, logger, store),
    dynamicConfigs: new DynamicConfigManager(config, logger, store),
  });
  return { broker, store, replicas };
}
