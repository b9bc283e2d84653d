// Fetch (key 1), v0-17. v0-3 read magic 0/1 message sets (down-converted from the stored
// batches); v3+ has a response maxBytes (KIP-74: the first non-empty partition returns at least
// one batch); v4+ isolationLevel and last stable offset; v7+ fetch sessions (KIP-227);
// v13+ topics by id; v15+ the replica id moves into the ReplicaState tagged field.
// The handler resolves the fetch session and encodes; the replica manager's fetchMessages
// reads (a consumer to the high watermark or, read_committed, the last stable offset; a
// follower, replica id >= 0, to the log end offset) and long-polls (replica/delayed-fetch.ts).
// v11+ (KIP-392): a consumer's rack; it may read a follower, and a leader with
// replica.selector.class answers preferredReadReplica (no records) to send it to its rack.
import { Fetch, type FetchRequest, type FetchResponse } from '../../protocol/generated/apis/1-fetch.js';
import { downConvertBatches, magicForFetchVersion } from '../../protocol/records/index.js';
import { EMPTY_BUFFER, KafkaEncodeError, UUID_ZERO } from '../../protocol/runtime/index.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { FetchSessionCache, sessionKey, type FetchPosition, type SessionPartition } from '../fetch-sessions.js';
import type { ApiHandler } from '../handler.js';
import { toErrorCode } from '../storage-errors.js';
import { FETCH_HINTED, LeaderHints, NO_LEADER_HINT, type LeaderHint } from './leader-hints.js';
import { BufferPool } from '../../util/buffer-pool.js';

const READ_COMMITTED = 1;

interface FetchItem extends FetchPosition {
  session?: SessionPartition;
}

/**
 * A partition's error answer, as Kafka's: no offsets; abortedTransactions [] for a partition the
 * broker does not have (KafkaApis' own answer), null for a read that failed (ReplicaManager's).
 */
function errorPartition(partitionIndex: number, errorCode: number, known: boolean, currentLeader: LeaderHint = NO_LEADER_HINT): FetchResponse.PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { ...currentLeader },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: known ? null : [],
    preferredReadReplica: -1,
    records: EMPTY_BUFFER,
  };
}

export function fetchHandler(broker: BrokerContext): ApiHandler<FetchRequest, FetchResponse> {
  const sessions = new FetchSessionCache(broker.config.int('max.incremental.fetch.session.cache.slots'));
  const brokerMaxBytes = broker.config.int('fetch.max.bytes');

  /** Old versions get magic 0/1 message sets. */
  function convert(records: Buffer, version: number): Buffer {
    const magic = magicForFetchVersion(version);
    return magic === 2 || records.length === 0 ? records : downConvertBatches(records, magic);
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
        byKey.set(sessionKey(usesIds ? topicId : name, p.partition), { topic: name, topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: version >= 12 ? p.lastFetchedEpoch : -1, logStartOffset: version >= 5 ? p.logStartOffset : -1n });
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
      existing.logStartOffset = item.logStartOffset;
      existing.topic = item.topic;
    } else {
      map.set(key, { ...item, lastHighWatermark: -2n, lastLogStartOffset: -2n, lastStableOffset: -2n });
    }
  }
  function fromSession(s: SessionPartition): FetchItem {
    return { topic: s.topic, topicId: s.topicId, partition: s.partition, fetchOffset: s.fetchOffset, partitionMaxBytes: s.partitionMaxBytes, currentLeaderEpoch: s.currentLeaderEpoch, lastFetchedEpoch: s.lastFetchedEpoch, logStartOffset: s.logStartOffset, session: s };
  }

  const readBuffers = new BufferPool();

  return {
    api: Fetch,
    minVersion: 0,
    maxVersion: 17,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId;
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
      // The records are read into pooled buffers, given back once the response is written.
      const leased: Buffer[] = [];
      const allocate = ctx.onResponseWritten
        ? (size: number) => {
            const b = readBuffers.acquire(size);
            leased.push(b);
            return b;
          }
        : undefined;
      ctx.onResponseWritten?.(() => {
        for (const b of leased) readBuffers.release(b);
      });
      const results = await broker.replicas.fetchMessages({
        replicaId,
        maxWaitMs: req.maxWaitMs,
        minBytes: req.minBytes,
        maxBytes: maxResponseBytes,
        isolationLevel: isolation,
        partitions: items.map((item) => ({ topic: item.topic, partition: item.partition, fetchOffset: item.fetchOffset, partitionMaxBytes: item.partitionMaxBytes, currentLeaderEpoch: item.currentLeaderEpoch, lastFetchedEpoch: item.lastFetchedEpoch ?? -1, logStartOffset: item.logStartOffset })),
        // v11+ (KIP-392): the consumer's rack; it may read followers (Kafka's ClientMetadata).
        clientMetadata: v >= 11 && replicaId < 0 ? { rackId: req.rackId } : undefined,
        allocate,
      });

      // v16+ (KIP-951): where the leader is, for a partition this node does not lead.
      const hints = v >= 16 ? new LeaderHints(broker.metadata, ctx.listenerName, broker.nodeId, FETCH_HINTED) : undefined;
      const byTopic = new Map<string, FetchResponse.FetchableTopicResponse>();
      const responses: FetchResponse.FetchableTopicResponse[] = [];
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        const item = items[i]!;
        const s = item.session;
        if (incremental && s && r.size === 0 && r.errorCode === ErrorCode.NONE && !r.diverging && r.preferredReadReplica < 0 && s.lastHighWatermark === r.highWatermark && s.lastLogStartOffset === r.logStartOffset && s.lastStableOffset === r.lastStableOffset) {
          continue; // nothing new for this partition
        }
        if (s) {
          s.lastHighWatermark = r.highWatermark;
          s.lastLogStartOffset = r.logStartOffset;
          s.lastStableOffset = r.lastStableOffset;
        }
        let records = EMPTY_BUFFER;
        let code = r.errorCode;
        if (code === ErrorCode.NONE) {
          try {
            records = convert(r.records, v);
          } catch (e) {
            code = e instanceof KafkaEncodeError ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : toErrorCode(e);
          }
        }
        const key = `${item.topic}\u0000${item.topicId}`;
        let topic = byTopic.get(key);
        if (!topic) {
          topic = { topic: item.topic, topicId: item.topicId, partitions: [] };
          byTopic.set(key, topic);
          responses.push(topic);
        }
        if (code !== ErrorCode.NONE) {
          // As Kafka's FetchResponse.partitionResponse(error): no offsets, an empty aborted list.
          topic.partitions.push(errorPartition(item.partition, code, r.known, hints?.currentLeader(item.topic, item.partition, code)));
          continue;
        }
        topic.partitions.push({
          partitionIndex: item.partition,
          errorCode: code,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          divergingEpoch: r.diverging ?? { epoch: -1, endOffset: -1n },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions: isolation !== READ_COMMITTED ? null : records.length > 0 ? (r.abortedTransactions ?? []) : [],
          preferredReadReplica: v >= 11 ? r.preferredReadReplica : -1,
          records,
        });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses, nodeEndpoints: hints?.nodeEndpoints() ?? [] };
    },
  };
}
