/**
 * The partitions this broker hosts, over the storage layer's LogManager: opening and deleting
 * their logs, per-topic log configs, and the wake-ups long-polling fetches wait on.
 */
import { LogManager, logConfigFrom, type LogConfig } from '../../storage/index.js';
import type { BrokerContext } from '../context.js';
import { BROKER_CONFIGS } from '../config.js';
import type { TopicImage as TopicMetadata } from '../metadata/image.js';
import { Partition, type ProduceChecks } from './partition.js';
import { effectiveTopicConfig, topicProperties } from '../topic-configs.js';

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition[]>();
  private readonly stopFns = new Set<() => void>();
  private stopped = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly broker: BrokerContext,
    readonly logManager: LogManager,
  ) {}

  static async open(broker: BrokerContext): Promise<ReplicaManager> {
    const logManager = await LogManager.open({
      logDirs: broker.config.logDirs(),
      brokerConfig: brokerLogProperties(broker),
    });
    const rm = new ReplicaManager(broker, logManager);
    rm.startProducerExpiry();
    return rm;
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
    // recovered from disk: it all becomes visible again.
    log.updateHighWatermark(log.logEndOffset);
    const p = new Partition(topic, index, log);
    p.checks = this.produceChecksFor(topic);
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
    for (const p of list) if (p) await this.logManager.deleteLog(topic.name, p.index);
  }

  configChanged(topic: TopicMetadata): void {
    const config = this.logConfigFor(topic);
    const checks = this.produceChecksFor(topic);
    for (const p of this.partitions.get(topic.name) ?? []) {
      if (!p) continue;
      p.log.updateConfig(config);
      p.checks = checks;
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
    for (const fn of [...this.stopFns]) fn();
    this.stopFns.clear();
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    // Producer state snapshots at the log end: a clean restart replays nothing.
    for (const list of this.partitions.values()) {
      for (const p of list) {
        if (!p || p.log.isOffline) continue;
        await p.producerStore.takeSnapshot().catch((e: unknown) => this.broker.logger.warn('producer snapshot failed', { partition: p.name, error: e }));
      }
    }
    await this.logManager.close();
  }
}

/** The broker's configs as the storage layer reads them (Kafka's broker key names). */
function brokerLogProperties(broker: BrokerContext): Record<string, string | number | boolean | undefined> {
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
