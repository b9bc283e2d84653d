// ListOffsets (key 2), v0-9. Timestamps: -2 earliest, -1 latest (the high watermark for
// consumers, the last stable offset for read_committed v2+, the log end offset for replicas),
// -3 max timestamp (v7+, KIP-734), -4 earliest local (v8+), else the first offset whose
// timestamp is >= the one asked. v0 answers with a list of offsets (oldStyleOffsets).
import { ListOffsets, type ListOffsetsRequest, type ListOffsetsResponse } from '../../protocol/generated/apis/2-list-offsets.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { toErrorCode } from '../storage-errors.js';

const LATEST = -1n;
const EARLIEST = -2n;

/** The first version that carries each timestamp sentinel: latest, earliest, max (KIP-734), earliest local (KIP-405), latest tiered (KIP-1005), earliest pending upload (KIP-1023, v11). */
const SENTINEL_MIN_VERSION = new Map<bigint, number>([
  [-1n, 0],
  [-2n, 0],
  [-3n, 7],
  [-4n, 8],
  [-5n, 9],
  [-6n, 11],
]);

export function listOffsetsHandler(broker: BrokerContext): ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  async function one(topic: string, p: ListOffsetsRequest.ListOffsetsPartition, version: number, isolationLevel: number, isReplica: boolean): Promise<ListOffsetsResponse.ListOffsetsPartitionResponse> {
    const out: ListOffsetsResponse.ListOffsetsPartitionResponse = {
      partitionIndex: p.partitionIndex,
      errorCode: ErrorCode.NONE,
      oldStyleOffsets: [],
      timestamp: -1n,
      offset: -1n,
      leaderEpoch: -1,
    };
    // A negative timestamp is a sentinel, each from some version on (Kafka's timestampMinSupportedVersion).
    if (p.timestamp < 0n && version > 0) {
      const min = SENTINEL_MIN_VERSION.get(p.timestamp);
      if (min === undefined || version < min) return { ...out, errorCode: ErrorCode.UNSUPPORTED_VERSION };
    }
    const partition = broker.replicas.partition(topic, p.partitionIndex);
    if (!partition) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    try {
      const isolation = isReplica ? 'log-end' : isolationLevel === 1 ? 'txn-committed' : 'high-watermark';
      const { errorCode, found } = await partition.fetchOffsetForTimestamp(p.timestamp, isolation, p.currentLeaderEpoch);
      if (errorCode !== ErrorCode.NONE) return { ...out, errorCode };
      if (found) Object.assign(out, found);
      if (version === 0) {
        // v0 carries a list of segment offsets instead; one is what every client asks for.
        const listed = out.offset >= 0n && (p.maxNumOffsets > 0 || (p.timestamp !== EARLIEST && p.timestamp !== LATEST));
        return { ...out, oldStyleOffsets: listed ? [out.offset] : [], offset: -1n, timestamp: -1n, leaderEpoch: -1 };
      }
      if (version < 4) out.leaderEpoch = -1;
      return out;
    } catch (e) {
      return { ...out, errorCode: toErrorCode(e) };
    }
  }

  return {
    api: ListOffsets,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const isolation = v >= 2 ? req.isolationLevel : 0;
      if (isolation !== 0 && isolation !== 1) {
        // No such isolation level: Kafka's IsolationLevel.forId fails; every partition gets UNKNOWN_SERVER_ERROR.
        const failed = (p: ListOffsetsRequest.ListOffsetsPartition): ListOffsetsResponse.ListOffsetsPartitionResponse => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 });
        return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map(failed) })) };
      }
      // A partition asked for twice: one INVALID_REQUEST answer for it (Kafka's duplicatePartitions).
      const seen = new Set<string>();
      const duplicates = new Set<string>();
      for (const t of req.topics) {
        for (const p of t.partitions) {
          const key = `${t.name}\u0000${p.partitionIndex}`;
          if (seen.has(key)) duplicates.add(key);
          seen.add(key);
        }
      }
      const invalid = (p: ListOffsetsRequest.ListOffsetsPartition): ListOffsetsResponse.ListOffsetsPartitionResponse => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 });
      const answered = new Set<string>();
      const firstTime = (key: string) => !answered.has(key) && answered.add(key) !== undefined;
      const topics = await Promise.all(
        req.topics.map(async (t) => ({
          name: t.name,
          partitions: await Promise.all(
            t.partitions
              .filter((p) => !duplicates.has(`${t.name}\u0000${p.partitionIndex}`) || firstTime(`${t.name}\u0000${p.partitionIndex}`))
              .map((p) => (duplicates.has(`${t.name}\u0000${p.partitionIndex}`) ? invalid(p) : one(t.name, p, v, isolation, req.replicaId >= 0))),
          ),
        })),
      );
      return { throttleTimeMs: 0, topics };
    },
  };
}
