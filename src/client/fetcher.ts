/**
 * The consumer's fetcher: a position per assigned partition, one Fetch per leader (in parallel),
 * records decoded straight from the response, and out-of-range or unknown positions reset by the
 * committed offset or the reset policy. It knows nothing of groups: the consumer tells it which
 * partitions it owns and, with a group, how to look up committed offsets.
 */
import { Fetch, type FetchRequest, type FetchResponse } from './protocol.js';
import { decodeRecordBatch, forEachRecord, isPartialBatch, readAllRecords, type RecordHeader } from '../protocol/records/index.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type PartitionOffset } from './admin.js';
import { sleep, type Cluster } from './cluster.js';
import { ConnectionError, ErrorCode, KafkaError, needsMetadataRefresh } from './errors.js';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export type ResetPolicy = 'earliest' | 'latest' | 'none';

export interface FetcherOptions {
  autoOffsetReset: ResetPolicy;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
}

/** What the fetcher uses of the cluster: leaders, fetch connections, topic ids, metadata refreshes. */
export type FetcherCluster = Pick<Cluster, 'leaderOf' | 'connection' | 'refreshMetadata' | 'topics' | 'options'>;

/** ListOffsets for reset positions (Admin.listOffsets). */
export type OffsetLookup = (requests: { topic: string; partition: number; timestamp: bigint }[], isolationLevel: number) => Promise<PartitionOffset[]>;

/** Committed offsets of the consumer's group, by `tpKey`. */
export type CommittedLookup = (parts: TopicPartition[]) => Promise<Map<string, bigint>>;

interface Position {
  topic: string;
  partition: number;
  /** null: not known yet (committed offset or reset policy decides). */
  offset: bigint | null;
  highWatermark: bigint;
}

export const tpKey = (topic: string, partition: number) => `${topic}\0${partition}`;

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export class Fetcher {
  private readonly positions = new Map<string, Position>();
  /** Partitions assigned with an explicit 'earliest'/'latest': that policy, not the committed offset. */
  private readonly pendingResets = new Map<string, 'earliest' | 'latest'>();

  constructor(
    private readonly cluster: FetcherCluster,
    private readonly options: FetcherOptions,
    private readonly listOffsets: OffsetLookup,
  ) {}

  /** Replaces the assignment; `offset` may be a number, 'earliest' or 'latest' (default: committed, then the reset policy). */
  assign(partitions: (TopicPartition & { offset?: bigint | 'earliest' | 'latest' })[]): void {
    this.positions.clear();
    for (const p of partitions) {
      const pos: Position = { topic: p.topic, partition: p.partition, offset: null, highWatermark: -1n };
      if (typeof p.offset === 'bigint') pos.offset = p.offset;
      this.positions.set(tpKey(p.topic, p.partition), pos);
      if (p.offset === 'earliest' || p.offset === 'latest') this.pendingResets.set(tpKey(p.topic, p.partition), p.offset);
    }
  }

  /** Adds a partition at an unknown position; false if it was assigned already. */
  add(p: TopicPartition): boolean {
    const k = tpKey(p.topic, p.partition);
    if (this.positions.has(k)) return false;
    this.positions.set(k, { topic: p.topic, partition: p.partition, offset: null, highWatermark: -1n });
    return true;
  }

  remove(parts: TopicPartition[]): void {
    for (const p of parts) this.positions.delete(tpKey(p.topic, p.partition));
  }

  get size(): number {
    return this.positions.size;
  }

  assignment(): TopicPartition[] {
    return [...this.positions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  seek(topic: string, partition: number, offset: bigint): void {
    const p = this.positions.get(tpKey(topic, partition));
    if (!p) throw new Error(`${topic}[${partition}] is not assigned`);
    p.offset = offset;
  }

  position(topic: string, partition: number): bigint | null {
    return this.positions.get(tpKey(topic, partition))?.offset ?? null;
  }

  /** High watermark seen in the last fetch of the partition (-1 before one). */
  highWatermark(topic: string, partition: number): bigint {
    return this.positions.get(tpKey(topic, partition))?.highWatermark ?? -1n;
  }

  /** Gives unknown positions the committed offset (when `committed` is given and has one), else the reset policy's. */
  async resolvePositions(committed?: CommittedLookup): Promise<void> {
    const unknown = [...this.positions.values()].filter((p) => p.offset === null);
    if (!unknown.length) return;
    if (committed) {
      const offsets = await committed(unknown);
      for (const p of unknown) {
        const c = offsets.get(tpKey(p.topic, p.partition));
        if (c !== undefined && c >= 0n && !this.pendingResets.has(tpKey(p.topic, p.partition))) p.offset = c;
      }
    }
    const reset = unknown.filter((p) => p.offset === null);
    if (!reset.length) return;
    const policyOf = (p: Position) => this.pendingResets.get(tpKey(p.topic, p.partition)) ?? this.options.autoOffsetReset;
    if (reset.some((p) => policyOf(p) === 'none')) throw new Error(`no committed offset for ${reset.map((p) => `${p.topic}[${p.partition}]`).join(', ')} and autoOffsetReset is none`);
    const offsets = await this.listOffsets(
      reset.map((p) => ({ topic: p.topic, partition: p.partition, timestamp: policyOf(p) === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP })),
      this.options.isolationLevel,
    );
    for (const o of offsets) {
      if (o.errorCode !== 0) throw new KafkaError(o.errorCode, `offsets of ${o.topic}[${o.partition}]`);
      const p = this.positions.get(tpKey(o.topic, o.partition));
      if (p) p.offset = o.offset;
      this.pendingResets.delete(tpKey(o.topic, o.partition));
    }
  }

  /** One Fetch to each leader of a partition with a known position; the records, positions moved past them. */
  async fetchOnce(maxWaitMs: number): Promise<ConsumedRecord[]> {
    const byLeader = new Map<number, Position[]>();
    for (const p of this.positions.values()) {
      if (p.offset === null) continue;
      let leader: number;
      try {
        leader = await this.cluster.leaderOf(p.topic, p.partition);
      } catch (e) {
        if (e instanceof KafkaError && e.retriable) continue;
        throw e;
      }
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(p);
    }
    if (!byLeader.size) {
      if (this.positions.size) {
        await sleep(Math.min(100, maxWaitMs));
        await this.cluster.refreshMetadata([...new Set([...this.positions.values()].map((p) => p.topic))]).catch(() => undefined);
      }
      return [];
    }
    if (byLeader.size === 1) {
      const [[leader, parts]] = [...byLeader];
      return this.fetchFrom(leader!, parts!, maxWaitMs);
    }
    const results = await Promise.all([...byLeader].map(([leader, parts]) => this.fetchFrom(leader, parts, maxWaitMs)));
    return results.flat();
  }

  private async fetchFrom(leader: number, parts: Position[], maxWaitMs: number): Promise<ConsumedRecord[]> {
    const conn = await this.cluster.connection(leader, 'fetch');
    const version = conn.versionOf(Fetch);
    const topics = new Map<string, FetchRequest.FetchPartition[]>();
    for (const p of parts) {
      let l = topics.get(p.topic);
      if (!l) topics.set(p.topic, (l = []));
      l.push({ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: p.offset!, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: this.options.partitionMaxBytes, replicaDirectoryId: NO_ID });
    }
    const byId = new Map<string, string>();
    // A full fetch every time (no incremental fetch session): sessionId 0, epoch -1.
    const request: FetchRequest = {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      isolationLevel: this.options.isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics].map(([topic, partitions]) => {
        const topicId = this.cluster.topics.get(topic)?.topicId ?? NO_ID;
        byId.set(topicId, topic);
        return { topic, topicId, partitions };
      }),
      forgottenTopicsData: [],
      rackId: '',
    };
    let res: FetchResponse;
    try {
      res = await conn.request(Fetch, request, { version, timeoutMs: maxWaitMs + this.cluster.options.requestTimeoutMs });
    } catch (e) {
      if (e instanceof ConnectionError) {
        await this.cluster.refreshMetadata(null).catch(() => undefined);
        return [];
      }
      throw e;
    }
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'fetch');
    const out: ConsumedRecord[] = [];
    let refresh = false;
    for (const t of res.responses) {
      const topic = version >= 13 ? (byId.get(t.topicId) ?? t.topic) : t.topic;
      for (const pd of t.partitions) {
        const pos = this.positions.get(tpKey(topic, pd.partitionIndex));
        if (!pos || pos.offset === null) continue;
        if (pd.errorCode !== 0) {
          if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            if (this.options.autoOffsetReset === 'none') throw new KafkaError(pd.errorCode, `${topic}[${pd.partitionIndex}] offset ${pos.offset}`);
            // Unknown again: the next poll resets it by the policy.
            pos.offset = null;
            continue;
          }
          if (needsMetadataRefresh(pd.errorCode) || pd.errorCode === ErrorCode.UNKNOWN_TOPIC_ID) {
            refresh = true;
            continue;
          }
          throw new KafkaError(pd.errorCode, `fetch ${topic}[${pd.partitionIndex}]`);
        }
        pos.highWatermark = pd.highWatermark;
        if (!pd.records || !pd.records.length) continue;
        pos.offset = decodeRecords(topic, pd.partitionIndex, pos.offset, pd.records, out);
      }
    }
    if (refresh) await this.cluster.refreshMetadata([...topics.keys()]).catch(() => undefined);
    return out;
  }
}

/** Appends the records at or after `fetchOffset` (control records left out) to `out`; returns the next fetch offset. */
function decodeRecords(topic: string, partition: number, fetchOffset: bigint, buf: Buffer, out: ConsumedRecord[]): bigint {
  let next = fetchOffset;
  if (buf.length >= 17 && buf.readInt8(16) === 2) {
    // Magic 2 (every current broker): decode batch by batch, no intermediate objects.
    const before = out.length;
    for (let at = 0; at < buf.length; ) {
      if (isPartialBatch(buf, at)) break;
      const batch = decodeRecordBatch(buf, at);
      at += batch.sizeInBytes;
      if (batch.isControl) continue;
      const timestampType = batch.timestampType;
      forEachRecord(batch, (r) => {
        if (r.offset < fetchOffset) return;
        out.push({ topic, partition, offset: r.offset, timestamp: r.timestamp, timestampType, key: r.key, value: r.value, headers: r.headers });
      });
    }
    if (out.length > before) next = out[out.length - 1]!.offset + 1n;
  } else {
    for (const r of readAllRecords(buf, { allowPartialTrailing: true })) {
      if (r.offset < fetchOffset) continue;
      next = r.offset + 1n;
      if (r.isControl) continue;
      out.push({ topic, partition, offset: r.offset, timestamp: r.timestamp, timestampType: r.timestampType, key: r.key, value: r.value, headers: r.headers });
    }
  }
  // Skip over batches that held only records before the fetch offset or control records.
  const lastBatchEnd = lastCompleteBatchEnd(buf);
  return lastBatchEnd !== null && lastBatchEnd > next ? lastBatchEnd : next;
}

/** Offset after the last complete v2 batch of a fetch's records (null if none / legacy format). */
function lastCompleteBatchEnd(buf: Buffer): bigint | null {
  let at = 0;
  let end: bigint | null = null;
  while (buf.length - at >= 61) {
    const size = buf.readInt32BE(at + 8) + 12;
    if (size < 61 || at + size > buf.length) break;
    if (buf.readInt8(at + 16) !== 2) return end;
    end = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + 23)) + 1n;
    at += size;
  }
  return end;
}
