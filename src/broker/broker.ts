import { BrokerConfig, type Listener } from './config.js';
import { HandlerRegistry, type ApiHandler } from './handler.js';
import { LocalMetadataStore } from './metadata/local-store.js';
import { ensureMetaProperties } from './metadata/meta-properties.js';
import type { MetadataImage, Endpoint } from './metadata/image.js';
import { applyDynamicBrokerConfigs, BrokerMetadataPublisher } from './metadata/publisher.js';
import type { MetadataStore } from './metadata/store.js';
import type { BrokerContext } from './context.js';
import { KafkaServer } from './network/server.js';
import { ReplicaManager, type ReplicaManagerOptions } from './replica/replica-manager.js';
import { TopicManager } from './topic-manager.js';
import { createGroupCoordinator } from './groups.js';
import { DynamicConfigManager } from './dynamic-configs.js';
import { createTransactionCoordinator } from './transactions.js';
import { TRANSACTION_STATE_TOPIC, type TransactionCoordinator } from '../coordinators/transaction/coordinator.js';
import { OFFSETS_TOPIC, type GroupCoordinator } from '../coordinators/group/index.js';
import { CoordinatorMetadataPublisher } from './metadata/coordinator-publisher.js';
import { apiVersionsHandler, apiVersionsResponse } from './handlers/api-versions.js';
import { ALL_HANDLERS } from './handlers/index.js';
import { createLogger, type Logger, type LogLevel } from '../util/logger.js';

export const SAMSA_VERSION = '0.1.0';

export interface BrokerOptions {
  config: BrokerConfig;
  logger?: Logger;
  /** Sees every request frame (golden-bytes capture). */
  onRequestFrame?: (apiKey: number, apiVersion: number, frame: Buffer) => void;
  /** The cluster's metadata store (default: the single-node store in the first log dir). */
  metadataStore?: MetadataStore;
  /** Replication settings a test shortens (replica.lag.time.max.ms, replica.fetch.*). */
  replication?: Pick<ReplicaManagerOptions, 'replicaLagTimeMaxMs' | 'fetch'>;
}

/** A single Kafka node: broker and (trivially) controller of its own cluster. */
export class Broker implements BrokerContext {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly registry = new HandlerRegistry();
  readonly servers: KafkaServer[] = [];
  private metadataStore!: MetadataStore;
  replicas!: ReplicaManager;
  topics!: TopicManager;
  dynamicConfigs!: DynamicConfigManager;
  groups!: GroupCoordinator;
  txn!: TransactionCoordinator;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BrokerOptions) {
    this.config = options.config;
    this.logger = options.logger ?? createLogger(this.config.str('samsa.log.level') as LogLevel);
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  /** Listeners as advertised to clients, with the ports actually bound (port 0 resolved). */
  advertisedListeners(): Listener[] {
    const configured = this.config.advertisedListeners();
    return configured.map((l) => {
      const bound = this.servers.find((s) => s.listener.name === l.name);
      return l.port === 0 && bound ? { ...l, port: bound.port } : l;
    });
  }

  get metadata(): MetadataImage {
    return this.metadataStore.image;
  }

  /** This node in the metadata: its advertised endpoints and rack (Kafka's broker registration). */
  private register(listeners: readonly Listener[]): Promise<MetadataImage> {
    const protocols = new Map(this.config.list('listener.security.protocol.map').map((entry) => entry.split(':', 2) as [string, string]));
    const endpoints: Endpoint[] = listeners.map((l) => ({ listener: l.name, host: l.host, port: l.port, securityProtocol: protocols.get(l.name) ?? l.name }));
    return this.metadataStore.propose({ type: 'registerBroker', broker: { id: this.nodeId, endpoints, rack: this.config.get('broker.rack') as string | null } });
  }

  /** The cluster's etcd store when samsa.etcd.endpoints is set, else this node's local file. */
  private async openMetadataStore(logDirs: string[]): Promise<MetadataStore> {
    const clusterId = this.config.get('cluster.id') as string | null;
    const endpoints = this.config.list('samsa.etcd.endpoints');
    if (endpoints.length === 0) return LocalMetadataStore.load(logDirs, this.nodeId, clusterId);
    // Loaded only for a cluster: the etcd client (gRPC, protobufjs) costs a single node ~12 MiB of RSS and start time.
    const { EtcdMetadataStore } = await import('./metadata/etcd-store.js');
    const store = await EtcdMetadataStore.open({
      endpoints,
      prefix: this.config.str('samsa.etcd.prefix'),
      nodeId: this.nodeId,
      clusterId,
      sessionTimeoutMs: this.config.int('broker.session.timeout.ms'),
      heartbeatIntervalMs: this.config.int('broker.heartbeat.interval.ms'),
      leaderRebalance: this.config.bool('auto.leader.rebalance.enable')
        ? { intervalMs: this.config.int('leader.imbalance.check.interval.seconds') * 1000 }
        : undefined,
      logger: this.logger,
    });
    // Before this broker registers: its log dirs must be this cluster's and this node's.
    await ensureMetaProperties(logDirs, this.nodeId, store.image.clusterId).catch(async (e: unknown) => {
      await store.close();
      throw e;
    });
    return store;
  }

  async start(): Promise<void> {
    const started = Date.now();
    const logDirs = this.config.logDirs();
    const store = this.options.metadataStore ?? (await this.openMetadataStore(logDirs));
    this.metadataStore = store;
    // Registered with the configured ports at once (topics are placed on registered brokers), again below once bound.
    await this.register(this.config.advertisedListeners());
    applyDynamicBrokerConfigs(this.config, this.metadata.brokerConfigs, this.logger);
    this.replicas = await ReplicaManager.open(this, { ...this.options.replication, alterPartition: (change) => store.propose(change) });
    const publisher = new BrokerMetadataPublisher(this.nodeId, this.config, this.replicas, this.logger);
    await publisher.load(this.metadata);
    store.subscribe(publisher);
    this.topics = new TopicManager(this.config, this.logger, store);
    this.dynamicConfigs = new DynamicConfigManager(this.config, this.logger, store);
    this.groups = createGroupCoordinator(this);
    this.groups.startup();
    this.txn = createTransactionCoordinator(this, store.allocateProducerIdBlock?.bind(store));
    this.txn.startup();
    store.subscribe(new CoordinatorMetadataPublisher(this.nodeId, [{ topic: OFFSETS_TOPIC, coordinator: this.groups }, { topic: TRANSACTION_STATE_TOPIC, coordinator: this.txn }], this.logger));

    this.registry.register(apiVersionsHandler(this.registry));
    for (const make of ALL_HANDLERS) this.registry.register(make(this) as ApiHandler);

    for (const listener of this.config.listeners()) {
      if (listener.name === 'CONTROLLER') continue;
      const server = new KafkaServer(listener, {
        registry: this.registry,
        logger: this.logger,
        maxRequestBytes: this.config.int('socket.request.max.bytes'),
        idleTimeoutMs: this.config.int('connections.max.idle.ms'),
        maxInFlight: this.config.int('queued.max.requests'),
        maxInFlightBytes: this.maxQueuedRequestBytes(),
        onRequestFrame: this.options.onRequestFrame,
        apiVersionsFallback: () => apiVersionsResponse(this.registry),
      });
      await server.start();
      this.servers.push(server);
    }
    if (this.config.advertisedListeners().some((l) => l.port === 0)) await this.register(this.advertisedListeners());
    for (const w of this.config.warnings) this.logger.warn(w);
    this.logger.info('broker started', { ms: Date.now() - started });
  }

  /** queued.max.request.bytes (Kafka: -1 = unbounded); here -1 means 4 × socket.request.max.bytes capped at 256 MiB. */
  private maxQueuedRequestBytes(): number {
    const configured = this.config.int('queued.max.request.bytes');
    return configured > 0 ? configured : Math.min(4 * this.config.int('socket.request.max.bytes'), 256 * 1024 * 1024);
  }

  /** One line for humans: version, listeners, log dirs, flush mode. */
  banner(): string {
    const listeners = this.servers.map((s) => `${s.listener.name}://${s.listener.host || '0.0.0.0'}:${s.port}`).join(',');
    const durable = this.config.bool('samsa.log.flush.durable');
    return `samsa ${SAMSA_VERSION} node ${this.nodeId} cluster ${this.metadata.clusterId} listening on ${listeners}, log dirs ${this.config.logDirs().join(',')}, flush ${durable ? 'durable (fdatasync before ack)' : 'os (page cache)'}`;
  }

  /**
   * Kafka's controlled shutdown (controlled.shutdown.enable), in a cluster: while this broker
   * still serves, the controller moves its leaderships and ISR places to other brokers, so
   * clients follow the leaders without failed requests. Bounded by
   * samsa.controlled.shutdown.timeout.ms: a broker whose controller or etcd is unreachable stops anyway.
   */
  private async controlledShutdown(): Promise<void> {
    const store = this.metadataStore;
    if (!store?.controlledShutdown || !this.replicas || !this.config.bool('controlled.shutdown.enable')) return;
    const started = Date.now();
    const timeoutMs = this.config.int('samsa.controlled.shutdown.timeout.ms');
    if (await store.controlledShutdown(timeoutMs)) this.logger.info('controlled shutdown complete', { node: this.nodeId, ms: Date.now() - started });
    else this.logger.warn('controlled shutdown not complete, stopping anyway', { node: this.nodeId, ms: Date.now() - started, timeoutMs });
  }

  /** Graceful stop: (in a cluster) hand leaderships over, stop accepting, answer what was asked, flush, write the clean-shutdown marker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.controlledShutdown();
      this.replicas?.stopWaiting();
      // As Kafka's shutdown: requests stop being read before the coordinators stop, so none
      // arrives at a coordinator that is going away; those already read are answered.
      for (const s of this.servers) s.stopAccepting();
      await this.txn?.shutdown();
      await this.groups?.shutdown();
      await Promise.all(this.servers.map((s) => s.stop()));
      // Deregistered before the logs close: no metadata change reaches a closing replica manager.
      await this.metadataStore?.close?.();
      await this.replicas?.close();
    })();
    return this.closing;
  }
}
