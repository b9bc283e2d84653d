// Fetch (key 1), v0-17. v0-3 read magic 0/1 message sets (down-converted from the stored
// batches); v3+ has a response maxBytes (KIP-74: the first non-empty partition returns at least
// one batch); v4+ isolationLevel and last stable offset; v7+ fetch sessions (KIP-227);
// v13+ topics by id; v15+ the replica id moves into the ReplicaState tagged field.
// A consumer reads up to the high watermark (read_committed: the last stable offset); a
// follower (replica id >= 0) up to the log end offset. Long polls wake when an append moves a
// high watermark, so a fetch answers as soon as minBytes are there or maxWaitMs has passed.
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/generated/apis/1-fetch.js';
import { downConvertBatches, magicForFetchVersion } from '../../protocol/records/index.js';
import { EMPTY_BUFFER, KafkaEncodeError, UUID_ZERO } from '../../protocol/runtime/index.js';
import type { FileRange } from '../../storage/index.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { FetchSessionCache, sessionKey, type FetchPosition, type SessionPartition } from '../fetch-sessions.js';
import type { ApiHandler } from '../handler.js';
import type { Partition } from '../replica/partition.js';
import { toErrorCode } from '../storage-errors.js';

const READ_COMMITTED = 1;

interface FetchItem extends FetchPosition {
  session?: SessionPartition;
}

interface ReadResult {
  item: FetchItem;
  errorCode: number;
  partition?: Partition;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  ranges: FileRange[];
  size: number;
  /** The fetcher's last fetched epoch ends before fetchOffset (or is older): where it ends, and no data. */
  diverging?: { epoch: number; endOffset: bigint };
}

/**
 * A partition's error answer, as Kafka's: no offsets; abortedTransactions [] for a partition the
 * broker does not have (KafkaApis' own answer), null for a read that failed (ReplicaManager's).
 */
function errorPartition(partitionIndex: number, errorCode: number, known: boolean): FetchResponse.PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: known ? null : [],
    preferredReadReplica: -1,
    records: EMPTY_BUFFER,
  };
}

export function fetchHandler(broker: BrokerContext): ApiHandler<FetchRequest, FetchResponse> {
  const sessions = new FetchSessionCache(broker.config.int('max.incremental.fetch.session.cache.slots'));
  const brokerMaxBytes = broker.config.int('fetch.max.bytes');

  /** Finds where each partition's data is (no bytes read yet): cheap enough to redo after a wait. */
  async function locate(items: FetchItem[], maxResponseBytes: number, isolationLevel: number, isFollower: boolean): Promise<{ results: ReadResult[]; bytes: number; errors: boolean }> {
    const results: ReadResult[] = [];
    let bytes = 0;
    let errors = false;
    let minOneMessage = true;
    for (const item of items) {
      const r: ReadResult = { item, errorCode: ErrorCode.NONE, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, ranges: [], size: 0 };
      results.push(r);
      const p = item.topic === '' ? undefined : broker.replicas.partition(item.topic, item.partition);
      if (!p) {
        r.errorCode = item.topic === '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        errors = true;
        continue;
      }
      r.partition = p;
      r.highWatermark = p.highWatermark;
      r.lastStableOffset = p.lastStableOffset;
      r.logStartOffset = p.logStartOffset;
      if (item.currentLeaderEpoch >= 0 && item.currentLeaderEpoch !== p.leaderEpoch) {
        r.errorCode = item.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
        errors = true;
        continue;
      }
      // As Kafka's Partition.readRecords: a last fetched epoch this log cannot place is out of
      // range; one that ends before fetchOffset (or is not ours) is answered with where it ends.
      const lastFetchedEpoch = item.lastFetchedEpoch ?? -1;
      if (lastFetchedEpoch >= 0) {
        const end = p.log.endOffsetForEpoch(lastFetchedEpoch);
        if (end.epoch < 0 || end.endOffset < 0n || item.fetchOffset < p.logStartOffset) {
          r.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
          errors = true;
          continue;
        }
        if (end.epoch < lastFetchedEpoch || end.endOffset < item.fetchOffset) {
          r.diverging = { epoch: end.epoch, endOffset: end.endOffset };
          errors = true; // answer now
          continue;
        }
      }
      const maxOffset = isFollower ? p.logEndOffset : isolationLevel === READ_COMMITTED ? p.lastStableOffset : p.highWatermark;
      const budget = Math.min(item.partitionMaxBytes, maxResponseBytes - bytes);
      if (budget <= 0 && !minOneMessage) continue;
      try {
        const info = await p.log.read(item.fetchOffset, Math.max(0, budget), maxOffset, minOneMessage);
        r.ranges = info.ranges;
        r.size = info.sizeInBytes;
        bytes += info.sizeInBytes;
        if (info.sizeInBytes > 0) minOneMessage = false;
      } catch (e) {
        r.errorCode = toErrorCode(e);
        errors = true;
        if (r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) broker.logger.error('fetch read failed', { partition: p.name, error: e });
      }
    }
    return { results, bytes, errors };
  }

  /** Waits until appends to these partitions bring `missing` bytes, the time is up, or the broker stops. */
  function waitForData(results: ReadResult[], missing: number, maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      let arrived = 0;
      const cleanups: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const c of cleanups) c();
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      cleanups.push(broker.replicas.onStop(done));
      for (const r of results) {
        if (!r.partition) continue;
        cleanups.push(
          r.partition.onData((bytes) => {
            arrived += bytes;
            if (arrived >= missing) done();
          }),
        );
      }
    });
  }

  /** Reads the located ranges into buffers; old versions get magic 0/1 message sets. */
  async function materialize(r: ReadResult, version: number): Promise<Buffer> {
    if (r.ranges.length === 0) return EMPTY_BUFFER;
    let data: Buffer;
    if (r.ranges.length === 1) data = await r.ranges[0]!.read();
    else {
      data = Buffer.allocUnsafe(r.size);
      let at = 0;
      for (const range of r.ranges) {
        await range.readInto(data, at);
        at += range.size;
      }
    }
    const magic = magicForFetchVersion(version);
    return magic === 2 ? data : downConvertBatches(data, magic);
  }

  /** The partitions this request fetches, after applying it to its session. */
  function resolveItems(req: FetchRequest, version: number): { items: FetchItem[]; sessionId: number; errorCode: number; incremental: boolean } {
    const usesIds = version >= 13;
    // A partition named twice: the last entry counts, in the place of the first (Kafka's LinkedHashMap).
    const byKey = new Map<string, FetchItem>();
    for (const t of req.topics) {
      const name = usesIds ? (broker.metadata.topicById(t.topicId)?.name ?? '') : t.topic;
      const topicId = usesIds ? t.topicId : (broker.metadata.topic(t.topic)?.topicId ?? UUID_ZERO);
      for (const p of t.partitions) {
        byKey.set(sessionKey(usesIds ? topicId : name, p.partition), { topic: name, topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1 });
      }
    }
    const fromRequest = [...byKey.values()];
    if (version < 7) return { items: fromRequest, sessionId: 0, errorCode: ErrorCode.NONE, incremental: false };
    const lookup = sessions.lookup(req.sessionId, req.sessionEpoch, usesIds, Date.now());
    switch (lookup.kind) {
      case 'sessionless':
        return { items: fromRequest, sessionId: 0, errorCode: ErrorCode.NONE, incremental: false };
      case 'error':
        return { items: [], sessionId: 0, errorCode: lookup.errorCode, incremental: false };
      case 'new': {
        const s = lookup.session;
        if (s) for (const item of fromRequest) remember(s.partitions, item, usesIds);
        return { items: s ? [...s.partitions.values()].map(fromSession) : fromRequest, sessionId: s?.id ?? 0, errorCode: ErrorCode.NONE, incremental: false };
      }
      case 'incremental': {
        const s = lookup.session;
        s.epoch = s.epoch === 0x7fffffff ? 1 : s.epoch + 1;
        for (const f of req.forgottenTopicsData) {
          for (const p of f.partitions) s.partitions.delete(sessionKey(usesIds ? f.topicId : f.topic, p));
        }
        for (const item of fromRequest) remember(s.partitions, item, usesIds);
        return { items: [...s.partitions.values()].map(fromSession), sessionId: s.id, errorCode: ErrorCode.NONE, incremental: true };
      }
    }
  }

  function remember(map: Map<string, SessionPartition>, item: FetchItem, usesIds: boolean): void {
    const key = sessionKey(usesIds ? item.topicId : item.topic, item.partition);
    const existing = map.get(key);
    if (existing) {
      existing.fetchOffset = item.fetchOffset;
      existing.partitionMaxBytes = item.partitionMaxBytes;
      existing.currentLeaderEpoch = item.currentLeaderEpoch;
      existing.lastFetchedEpoch = item.lastFetchedEpoch;
      existing.topic = item.topic;
    } else {
      map.set(key, { ...item, lastHighWatermark: -2n, lastLogStartOffset: -2n, lastStableOffset: -2n });
    }
  }
  function fromSession(s: SessionPartition): FetchItem {
    return { topic: s.topic, topicId: s.topicId, partition: s.partition, fetchOffset: s.fetchOffset, partitionMaxBytes: s.partitionMaxBytes, currentLeaderEpoch: s.currentLeaderEpoch, lastFetchedEpoch: s.lastFetchedEpoch, session: s };
  }

  return {
    api: Fetch,
    minVersion: 0,
    maxVersion: 17,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId;
      const isFollower = replicaId >= 0;
      const maxResponseBytes = Math.min(v >= 3 ? req.maxBytes : 0x7fffffff, brokerMaxBytes);
      const isolation = v >= 4 ? req.isolationLevel : 0;
      if (isolation !== 0 && isolation !== READ_COMMITTED) {
        // No such isolation level: Kafka's IsolationLevel.forId fails, and the whole request gets
        // its error answer (UNKNOWN_SERVER_ERROR everywhere).
        const responses = req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => errorPartition(p.partition, ErrorCode.UNKNOWN_SERVER_ERROR, false)) }));
        return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, sessionId: 0, responses, nodeEndpoints: [] };
      }
      const { items, sessionId, errorCode, incremental } = resolveItems(req, v);
      if (errorCode !== ErrorCode.NONE) {
        return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
      }
      let located = await locate(items, maxResponseBytes, isolation, isFollower);
      if (req.maxWaitMs > 0 && located.bytes < Math.max(1, req.minBytes) && !located.errors && items.length > 0 && !broker.replicas.isStopping) {
        await waitForData(located.results, Math.max(1, req.minBytes) - located.bytes, req.maxWaitMs);
        located = await locate(items, maxResponseBytes, isolation, isFollower);
      }

      const included = located.results.filter((r) => {
        const s = r.item.session;
        if (incremental && s && r.size === 0 && r.errorCode === ErrorCode.NONE && !r.diverging && s.lastHighWatermark === r.highWatermark && s.lastLogStartOffset === r.logStartOffset && s.lastStableOffset === r.lastStableOffset) {
          return false; // nothing new for this partition
        }
        if (s) {
          s.lastHighWatermark = r.highWatermark;
          s.lastLogStartOffset = r.logStartOffset;
          s.lastStableOffset = r.lastStableOffset;
        }
        return true;
      });
      // The partitions' reads go to the threadpool side by side.
      const data = await Promise.all(
        included.map((r) =>
          materialize(r, v).then(
            (records) => ({ records, code: r.errorCode }),
            (e: unknown) => ({ records: EMPTY_BUFFER, code: e instanceof KafkaEncodeError ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : toErrorCode(e) }),
          ),
        ),
      );
      const byTopic = new Map<string, FetchResponse.FetchableTopicResponse>();
      const responses: FetchResponse.FetchableTopicResponse[] = [];
      for (let i = 0; i < included.length; i++) {
        const r = included[i]!;
        const { records, code } = data[i]!;
        const key = `${r.item.topic}\u0000${r.item.topicId}`;
        let topic = byTopic.get(key);
        if (!topic) {
          topic = { topic: r.item.topic, topicId: r.item.topicId, partitions: [] };
          byTopic.set(key, topic);
          responses.push(topic);
        }
        if (code !== ErrorCode.NONE) {
          // As Kafka's FetchResponse.partitionResponse(error): no offsets, an empty aborted list.
          topic.partitions.push(errorPartition(r.item.partition, code, r.partition !== undefined));
          continue;
        }
        topic.partitions.push({
          partitionIndex: r.item.partition,
          errorCode: code,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          divergingEpoch: r.diverging ?? { epoch: -1, endOffset: -1n },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions:
            isolation !== READ_COMMITTED ? null : r.partition && records.length > 0 ? r.partition.producers.collectAborted(r.item.fetchOffset, r.lastStableOffset).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })) : [],
          preferredReadReplica: -1,
          records,
        });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses, nodeEndpoints: [] };
    },
  };
}
