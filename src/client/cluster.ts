/**
 * Cluster view shared by the admin, producer and consumer: bootstrap, metadata (brokers, leader
 * of each partition), one connection per broker and purpose, group coordinators.
 */
import { FindCoordinator, Metadata, type MetadataResponse } from './protocol.js';
import { UUID_ZERO } from '../protocol/runtime/index.js';
import { Connection, parseHostPort } from './connection.js';
import { ConnectionError, ErrorCode, KafkaError, needsMetadataRefresh } from './errors.js';

export interface ClientOptions {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts for retriable failures (default 5). */
  retries?: number;
  retryBackoffMs?: number;
  /** Metadata older than this is refreshed on use (default 5 min). */
  metadataMaxAgeMs?: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  readonly options: Required<ClientOptions>;
  readonly brokers = new Map<number, BrokerInfo>();
  readonly topics = new Map<string, TopicInfo>();
  clusterId: string | null = null;
  controllerId = -1;
  private readonly connections = new Map<string, Promise<Connection>>();
  private bootstrapConn: Promise<Connection> | null = null;
  private readonly coordinators = new Map<string, number>();
  private metadataAt = 0;
  private closed = false;

  constructor(options: ClientOptions) {
    if (!options.brokers.length) throw new Error('no bootstrap brokers given');
    this.options = {
      clientId: 'samsa',
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      retries: 5,
      retryBackoffMs: 100,
      metadataMaxAgeMs: 300_000,
      ...options,
    };
  }

  private open(host: string, port: number): Promise<Connection> {
    return Connection.connect({
      host,
      port,
      clientId: this.options.clientId,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
  }

  /** A connection to any bootstrap server (tried in order). */
  async anyConnection(): Promise<Connection> {
    if (this.closed) throw new ConnectionError('client closed');
    for (const [key, c] of this.connections) {
      if (!key.endsWith(':main')) continue;
      const conn = await c.catch(() => null);
      if (conn && !conn.closed) return conn;
    }
    if (this.bootstrapConn) {
      const conn = await this.bootstrapConn.catch(() => null);
      if (conn && !conn.closed) return conn;
    }
    this.bootstrapConn = (async () => {
      const errors: string[] = [];
      for (const b of this.options.brokers) {
        const { host, port } = parseHostPort(b);
        try {
          return await this.open(host, port);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
      throw new ConnectionError(`cannot reach any bootstrap broker (${errors.join('; ')}) — check --brokers / SAMSA_BROKERS and that the broker runs`);
    })();
    return this.bootstrapConn;
  }

  /** A connection to broker `nodeId`; `purpose` keeps long-blocking requests (JoinGroup, Fetch) off the main connection. */
  async connection(nodeId: number, purpose = 'main'): Promise<Connection> {
    if (this.closed) throw new ConnectionError('client closed');
    const key = `${nodeId}:${purpose}`;
    const existing = this.connections.get(key);
    if (existing) {
      const conn = await existing.catch(() => null);
      if (conn && !conn.closed) return conn;
      this.connections.delete(key);
    }
    let info = this.brokers.get(nodeId);
    if (!info) {
      await this.refreshMetadata();
      info = this.brokers.get(nodeId);
      if (!info) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId}`);
    }
    const p = this.open(info.host, info.port);
    this.connections.set(key, p);
    p.catch(() => this.connections.delete(key));
    return p;
  }

  /** Refreshes metadata for `topics` (all topics when null/undefined). */
  async refreshMetadata(topics?: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      try {
        const conn = await this.anyConnection();
        const res = await conn.request(Metadata, {
          topics: topics ? topics.map((name) => ({ topicId: UUID_ZERO, name })) : null,
          allowAutoTopicCreation,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        });
        this.applyMetadata(res, !topics);
        return res;
      } catch (e) {
        lastError = e;
        if (!(e instanceof ConnectionError)) throw e;
        this.bootstrapConn = null;
        await sleep(this.options.retryBackoffMs * (attempt + 1));
      }
    }
    throw lastError;
  }

  private applyMetadata(res: MetadataResponse, all: boolean): void {
    this.brokers.clear();
    for (const b of res.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    if (all) this.topics.clear();
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== 0 && t.partitions.length === 0) {
        this.topics.delete(t.name);
        if (!all) this.topics.set(t.name, { name: t.name, topicId: t.topicId, isInternal: t.isInternal, errorCode: t.errorCode, partitions: [] });
        continue;
      }
      this.topics.set(t.name, {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offlineReplicas: p.offlineReplicas,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      });
    }
    this.metadataAt = Date.now();
  }

  /** Metadata of a topic, fetched when unknown or stale; throws UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
  async topic(name: string, options: { autoCreate?: boolean; refresh?: boolean } = {}): Promise<TopicInfo> {
    let t = this.topics.get(name);
    if (!t || t.errorCode !== 0 || options.refresh || Date.now() - this.metadataAt > this.options.metadataMaxAgeMs) {
      await this.refreshMetadata([name], options.autoCreate ?? false);
      t = this.topics.get(name);
    }
    for (let attempt = 0; t && needsMetadataRefresh(t.errorCode) && t.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && attempt < this.options.retries; attempt++) {
      await sleep(this.options.retryBackoffMs * (attempt + 1));
      await this.refreshMetadata([name], options.autoCreate ?? false);
      t = this.topics.get(name);
    }
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name}`);
    if (t.errorCode !== 0) throw new KafkaError(t.errorCode, `topic ${name}`);
    return t;
  }

  async leaderOf(topic: string, partition: number): Promise<number> {
    const t = await this.topic(topic);
    const p = t.partitions[partition];
    if (!p || p.partition !== partition) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}[${partition}]`);
    if (p.leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}[${partition}]`);
    return p.leader;
  }

  /** A connection to the controller (for topic creation and deletion), any broker if it is unknown. */
  async controllerConnection(): Promise<Connection> {
    if (this.controllerId < 0 || !this.brokers.has(this.controllerId)) await this.refreshMetadata([]);
    if (this.controllerId >= 0 && this.brokers.has(this.controllerId)) return this.connection(this.controllerId);
    return this.anyConnection();
  }

  /** The group coordinator's node id. */
  async coordinatorOf(groupId: string, refresh = false): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined && !refresh) return known;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      const conn = await this.anyConnection();
      const version = conn.versionOf(FindCoordinator);
      const res = await conn.request(FindCoordinator, version >= 4 ? { key: '', keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0, coordinatorKeys: [] }, { version });
      let code: number, nodeId: number, host: string, port: number, message: string | null;
      if (version >= 4) {
        const c = res.coordinators[0];
        if (!c) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `group ${groupId}`);
        ({ errorCode: code, nodeId, host, port, errorMessage: message } = c);
      } else {
        ({ errorCode: code, nodeId, host, port, errorMessage: message } = res);
      }
      if (code === 0) {
        if (!this.brokers.has(nodeId)) this.brokers.set(nodeId, { nodeId, host, port, rack: null });
        this.coordinators.set(groupId, nodeId);
        return nodeId;
      }
      lastError = new KafkaError(code, `coordinator of group ${groupId}`, message);
      if (code !== ErrorCode.COORDINATOR_NOT_AVAILABLE && code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) throw lastError;
      await sleep(this.options.retryBackoffMs * (attempt + 1) * 2);
    }
    throw lastError;
  }

  forgetCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  async coordinatorConnection(groupId: string, purpose = 'main'): Promise<Connection> {
    return this.connection(await this.coordinatorOf(groupId), purpose);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    if (this.bootstrapConn) all.push(this.bootstrapConn);
    this.connections.clear();
    this.bootstrapConn = null;
    for (const c of all) (await c.catch(() => null))?.close();
  }
}
