/**
 * Kafka's ReplicaFetcherThread / AbstractFetcherThread / ReplicaFetcherManager: a follower copies
 * its partitions from their leaders, one fetcher (one connection, one Fetch loop) per source
 * broker. Each Fetch names this node as the replica (v15+: ReplicaState), asks from the log end
 * offset with the current leader epoch and the last fetched epoch (KIP-320), and the answer is:
 *
 * - records: appended with `appendAsFollower` (producer state rebuilt, epochs into the cache),
 *   then the leader's high watermark (bounded by the local log end) and log start offset taken;
 * - a diverging epoch: the log is truncated to where that epoch ends on both sides, and the
 *   next fetch goes on from there;
 * - OFFSET_OUT_OF_RANGE: the leader's log start and end are listed; a longer log is truncated to
 *   the leader's end, a shorter one below the leader's start starts over empty at it;
 * - FENCED_LEADER_EPOCH: the partition leaves the fetcher until the image names its leader anew;
 * - other errors (UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, connection loss): backoff, retry.
 *
 * Replication throttle (KIP-73, follower side): a partition the follower quota throttles is left
 * out of the fetch while it is not caught up with the leader's high watermark and the quota is
 * exceeded (Kafka's shouldFollowerThrottle); the bytes fetched for throttled partitions are
 * recorded against the quota.
 */
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/generated/apis/1-fetch.js';
import { ListOffsets } from '../../protocol/generated/apis/2-list-offsets.js';
import { Connection } from '../../client/connection.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../../util/time.js';
import type { Logger } from '../../util/logger.js';
import { ErrorCode } from '../errors.js';
import type { Partition } from './partition.js';
import type { ReplicationQuota } from './replication-quota.js';

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const EARLIEST = -2n;
const LATEST = -1n;

/** Kafka's replica.fetch.* settings. */
export interface ReplicaFetchSettings {
  waitMaxMs: number;
  minBytes: number;
  maxBytes: number;
  responseMaxBytes: number;
  backoffMs: number;
}

export const DEFAULT_FETCH_SETTINGS: ReplicaFetchSettings = { waitMaxMs: 500, minBytes: 1, maxBytes: 1048576, responseMaxBytes: 10485760, backoffMs: 1000 };

export interface FetcherContext {
  readonly nodeId: number;
  readonly logger: Logger;
  readonly settings: ReplicaFetchSettings;
  readonly time?: Time;
  /** Where broker `id` is reached now (looked up at each connect: a restarted broker may move). */
  endpoint(brokerId: number): { host: string; port: number } | undefined;
  /** follower.replication.throttled.rate / .replicas (none: no throttle). */
  readonly quota?: ReplicationQuota;
}

interface FetchState {
  partition: Partition;
  leaderEpoch: number;
  delayedUntil: number;
  /** Caught up with the leader's high watermark at the last answer (Kafka's isReplicaInSync: lag <= 0). */
  inSync: boolean;
}

export class ReplicaFetcher {
  private readonly states = new Map<Partition, FetchState>();
  private conn: Connection | undefined;
  private running = true;
  private wakeUp: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly time: Time;

  constructor(
    readonly sourceBrokerId: number,
    private readonly ctx: FetcherContext,
  ) {
    this.time = ctx.time ?? SYSTEM_TIME;
    this.loop = this.run();
  }

  get size(): number {
    return this.states.size;
  }

  /** Starts (or restarts, on a new epoch) fetching `partition` from its log end offset. */
  add(partition: Partition, leaderEpoch: number): void {
    this.states.set(partition, { partition, leaderEpoch, delayedUntil: 0, inSync: false });
    this.wakeUp?.();
  }

  remove(partition: Partition): void {
    this.states.delete(partition);
  }

  async close(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    this.conn?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = this.time.now();
      const due = [...this.states.values()].filter((s) => s.delayedUntil <= now);
      const quota = this.ctx.quota;
      const ready = quota ? due.filter((s) => !quota.shouldThrottle(s.partition.topic.name, s.partition.index, s.inSync)) : due;
      if (ready.length === 0) {
        // All due partitions throttled: as Kafka's fetcher with an empty fetch, back off.
        const next = due.length > 0 ? now + this.ctx.settings.backoffMs : Math.min(...[...this.states.values()].map((s) => s.delayedUntil));
        await this.sleep(Number.isFinite(next) ? next - now : 60_000);
        continue;
      }
      try {
        await this.fetchOnce(ready);
      } catch (e) {
        if (!this.running) break;
        this.ctx.logger.debug('replica fetch failed', { source: this.sourceBrokerId, error: e });
        this.conn?.close();
        this.conn = undefined;
        for (const s of ready) s.delayedUntil = this.time.now() + this.ctx.settings.backoffMs;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        if (timer !== undefined) this.time.clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
      timer = this.time.setTimeout(done, Math.max(1, ms));
    });
  }

  private async connection(): Promise<Connection> {
    if (this.conn) return this.conn;
    const at = this.ctx.endpoint(this.sourceBrokerId);
    if (!at) throw new Error(`broker ${this.sourceBrokerId} is not registered`);
    this.conn = await Connection.connect({ host: at.host, port: at.port, clientId: `samsa-replica-fetcher-${this.ctx.nodeId}`, requestTimeoutMs: 30_000 });
    this.conn.onClose = () => (this.conn = undefined);
    return this.conn;
  }

  private async fetchOnce(ready: FetchState[]): Promise<void> {
    const conn = await this.connection();
    const { settings, nodeId } = this.ctx;
    const topics = new Map<string, FetchRequest.FetchTopic>();
    for (const s of ready) {
      const p = s.partition;
      let t = topics.get(p.topic.name);
      if (!t) topics.set(p.topic.name, (t = { topic: p.topic.name, topicId: p.topic.topicId, partitions: [] }));
      t.partitions.push({ partition: p.index, currentLeaderEpoch: s.leaderEpoch, fetchOffset: p.logEndOffset, lastFetchedEpoch: p.log.leaderEpochCache.latestEpoch, logStartOffset: p.logStartOffset, partitionMaxBytes: settings.maxBytes, replicaDirectoryId: NO_ID });
    }
    const version = conn.versionOf(Fetch);
    const request: FetchRequest = {
      clusterId: null,
      // v15+ names the replica in ReplicaState only.
      replicaId: version >= 15 ? -1 : nodeId,
      replicaState: { replicaId: nodeId, replicaEpoch: -1n },
      maxWaitMs: settings.waitMaxMs,
      minBytes: settings.minBytes,
      maxBytes: settings.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
    const res = await conn.request(Fetch, request, { version, timeoutMs: settings.waitMaxMs + 30_000 });
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch from broker ${this.sourceBrokerId} failed with error ${res.errorCode}`);
    const answers = new Map<string, FetchResponse.PartitionData>();
    for (const t of res.responses) {
      const name = t.topic || [...topics.values()].find((x) => x.topicId === t.topicId)?.topic;
      for (const p of t.partitions) answers.set(`${name}\u0000${p.partitionIndex}`, p);
    }
    for (const s of ready) {
      const answer = answers.get(`${s.partition.topic.name}\u0000${s.partition.index}`);
      // Removed, or restarted on a new epoch, while the fetch was out: its answer is stale.
      if (!answer || this.states.get(s.partition) !== s || !this.running) continue;
      await this.handle(s, answer, conn);
    }
  }

  private async handle(s: FetchState, answer: FetchResponse.PartitionData, conn: Connection): Promise<void> {
    const p = s.partition;
    switch (answer.errorCode) {
      case ErrorCode.NONE: {
        const diverging = answer.divergingEpoch;
        if (diverging.epoch >= 0 || diverging.endOffset >= 0n) {
          const offset = truncationOffset(p, diverging.epoch, diverging.endOffset);
          this.ctx.logger.info('truncating on a diverging epoch', { partition: p.name, epoch: diverging.epoch, leaderEndOffset: diverging.endOffset, offset, logEndOffset: p.logEndOffset });
          await p.truncateTo(offset);
          return;
        }
        if (answer.records && answer.records.length > 0) {
          await p.appendAsFollower(answer.records);
          // In-sync or not, a throttled partition's traffic counts against the quota (as Kafka's).
          if (this.ctx.quota?.isThrottled(p.topic.name, p.index)) this.ctx.quota.record(answer.records.length);
        }
        p.updateFollowerHighWatermark(answer.highWatermark);
        s.inSync = answer.highWatermark <= p.logEndOffset;
        const start = answer.logStartOffset < p.highWatermark ? answer.logStartOffset : p.highWatermark;
        if (start > p.logStartOffset) await p.log.advanceLogStartOffset(start);
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.handleOutOfRange(s, conn);
        s.delayedUntil = this.time.now() + this.ctx.settings.backoffMs;
        return;
      case ErrorCode.FENCED_LEADER_EPOCH:
        this.ctx.logger.info('replica fetch fenced: waiting for the new leader', { partition: p.name, epoch: s.leaderEpoch });
        this.states.delete(p);
        return;
      default:
        s.delayedUntil = this.time.now() + this.ctx.settings.backoffMs;
    }
  }

  /** Kafka's fetchOffsetAndTruncate: the leader's log start and end decide where the follower goes on. */
  private async handleOutOfRange(s: FetchState, conn: Connection): Promise<void> {
    const p = s.partition;
    const list = async (timestamp: bigint): Promise<bigint> => {
      const res = await conn.request(ListOffsets, { replicaId: this.ctx.nodeId, isolationLevel: 0, topics: [{ name: p.topic.name, partitions: [{ partitionIndex: p.index, currentLeaderEpoch: s.leaderEpoch, timestamp, maxNumOffsets: 1 }] }] });
      const r = res.topics[0]?.partitions[0];
      if (!r || r.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets on broker ${this.sourceBrokerId} for ${p.name} failed with error ${r?.errorCode}`);
      return r.offset;
    };
    // The answers come after awaits: by then this node may lead the partition, or follow another
    // leader, and must not truncate on a former leader's word.
    const current = () => this.states.get(p) === s && this.running;
    const leaderEnd = await list(LATEST);
    if (!current()) return;
    this.ctx.logger.info('fetch offset out of range on the leader', { partition: p.name, leaderEnd, logEndOffset: p.logEndOffset });
    if (leaderEnd < p.logEndOffset) {
      await p.truncateTo(leaderEnd);
      return;
    }
    const leaderStart = await list(EARLIEST);
    if (current() && p.logEndOffset < leaderStart) await p.truncateFullyAndStartAt(leaderStart);
  }
}

/**
 * Where a follower truncates on a diverging epoch (Kafka's truncateOnFetchResponse): the end of
 * that epoch on the leader, or earlier where the follower's own log has the epoch end sooner.
 */
export function truncationOffset(p: Partition, epoch: number, leaderEndOffset: bigint): bigint {
  const local = p.log.endOffsetForEpoch(epoch);
  let offset = leaderEndOffset;
  if (local.endOffset >= 0n && local.endOffset < offset) offset = local.endOffset;
  return offset < p.logEndOffset ? offset : p.logEndOffset;
}

/** One fetcher per source broker (Kafka's ReplicaFetcherManager, one fetcher thread per broker). */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private readonly sources = new Map<Partition, number>();
  private closing: Promise<void> | undefined;

  constructor(private readonly ctx: FetcherContext) {}

  /** Fetches `partition` from `leader` at `leaderEpoch` (moving it off a previous leader's fetcher). */
  addPartition(partition: Partition, leader: number, leaderEpoch: number): void {
    if (this.closing) return;
    this.removePartition(partition);
    let f = this.fetchers.get(leader);
    if (!f) this.fetchers.set(leader, (f = new ReplicaFetcher(leader, this.ctx)));
    f.add(partition, leaderEpoch);
    this.sources.set(partition, leader);
  }

  removePartition(partition: Partition): void {
    const source = this.sources.get(partition);
    if (source === undefined) return;
    this.sources.delete(partition);
    const f = this.fetchers.get(source);
    f?.remove(partition);
    if (f && f.size === 0) {
      this.fetchers.delete(source);
      void f.close();
    }
  }

  /** The broker fetching `partition` for this node, if any. */
  sourceOf(partition: Partition): number | undefined {
    return this.sources.get(partition);
  }

  /** Stops every fetcher; resolves once none is appending any more. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const all = [...this.fetchers.values()];
      this.fetchers.clear();
      this.sources.clear();
      await Promise.all(all.map((f) => f.close()));
    })();
    return this.closing;
  }
}
