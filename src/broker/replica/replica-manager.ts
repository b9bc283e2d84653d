/**
 * Kafka's ReplicaManager: the partitions this broker hosts, over the storage layer's LogManager,
 * and the data path through them.
 *
 * - `appendRecords` (a produce): per partition, validate once, check producer state, append as
 *   leader (append-records.ts); acks=all then waits in the produce purgatory until the high
 *   watermark covers the records (delayed-produce.ts: where acks=all waits).
 * - `fetchMessages` (a fetch): locate up to the isolation level's bound, long-poll in the fetch
 *   purgatory for minBytes (delayed-fetch.ts), read. A follower's fetch updates its replica state
 *   (Partition.updateFollowerFetchState), which may move the high watermark and so complete
 *   delayed produces.
 * - Leadership from the metadata image (`applyRegistration`): a leader tracks its followers and
 *   proposes ISR changes (shrink after replica.lag.time.max.ms, expand on catch-up) to the
 *   metadata store, acting on them once committed; a follower fetches from its leader
 *   (replica-fetcher.ts).
 * - Replication throttles (KIP-73, replication-quota.ts): the leader quota holds back records
 *   for out-of-sync followers of throttled partitions, the follower quota this node's fetchers.
 * - Opening and deleting partitions, per-topic log configs, producer id expiry.
 *
 * Partitions are reached only through request/result-shaped async calls (records in, offsets
 * and codes out), and they report back only through their listener. A later step can run each
 * partition with its log (and its CRC and compression work) on a worker thread: each call
 * becomes a message and its result a reply (buffers transferred, not shared); the listener a
 * message back; a fetch's locate-then-read becomes two messages, the located ranges staying on
 * the worker as (segment, position, size) until the read brings the bytes back.
 */
import { LogManager, logConfigFrom, type LogConfig } from '../../storage/index.js';
import { SYSTEM_TIME, type Time } from '../../util/time.js';
import type { BrokerContext } from '../context.js';
import { BROKER_CONFIGS } from '../config.js';
import { ErrorCode } from '../errors.js';
import type { TopicImage as TopicMetadata } from '../metadata/image.js';
import { toErrorCode } from '../storage-errors.js';
import { appendToLeader, type AppendPartitionResult, type AppendRecordsRequest, type TransactionVerifier } from './append-records.js';
import { DelayedFetch } from './delayed-fetch.js';
import { DelayedProduce, type ProducePartitionStatus } from './delayed-produce.js';
import { Partition, type FetchIsolation, type IsrProposal, type ProduceChecks } from './partition.js';
import { DEFAULT_FETCH_SETTINGS, ReplicaFetcherManager, type ReplicaFetchSettings } from './replica-fetcher.js';
import type { MetadataChange } from '../metadata/changes.js';
import type { MetadataImage } from '../metadata/image.js';
import { DelayedOperationPurgatory } from './purgatory.js';
import { locateAll, readLocated, type FetchPartitionRequest, type LocateOptions, type LocatedRead } from './read-records.js';
import { preferredReadReplicaFor } from './replica-selector.js';
import { parseThrottledReplicas, ReplicationQuota, UNLIMITED_RATE } from './replication-quota.js';
import { effectiveTopicConfig, topicProperties } from '../topic-configs.js';
import { pool } from '../../util/pool.js';

export type { AppendEntry, AppendPartitionResult, AppendRecordsRequest, TransactionVerifier } from './append-records.js';
export type { FetchPartitionRequest } from './read-records.js';

/** What the replica manager reads of the broker (the Broker and a test's context both are one). */
export interface ReplicaManagerContext {
  readonly nodeId: number;
  readonly config: BrokerContext['config'];
  readonly logger: BrokerContext['logger'];
  readonly metadata: Pick<BrokerContext['metadata'], 'topic'> & Partial<Pick<MetadataImage, 'endpoint' | 'broker'>>;
  /** The default verifier's coordinator; looked up at each verification (it starts after the replica manager). */
  readonly txn?: Pick<BrokerContext['txn'], 'verifyPartitions'>;
}

export interface ReplicaManagerOptions {
  time?: Time;
  /** KIP-890 verification with the transaction coordinator (default: the context's coordinator). */
  verifyTransaction?: TransactionVerifier;
  /** Proposes an ISR change (Kafka's AlterPartition) to the metadata store; without one, none is made. */
  alterPartition?: (change: Extract<MetadataChange, { type: 'alterPartition' }>) => Promise<unknown>;
  /** replica.lag.time.max.ms (Kafka: 30 s): a follower not caught up for longer leaves the ISR. */
  replicaLagTimeMaxMs?: number;
  /** replica.fetch.* for this node's fetchers. */
  fetch?: Partial<ReplicaFetchSettings>;
}

/** A broker config by Kafka's name if the broker knows it, else `fallback`. */
function configured(config: ReplicaManagerContext['config'], key: string, fallback: number): number {
  try {
    const v = config.get(key);
    return typeof v === 'number' ? v : fallback;
  } catch {
    return fallback;
  }
}

export interface FetchParams {
  /** >= 0: a replica (reads to the log end offset); -1 a consumer. */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  /** The response's byte budget (already bounded by fetch.max.bytes). */
  maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  partitions: readonly FetchPartitionRequest[];
  /**
   * A consumer's Fetch v11+ (Kafka's ClientMetadata, KIP-392): it may read a follower, and the
   * leader may send it to a replica in its rack. Absent: leader-only reads, as before v11.
   */
  clientMetadata?: { rackId: string };
  /** Where the records' bytes are read into (a BufferPool's acquire); default fresh buffers. */
  allocate?: (size: number) => Buffer;
}

export interface FetchPartitionResult {
  request: FetchPartitionRequest;
  errorCode: number;
  /** Whether this broker hosts the partition (Kafka answers an error for one it does not differently). */
  known: boolean;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  diverging?: { epoch: number; endOffset: bigint };
  /** Magic-2 batches as stored (empty when none or on error). */
  records: Buffer;
  /** Bytes located (records' length once read). */
  size: number;
  /** read_committed: the aborted transactions the records overlap; else null. */
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  /** KIP-392: the replica the consumer should fetch this partition from (no records here); -1 none. */
  preferredReadReplica: number;
}

const READ_COMMITTED = 1;

export const partitionKey = (topic: string, index: number) => `${topic}\u0000${index}`;

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition[]>();
  private readonly stopFns = new Set<() => void>();
  private stopped = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private isrTimer: ReturnType<Time['setTimeout']> | undefined;
  readonly replicaLagTimeMaxMs: number;
  readonly fetchers: ReplicaFetcherManager;
  private readonly alterPartition: ReplicaManagerOptions['alterPartition'];
  readonly producePurgatory: DelayedOperationPurgatory<DelayedProduce>;
  readonly fetchPurgatory: DelayedOperationPurgatory<DelayedFetch>;
  private readonly time: Time;
  private readonly verifyTransaction: TransactionVerifier;
  /** replica.selector.class (KIP-392; read-only, as in Kafka): null = consumers read leaders only. */
  private readonly replicaSelector: string | null;
  /** KIP-73 replication throttles: bytes this node serves to followers / fetches as a follower. */
  readonly leaderQuota: ReplicationQuota;
  readonly followerQuota: ReplicationQuota;
  /** A partition's high watermark or last stable offset moved: what waits on it may complete. */
  private readonly onPartitionChange = (p: Partition): void => {
    const key = partitionKey(p.topic.name, p.index);
    this.producePurgatory.checkAndComplete(key);
    this.fetchPurgatory.checkAndComplete(key);
  };

  private constructor(
    private readonly broker: ReplicaManagerContext,
    readonly logManager: LogManager,
    options: ReplicaManagerOptions,
  ) {
    this.time = options.time ?? SYSTEM_TIME;
    this.verifyTransaction =
      options.verifyTransaction ??
      ((id, pid, epoch, tps) => {
        if (!broker.txn) throw new Error('no transaction coordinator to verify with');
        return broker.txn.verifyPartitions(id, pid, epoch, tps);
      });
    this.producePurgatory = new DelayedOperationPurgatory('Produce', this.time);
    this.fetchPurgatory = new DelayedOperationPurgatory('Fetch', this.time);
    this.alterPartition = options.alterPartition;
    this.leaderQuota = new ReplicationQuota(() => configured(broker.config, 'leader.replication.throttled.rate', UNLIMITED_RATE), this.time);
    this.followerQuota = new ReplicationQuota(() => configured(broker.config, 'follower.replication.throttled.rate', UNLIMITED_RATE), this.time);
    const selector = broker.config.get('replica.selector.class');
    this.replicaSelector = typeof selector === 'string' && selector.trim() !== '' ? selector.trim() : null;
    this.replicaLagTimeMaxMs = options.replicaLagTimeMaxMs ?? configured(broker.config, 'replica.lag.time.max.ms', 30_000);
    const c = broker.config;
    const settings: ReplicaFetchSettings = {
      waitMaxMs: configured(c, 'replica.fetch.wait.max.ms', DEFAULT_FETCH_SETTINGS.waitMaxMs),
      minBytes: configured(c, 'replica.fetch.min.bytes', DEFAULT_FETCH_SETTINGS.minBytes),
      maxBytes: configured(c, 'replica.fetch.max.bytes', DEFAULT_FETCH_SETTINGS.maxBytes),
      responseMaxBytes: configured(c, 'replica.fetch.response.max.bytes', DEFAULT_FETCH_SETTINGS.responseMaxBytes),
      backoffMs: configured(c, 'replica.fetch.backoff.ms', DEFAULT_FETCH_SETTINGS.backoffMs),
      ...options.fetch,
    };
    // The inter-broker listener: the broker's first endpoint (inter.broker.listener.name is not supported).
    this.fetchers = new ReplicaFetcherManager({ nodeId: broker.nodeId, logger: broker.logger, settings, time: this.time, endpoint: (id) => broker.metadata.endpoint?.(id, ''), quota: this.followerQuota });
  }

  /** A leader's ISR change goes to the metadata store; it takes effect when the image brings it back. */
  private readonly proposeIsr = (p: Partition, proposal: IsrProposal): void => {
    if (!this.alterPartition) return;
    // Kafka's isReplicaIsrEligible: a follower whose broker is in controlled shutdown is not proposed into the ISR (the controller would refuse it).
    if (proposal.isr.some((id) => !p.isr.includes(id) && this.broker.metadata.broker?.(id)?.inControlledShutdown === true)) {
      p.isrChangeFailed(proposal);
      return;
    }
    this.alterPartition({ type: 'alterPartition', topic: p.topic.name, partition: p.index, leaderEpoch: proposal.leaderEpoch, partitionEpoch: proposal.partitionEpoch, isr: proposal.isr }).catch((e: unknown) => {
      this.broker.logger.info('ISR change refused', { partition: p.name, isr: proposal.isr, error: e });
      p.isrChangeFailed(proposal);
    });
  };

  /** Kafka's isr-expiration task: every half replica.lag.time.max.ms, each led partition's ISR is checked. */
  private scheduleIsrCheck(): void {
    this.isrTimer = this.time.setTimeout(() => {
      if (this.stopped) return;
      for (const list of this.partitions.values()) for (const p of list) if (p) p.maybeShrinkIsr(this.replicaLagTimeMaxMs);
      this.scheduleIsrCheck();
    }, Math.max(1, Math.floor(this.replicaLagTimeMaxMs / 2)));
  }

  /**
   * The image's registration of partition `index` of `topic` (placed on this node) takes effect
   * (Kafka's applyDelta: makeLeader or makeFollower): a leader stops fetching and tracks its
   * followers; a follower fetches from its leader, anew when the leader or its epoch changed.
   * Waiting produces and fetches are re-checked (a former leader's answer NOT_LEADER_OR_FOLLOWER).
   */
  async applyRegistration(topic: TopicMetadata, index: number): Promise<Partition | undefined> {
    const reg = topic.partitions[index];
    if (!reg || !reg.replicas.includes(this.broker.nodeId) || this.stopped) return undefined;
    const p = await this.openPartition(topic, index);
    if (reg.leader === this.broker.nodeId) {
      this.fetchers.removePartition(p);
      p.makeLeader(reg);
    } else if (p.makeFollower(reg) || this.fetchers.sourceOf(p) !== reg.leader) {
      if (reg.leader >= 0) this.fetchers.addPartition(p, reg.leader, reg.leaderEpoch);
      else this.fetchers.removePartition(p);
    }
    this.onPartitionChange(p);
    return p;
  }

  static async open(broker: ReplicaManagerContext, options: ReplicaManagerOptions = {}): Promise<ReplicaManager> {
    const logManager = await LogManager.open({
      logDirs: broker.config.logDirs(),
      brokerConfig: brokerLogProperties(broker),
      logger: broker.logger.child({ component: 'log-manager' }),
    });
    const rm = new ReplicaManager(broker, logManager, options);
    rm.startProducerExpiry();
    rm.scheduleIsrCheck();
    return rm;
  }

  /**
   * A produce's appends (Kafka's appendRecords): each partition validated and appended as
   * leader, side by side; acks=all answers once every appended partition's high watermark
   * covers its records (a DelayedProduce), or REQUEST_TIMED_OUT for those still short at
   * timeoutMs. Results come in the order of `req.entries`.
   */
  async appendRecords(req: AppendRecordsRequest): Promise<AppendPartitionResult[]> {
    const ctx = { now: this.time.now(), verify: this.verifyTransaction, logger: this.broker.logger };
    // The partitions appended to, as they were then: one removed meanwhile (a reassignment moved
    // it away while the append awaited its write) is marked deleted, so its acks=all wait answers
    // NOT_LEADER_OR_FOLLOWER. Looked up again, it would be missing and its append acknowledged
    // without the ISR having it.
    const partitions = req.entries.map((e) => this.partition(e.topic, e.partition));
    const results = await Promise.all(req.entries.map((e, i) => appendToLeader(partitions[i], e, req, ctx)));
    if (req.requiredAcks !== -1) return results;
    const statuses: (ProducePartitionStatus & { result: AppendPartitionResult })[] = [];
    for (const [i, result] of results.entries()) {
      const partition = partitions[i];
      if (result.errorCode !== ErrorCode.NONE || !partition) continue;
      statuses.push({ partition, requiredOffset: result.lastOffset + 1n, acksPending: true, errorCode: ErrorCode.NONE, result });
    }
    if (statuses.length === 0) return results;
    await new Promise<void>((resolve) => {
      const op = new DelayedProduce(req.timeoutMs, statuses, () => resolve());
      this.producePurgatory.tryCompleteElseWatch(op, statuses.map((s) => partitionKey(s.partition.topic.name, s.partition.index)));
    });
    for (const s of statuses) if (s.errorCode !== ErrorCode.NONE) s.result.errorCode = s.errorCode;
    return results;
  }

  /**
   * A fetch (Kafka's fetchMessages): locate each partition's data; with less than minBytes and
   * nothing to report, wait in the fetch purgatory (until enough bytes became readable,
   * maxWaitMs, a stop, or a partition goes away) and locate again; then read. A follower's
   * fetch updates what the leader knows of it. A consumer with client metadata (KIP-392) may
   * read a follower, to the follower's high watermark (or last stable offset); the leader sends
   * it to the replica `replica.selector.class` picks, answering that partition with no records.
   * Results come in the order of `params.partitions`.
   */
  async fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> {
    const isFollower = params.replicaId >= 0;
    const isolation: FetchIsolation = isFollower ? 'log-end' : params.isolationLevel === READ_COMMITTED ? 'txn-committed' : 'high-watermark';
    const lookup = (topic: string, index: number) => this.partition(topic, index);
    const client = isFollower ? undefined : params.clientMetadata;
    const options: LocateOptions = { requireLeader: client === undefined };
    if (client && this.replicaSelector) {
      const selector = this.replicaSelector;
      const brokerOf = (id: number) => this.broker.metadata.broker?.(id);
      options.preferredReadReplica = (p, request) => preferredReadReplicaFor(selector, client.rackId, p, request.fetchOffset, this.time.now(), brokerOf);
    }
    if (isFollower) {
      // KIP-73: an out-of-sync follower of a throttled partition gets no records while the leader quota is exceeded.
      options.throttled = (p) => this.leaderQuota.shouldThrottle(p.topic.name, p.index, p.isr.includes(params.replicaId));
    }
    let located = await locateAll(lookup, params.partitions, params.maxBytes, isolation, this.broker.logger, options);
    if (isFollower) {
      const now = this.time.now();
      for (const r of located.reads) if (r.partition && r.errorCode === ErrorCode.NONE && !r.diverging) r.partition.updateFollowerFetchState(params.replicaId, r.request.fetchOffset, r.logEndOffset, now, r.request.logStartOffset ?? -1n);
    }
    const minBytes = Math.max(1, params.minBytes);
    if (params.maxWaitMs > 0 && located.bytes < minBytes && !located.errors && params.partitions.length > 0 && !this.stopped) {
      const partitions = located.reads.map((r) => r.partition).filter((p): p is Partition => p !== undefined);
      // Throttled partitions' bytes do not complete a follower's wait (Kafka's DelayedFetch).
      const throttled = new Set(isFollower ? partitions.filter((p) => options.throttled?.(p)) : []);
      await new Promise<void>((resolve) => {
        const readable = isFollower ? (p: Partition) => (throttled.has(p) ? 0 : p.appendedBytes) : (p: Partition) => p.visibleBytes;
        const op = new DelayedFetch(params.maxWaitMs, partitions, minBytes - located.bytes, () => this.stopped, resolve, readable);
        this.fetchPurgatory.tryCompleteElseWatch(op, partitions.map((p) => partitionKey(p.topic.name, p.index)));
      });
      located = await locateAll(lookup, params.partitions, params.maxBytes, isolation, this.broker.logger, options);
    }
    // The partitions' reads go to the threadpool side by side.
    const results = await Promise.all(located.reads.map((r) => this.read(r, params.isolationLevel === READ_COMMITTED, params.allocate)));
    if (isFollower) {
      // What throttled partitions sent counts against the leader quota, in-sync followers' too (as Kafka's).
      let bytes = 0;
      for (const r of results) if (this.leaderQuota.isThrottled(r.request.topic, r.request.partition)) bytes += r.records.length;
      this.leaderQuota.record(bytes);
    }
    return results;
  }

  /** DeleteRecords for one partition (Kafka's deleteRecordsOnLocalLog): the new log start offset, or why not. */
  async deleteRecords(topic: string, index: number, offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }> {
    const partition = this.partition(topic, index);
    if (!partition) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1n };
    if (partition.topic.internal) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, lowWatermark: -1n };
    try {
      return await partition.deleteRecordsOnLeader(offset);
    } catch (e) {
      const errorCode = toErrorCode(e);
      if (errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) this.broker.logger.error('delete records failed', { partition: partition.name, error: e });
      return { errorCode, lowWatermark: -1n };
    }
  }

  /** The log directory holding the partition (undefined: none, e.g. offline). */
  logDirOf(partition: Partition): string | undefined {
    return this.logManager.logDir(partition.log);
  }

  private async read(r: LocatedRead, readCommitted: boolean, allocate?: (size: number) => Buffer): Promise<FetchPartitionResult> {
    const out: FetchPartitionResult = { request: r.request, errorCode: r.errorCode, known: r.partition !== undefined, highWatermark: r.highWatermark, lastStableOffset: r.lastStableOffset, logStartOffset: r.logStartOffset, diverging: r.diverging, records: Buffer.alloc(0), size: r.size, abortedTransactions: null, preferredReadReplica: r.preferredReadReplica };
    if (r.errorCode !== ErrorCode.NONE) return out;
    try {
      out.records = await readLocated(r, allocate);
    } catch (e) {
      out.errorCode = toErrorCode(e);
      return out;
    }
    if (readCommitted) out.abortedTransactions = r.partition && out.records.length > 0 ? r.partition.abortedTransactions(r.request.fetchOffset, r.lastStableOffset) : [];
    return out;
  }

  /** producer.id.expiration.ms, checked every producer.id.expiration.check.interval.ms (Kafka: 10 minutes). */
  private startProducerExpiry(): void {
    const expirationMs = this.broker.config.int('producer.id.expiration.ms');
    const interval = Math.min(600_000, Math.max(1000, expirationMs));
    this.expiryTimer = setInterval(() => {
      const now = Date.now();
      for (const list of this.partitions.values()) {
        for (const p of list) {
          if (!p) continue;
          p.producers.expire(now, expirationMs);
          p.producers.truncateHead(p.logStartOffset); // aborted transactions retention removed
        }
      }
    }, interval);
    this.expiryTimer.unref();
  }

  logConfigFor(topic: TopicMetadata): LogConfig {
    return logConfigFrom(brokerLogProperties(this.broker), topicProperties(this.broker.config, topic.configs));
  }

  /** Opens (creating if needed) partition `index` of `topic`. */
  async openPartition(topic: TopicMetadata, index: number): Promise<Partition> {
    const existing = this.partition(topic.name, index);
    if (existing) return existing;
    const log = await this.logManager.getOrCreateLog(topic.name, index, { topicId: topic.topicId, config: this.logConfigFor(topic) });
    // What was written before a restart was acknowledged (and synced, in durable mode) or is
    // recovered from disk: the partition's leadership (ISR = this node) makes it all visible again.
    const p = new Partition(topic, index, log, { localBrokerId: this.broker.nodeId, time: this.time, listener: this.onPartitionChange, onAlterPartition: this.proposeIsr });
    // The image's registration (replicas, ISR, epochs) when this node leads the partition.
    const registration = topic.partitions[index];
    if (registration && registration.leader === this.broker.nodeId) p.makeLeader(registration);
    p.checks = this.produceChecksFor(topic);
    p.minInsyncReplicas = this.minInsyncReplicasFor(topic);
    this.updateThrottles(topic);
    await p.producerStore.load();
    let list = this.partitions.get(topic.name);
    if (!list) this.partitions.set(topic.name, (list = []));
    list[index] = p;
    return p;
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  partitionsOf(topic: string): readonly Partition[] {
    return this.partitions.get(topic) ?? [];
  }

  leaderEpoch(topic: string, index: number): number {
    return this.partition(topic, index)?.leaderEpoch ?? 0;
  }

  async deleteTopic(topic: TopicMetadata): Promise<void> {
    const list = this.partitions.get(topic.name) ?? [];
    this.partitions.delete(topic.name);
    this.leaderQuota.removeThrottle(topic.name);
    this.followerQuota.removeThrottle(topic.name);
    for (const p of list) if (p) this.fetchers.removePartition(p);
    for (const p of list) if (p) p.markDeleted(); // waiting fetches and produces answer
    for (const p of list) if (p) await this.logManager.deleteLog(topic.name, p.index);
  }

  /**
   * This node is no longer a replica of the partition (a reassignment moved it away): as Kafka's
   * StopReplica with delete, it stops fetching, answers what waits, and deletes its copy.
   */
  async stopReplica(topic: string, index: number): Promise<void> {
    const list = this.partitions.get(topic);
    const p = list?.[index];
    if (!list || !p) return;
    delete list[index]; // a hole, as for a partition this node never held
    this.fetchers.removePartition(p);
    p.markDeleted();
    await this.logManager.deleteLog(topic, index);
  }

  configChanged(topic: TopicMetadata): void {
    const config = this.logConfigFor(topic);
    const checks = this.produceChecksFor(topic);
    const minIsr = this.minInsyncReplicasFor(topic);
    this.updateThrottles(topic);
    for (const p of this.partitions.get(topic.name) ?? []) {
      if (!p) continue;
      p.log.updateConfig(config);
      p.checks = checks;
      p.minInsyncReplicas = minIsr;
    }
  }

  /** Dynamic broker configs changed: every topic's effective config may have. */
  brokerConfigChanged(): void {
    this.logManager.reconfigure(brokerLogProperties(this.broker));
    for (const name of this.partitions.keys()) {
      const topic = this.broker.metadata.topic(name);
      if (topic) this.configChanged(topic);
    }
  }

  /** The topic's leader/follower.replication.throttled.replicas for this node (Kafka's TopicConfigHandler). */
  private updateThrottles(topic: TopicMetadata): void {
    const list = (key: string) => {
      const v = topic.configs[key];
      return v === undefined || v.trim() === '' ? undefined : parseThrottledReplicas(v, this.broker.nodeId);
    };
    this.leaderQuota.markThrottled(topic.name, list('leader.replication.throttled.replicas'));
    this.followerQuota.markThrottled(topic.name, list('follower.replication.throttled.replicas'));
  }

  private minInsyncReplicasFor(topic: TopicMetadata): number {
    const n = Number(effectiveTopicConfig(this.broker.config, topic.configs, 'min.insync.replicas').value);
    return Number.isFinite(n) && n >= 1 ? n : 1;
  }

  private produceChecksFor(topic: TopicMetadata): ProduceChecks {
    const value = (key: string) => effectiveTopicConfig(this.broker.config, topic.configs, key).value;
    const ms = (key: string) => Math.min(Number(value(key)), Number.MAX_SAFE_INTEGER);
    const orDifference = (v: number) => (v < Number.MAX_SAFE_INTEGER ? v : ms('message.timestamp.difference.max.ms'));
    return {
      timestampType: value('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
      // Kafka 3.6+: the deprecated message.timestamp.difference.max.ms still applies where before/after are not set.
      timestampBeforeMaxMs: orDifference(ms('message.timestamp.before.max.ms')),
      timestampAfterMaxMs: orDifference(ms('message.timestamp.after.max.ms')),
    };
  }

  /** Registers something to run when the broker stops waiting (long polls answer at once). */
  onStop(fn: () => void): () => void {
    if (this.stopped) {
      fn();
      return () => undefined;
    }
    this.stopFns.add(fn);
    return () => this.stopFns.delete(fn);
  }

  get isStopping(): boolean {
    return this.stopped;
  }

  stopWaiting(): void {
    this.stopped = true;
    if (this.isrTimer !== undefined) this.time.clearTimeout(this.isrTimer);
    void this.fetchers.close();
    this.fetchPurgatory.completeAll();
    for (const fn of [...this.stopFns]) fn();
    this.stopFns.clear();
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    if (this.isrTimer !== undefined) this.time.clearTimeout(this.isrTimer);
    await this.fetchers.close();
    // Producer state snapshots at the log end, side by side: a clean restart replays nothing.
    const live = [...this.partitions.values()].flatMap((list) => list.filter((p): p is Partition => p !== undefined && !p.log.isOffline));
    await pool(live, this.logManager.config.loadConcurrency, (p) => p.producerStore.takeSnapshot().catch((e: unknown) => this.broker.logger.warn('producer snapshot failed', { partition: p.name, error: e })));
    await this.logManager.close();
  }
}

/** The broker's configs as the storage layer reads them (Kafka's broker key names). */
function brokerLogProperties(broker: ReplicaManagerContext): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const key of new Set([...broker.config.explicit, ...broker.config.dynamicDefault.keys(), ...broker.config.dynamic.keys()])) {
    if (!BROKER_CONFIGS[key]) continue; // a dynamic config the broker does not know: kept, without effect
    const v = broker.config.get(key);
    if (v === null) continue;
    out[key] = Array.isArray(v) ? v.join(',') : typeof v === 'bigint' ? v.toString() : v;
  }
  out['samsa.log.flush.durable'] = broker.config.bool('samsa.log.flush.durable');
  return out;
}
