/**
 * Producer: records accumulate per partition into magic-2 batches (closed at `batchSize` bytes or
 * after `lingerMs`), one Produce request per leader carries every ready batch for it; retriable
 * errors refresh metadata and resend to the new leader. Keys pick partitions as Java's default
 * partitioner does; keyless records stick to one partition per batch. An idempotent producer
 * keeps at most one batch per partition in flight, so retries cannot reorder sequences; others
 * pipeline batches of a partition.
 */
import { InitProducerId, Produce, type ProduceRequest } from './protocol.js';
import { buildRecordBatch, CompressionType, type RecordHeader, type RecordInput } from '../protocol/records/index.js';
import { Cluster, sleep, type ClientOptions } from './cluster.js';
import type { Connection } from './connection.js';
import { ConnectionError, ErrorCode, KafkaError, isRetriable, needsMetadataRefresh } from './errors.js';
import { partitionForKey } from './partitioner.js';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const COMPRESSION_CODES: Record<CompressionName, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

export function compressionCode(c: CompressionName | CompressionType | undefined): CompressionType {
  if (c === undefined) return CompressionType.None;
  if (typeof c === 'number') return c;
  const code = COMPRESSION_CODES[c];
  if (code === undefined) throw new Error(`unknown compression ${c} (none, gzip, snappy, lz4, zstd)`);
  return code;
}

export interface ProducerOptions {
  /** -1 (all, default), 1 (leader) or 0 (no response). */
  acks?: number;
  lingerMs?: number;
  /** Bytes of records per partition batch before it is sent (default 16 KiB). */
  batchSize?: number;
  compression?: CompressionName | CompressionType;
  /** Produce request timeout on the broker (default 30 s). */
  timeoutMs?: number;
  /** Attempts for retriable failures (default the client's `retries`). */
  retries?: number;
  /**
   * Idempotence (KIP-98): a producer id from InitProducerId and a sequence number per partition
   * in every batch, so a retried batch is never written twice. Needs acks=-1 (the default).
   */
  idempotent?: boolean;
  /** Ask the broker to create unknown topics (default true, as Java's producer). */
  allowAutoTopicCreation?: boolean;
}

export interface ProducerRecord {
  topic: string;
  value: Buffer | string | null;
  key?: Buffer | string | null;
  headers?: Record<string, string | Buffer | null> | RecordHeader[];
  partition?: number;
  timestamp?: number | bigint;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 under acks=0. */
  offset: bigint;
}

interface Waiter {
  resolve: (m: RecordMetadata) => void;
  reject: (e: Error) => void;
}

interface PartitionBatch {
  topic: string;
  partition: number;
  records: RecordInput[];
  waiters: Waiter[];
  bytes: number;
  attempts: number;
  encoded?: Buffer;
  /** Idempotent only: waiters not yet settled; at 0 the partition takes its next batch. */
  unsettled?: number;
}

const toBuffer = (v: Buffer | string | null | undefined): Buffer | null => (v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v);

export function normalizeHeaders(h: ProducerRecord['headers']): RecordHeader[] {
  if (!h) return [];
  if (Array.isArray(h)) return h;
  return Object.entries(h).map(([key, value]) => ({ key, value: toBuffer(value) }));
}

export class Producer {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;
  readonly acks: number;
  readonly lingerMs: number;
  readonly batchSize: number;
  readonly compression: CompressionType;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly allowAutoTopicCreation: boolean;
  private readonly open = new Map<string, PartitionBatch>();
  private readonly sticky = new Map<string, number>();
  private readonly topicLookups = new Map<string, Promise<number>>();
  private lingerTimer: NodeJS.Timeout | null = null;
  private ready: PartitionBatch[] = [];
  private released: PartitionBatch[] = [];
  private routeLock: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  readonly idempotent: boolean;
  private producerId: Promise<{ id: bigint; epoch: number }> | null = null;
  private readonly sequences = new Map<string, number>();
  /**
   * Idempotent only: the one batch of each partition in flight, and the batches waiting behind
   * it. A retried batch so never lands after a newer one of its partition (which the broker
   * would refuse with OUT_OF_ORDER_SEQUENCE_NUMBER).
   */
  private readonly partitionInFlight = new Map<string, PartitionBatch>();
  private readonly partitionQueue = new Map<string, PartitionBatch[]>();

  constructor(options: ClientOptions | Cluster, producerOptions: ProducerOptions = {}) {
    this.ownsCluster = !(options instanceof Cluster);
    this.cluster = options instanceof Cluster ? options : new Cluster(options);
    this.acks = producerOptions.acks ?? -1;
    this.lingerMs = producerOptions.lingerMs ?? 5;
    this.batchSize = producerOptions.batchSize ?? 16_384;
    this.compression = compressionCode(producerOptions.compression);
    this.timeoutMs = producerOptions.timeoutMs ?? 30_000;
    this.retries = producerOptions.retries ?? this.cluster.options.retries;
    this.allowAutoTopicCreation = producerOptions.allowAutoTopicCreation ?? true;
    this.idempotent = producerOptions.idempotent ?? false;
    if (this.idempotent && this.acks !== -1) throw new Error('an idempotent producer needs acks=-1 (all)');
  }

  /** The producer id and epoch of an idempotent producer (InitProducerId, once). */
  private initProducerId(): Promise<{ id: bigint; epoch: number }> {
    this.producerId ??= (async () => {
      for (let attempt = 0; ; attempt++) {
        const conn = await this.cluster.anyConnection();
        const res = await conn.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        if (res.errorCode === 0) return { id: res.producerId, epoch: res.producerEpoch };
        if (!isRetriable(res.errorCode) || attempt >= this.retries) throw new KafkaError(res.errorCode, 'InitProducerId');
        await sleep(this.cluster.options.retryBackoffMs * (attempt + 1));
      }
    })();
    this.producerId.catch(() => (this.producerId = null));
    return this.producerId;
  }

  /** Partition count of a topic (metadata looked up once per topic at a time). */
  private partitionCount(topic: string): number | Promise<number> {
    const t = this.cluster.topics.get(topic);
    if (t && t.errorCode === 0 && t.partitions.length) return t.partitions.length;
    let p = this.topicLookups.get(topic);
    if (!p) {
      p = this.cluster.topic(topic, { autoCreate: this.allowAutoTopicCreation }).then(
        (info) => {
          this.topicLookups.delete(topic);
          return info.partitions.length;
        },
        (e) => {
          this.topicLookups.delete(topic);
          throw e;
        },
      );
      this.topicLookups.set(topic, p);
    }
    return p;
  }

  /** Queues a record; resolves once the broker acknowledged it (per `acks`). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error('producer closed'));
    return new Promise<RecordMetadata>((resolve, reject) => {
      const count = this.partitionCount(record.topic);
      if (typeof count === 'number') this.append(record, count, { resolve, reject });
      else count.then((n) => this.append(record, n, { resolve, reject }), reject);
    });
  }

  /**
   * Queues a record without a Promise per record: `done` (one object may serve every record)
   * hears the outcome. For bulk producers (the CLI), where a Promise per record costs GC time.
   */
  enqueue(record: ProducerRecord, done: { resolve: (m: RecordMetadata) => void; reject: (e: Error) => void }): void {
    if (this.closed) {
      done.reject(new Error('producer closed'));
      return;
    }
    const count = this.partitionCount(record.topic);
    if (typeof count === 'number') this.append(record, count, done);
    else count.then((n) => this.append(record, n, done), done.reject);
  }

  /** Sends several records; resolves when all are acknowledged. */
  sendBatch(records: ProducerRecord[]): Promise<RecordMetadata[]> {
    return Promise.all(records.map((r) => this.send(r)));
  }

  private append(record: ProducerRecord, numPartitions: number, waiter: Waiter): void {
    const key = toBuffer(record.key);
    let partition = record.partition;
    if (partition === undefined || partition < 0) {
      if (key) partition = partitionForKey(key, numPartitions);
      else {
        partition = this.sticky.get(record.topic);
        if (partition === undefined || partition >= numPartitions) {
          partition = Math.floor(Math.random() * numPartitions);
          this.sticky.set(record.topic, partition);
        }
      }
    } else if (partition >= numPartitions) {
      waiter.reject(new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${record.topic}[${partition}] (the topic has ${numPartitions} partitions)`));
      return;
    }
    const value = toBuffer(record.value);
    const input: RecordInput = { key, value, headers: normalizeHeaders(record.headers) };
    if (record.timestamp !== undefined) input.timestamp = record.timestamp;
    const id = `${record.topic}\0${partition}`;
    let batch = this.open.get(id);
    if (!batch) {
      batch = { topic: record.topic, partition, records: [], waiters: [], bytes: 0, attempts: 0 };
      this.open.set(id, batch);
    }
    batch.records.push(input);
    batch.waiters.push(waiter);
    batch.bytes += (key?.length ?? 0) + (value?.length ?? 0) + 20;
    if (batch.bytes >= this.batchSize) {
      this.open.delete(id);
      if (this.sticky.get(record.topic) === partition) this.sticky.delete(record.topic);
      // Full batches of this tick go out together: one request per leader.
      this.ready.push(batch);
      if (this.ready.length === 1) {
        setImmediate(() => {
          const ready = this.ready;
          this.ready = [];
          this.dispatch(ready);
        });
      }
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.drainAll();
      }, this.lingerMs);
    }
  }

  private drainAll(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    const batches = [...this.ready, ...this.open.values()];
    this.ready = [];
    if (!batches.length) return;
    this.open.clear();
    this.sticky.clear();
    this.dispatch(batches);
  }

  private dispatch(batches: PartitionBatch[]): void {
    if (this.idempotent) {
      batches = batches.filter((b) => this.admit(b));
      if (!batches.length) return;
    }
    const p = this.sendBatches(batches).catch((e) => {
      for (const b of batches) for (const w of b.waiters) w.reject(e as Error);
    });
    // Safety net: a batch whose waiters were somehow not all settled still frees its partition.
    if (this.idempotent) void p.finally(() => batches.forEach((b) => this.release(b)));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /**
   * Idempotent: takes the partition's in-flight slot for `b` (true), or queues `b` behind the
   * batch holding it (false). The slot is freed once every waiter of the batch is settled.
   */
  private admit(b: PartitionBatch): boolean {
    const k = `${b.topic}\0${b.partition}`;
    if (this.partitionInFlight.has(k)) {
      let q = this.partitionQueue.get(k);
      if (!q) this.partitionQueue.set(k, (q = []));
      q.push(b);
      return false;
    }
    this.partitionInFlight.set(k, b);
    if (b.unsettled === undefined) {
      b.unsettled = b.waiters.length;
      b.waiters = b.waiters.map((w) => {
        let settled = false;
        const settle = () => {
          if (settled) return false;
          settled = true;
          if (--b.unsettled! === 0) this.release(b);
          return true;
        };
        return {
          resolve: (m: RecordMetadata) => {
            if (settle()) w.resolve(m);
          },
          reject: (e: Error) => {
            if (settle()) w.reject(e);
          },
        };
      });
    }
    return true;
  }

  /** Idempotent: frees the partition's slot held by `b` and sends the next queued batch. */
  private release(b: PartitionBatch): void {
    const k = `${b.topic}\0${b.partition}`;
    if (this.partitionInFlight.get(k) !== b) return;
    this.partitionInFlight.delete(k);
    const q = this.partitionQueue.get(k);
    const next = q?.shift();
    if (q && !q.length) this.partitionQueue.delete(k);
    if (!next) return;
    // Batches freed in the same tick go out together (one request per leader).
    this.released.push(next);
    if (this.released.length === 1) {
      queueMicrotask(() => {
        const ready = this.released;
        this.released = [];
        this.dispatch(ready);
      });
    }
  }

  /**
   * Routes and writes batches. Routing and writing happen under a lock, in dispatch order, so
   * batches of a partition reach the broker in the order they were closed (and, when
   * idempotent, in sequence order); responses are awaited outside it.
   */
  private async sendBatches(batches: PartitionBatch[]): Promise<void> {
    const prev = this.routeLock;
    let release!: () => void;
    this.routeLock = new Promise<void>((r) => (release = r));
    await prev;
    const inFlight: Promise<void>[] = [];
    const reroute: PartitionBatch[] = [];
    let rerouteError: unknown = null;
    try {
      if (this.idempotent) {
        // Sequence numbers are given once, when a batch is first encoded; retries resend the same bytes.
        const pid = await this.initProducerId();
        for (const b of batches) {
          if (b.encoded) continue;
          const k = `${b.topic}\0${b.partition}`;
          const seq = this.sequences.get(k) ?? 0;
          this.sequences.set(k, (seq + b.records.length) % 2 ** 31);
          b.encoded = buildRecordBatch(b.records, { compression: this.compression, producerId: pid.id, producerEpoch: pid.epoch, baseSequence: seq });
        }
      }
      const byLeader = new Map<number, PartitionBatch[]>();
      for (const b of batches) {
        let leader: number;
        try {
          leader = await this.cluster.leaderOf(b.topic, b.partition);
        } catch (e) {
          if ((e instanceof KafkaError && e.retriable) || e instanceof ConnectionError) {
            if (b.attempts < this.retries) {
              b.attempts++;
              reroute.push(b);
              rerouteError = e;
              continue;
            }
          }
          for (const w of b.waiters) w.reject(e as Error);
          continue;
        }
        let l = byLeader.get(leader);
        if (!l) byLeader.set(leader, (l = []));
        l.push(b);
      }
      // A Produce request carries one batch per partition (Kafka requires exactly one for v3+):
      // further batches of a partition go in the following requests, pipelined in order.
      for (const [leader, list] of byLeader) {
        const rounds: PartitionBatch[][] = [];
        const seen = new Map<string, number>();
        for (const b of list) {
          const k = `${b.topic}\0${b.partition}`;
          const round = seen.get(k) ?? 0;
          seen.set(k, round + 1);
          (rounds[round] ??= []).push(b);
        }
        let conn: Connection;
        try {
          conn = await this.cluster.connection(leader);
        } catch (e) {
          for (const b of list) {
            if (b.attempts < this.retries) {
              b.attempts++;
              reroute.push(b);
              rerouteError = e;
            } else for (const w of b.waiters) w.reject(e as Error);
          }
          continue;
        }
        for (const r of rounds) inFlight.push(this.sendToLeader(conn, r));
      }
    } finally {
      release();
    }
    await Promise.all(inFlight);
    if (reroute.length) {
      void rerouteError;
      await sleep(this.cluster.options.retryBackoffMs * reroute[0]!.attempts);
      await this.cluster.refreshMetadata([...new Set(reroute.map((b) => b.topic))]).catch(() => undefined);
      await this.sendBatches(reroute);
    }
  }

  /** Writes one Produce request at once (before its first await) and handles its response. */
  private async sendToLeader(conn: Connection, batches: PartitionBatch[]): Promise<void> {
    const topics = new Map<string, ProduceRequest.PartitionProduceData[]>();
    for (const b of batches) {
      b.encoded ??= buildRecordBatch(b.records, { compression: this.compression });
      let l = topics.get(b.topic);
      if (!l) topics.set(b.topic, (l = []));
      l.push({ index: b.partition, records: b.encoded });
    }
    const body: ProduceRequest = { transactionalId: null, acks: this.acks, timeoutMs: this.timeoutMs, topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })) };
    let res;
    try {
      if (this.acks === 0) {
        conn.sendNoResponse(Produce, body);
        for (const b of batches) for (const w of b.waiters) w.resolve({ topic: b.topic, partition: b.partition, offset: -1n });
        return;
      }
      res = await conn.request(Produce, body, { timeoutMs: this.timeoutMs + this.cluster.options.requestTimeoutMs });
    } catch (e) {
      if (e instanceof ConnectionError) {
        const retry = batches.filter((b) => b.attempts < this.retries);
        for (const b of batches) if (b.attempts >= this.retries) for (const w of b.waiters) w.reject(e);
        if (retry.length) {
          for (const b of retry) b.attempts++;
          await sleep(this.cluster.options.retryBackoffMs * retry[0]!.attempts);
          await this.cluster.refreshMetadata(null).catch(() => undefined);
          await this.sendBatches(retry);
        }
        return;
      }
      throw e;
    }
    const retry: PartitionBatch[] = [];
    let refresh = false;
    for (const t of res.responses) {
      for (const p of t.partitionResponses) {
        const b = batches.find((x) => x.topic === t.name && x.partition === p.index);
        if (!b) continue;
        if (p.errorCode === 0) {
          for (let i = 0; i < b.waiters.length; i++) b.waiters[i]!.resolve({ topic: b.topic, partition: b.partition, offset: p.baseOffset + BigInt(i) });
        } else if (isRetriable(p.errorCode) && b.attempts < this.retries) {
          b.attempts++;
          if (needsMetadataRefresh(p.errorCode)) refresh = true;
          retry.push(b);
        } else {
          const e = new KafkaError(p.errorCode, `produce to ${b.topic}[${b.partition}]`, p.errorMessage);
          for (const w of b.waiters) w.reject(e);
        }
      }
    }
    if (retry.length) {
      await sleep(this.cluster.options.retryBackoffMs * retry[0]!.attempts);
      if (refresh) await this.cluster.refreshMetadata([...new Set(retry.map((b) => b.topic))]).catch(() => undefined);
      await this.sendBatches(retry);
    }
  }

  /** Sends every queued record now and waits for all outstanding acknowledgements. */
  async flush(): Promise<void> {
    while (this.topicLookups.size) await Promise.allSettled([...this.topicLookups.values()]);
    this.drainAll();
    // Idempotent batches queued behind their partition's in-flight batch go out as it settles.
    while (this.inFlight.size || this.released.length || this.partitionQueue.size) {
      if (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.ownsCluster) await this.cluster.close();
  }
}
