// OffsetForLeaderEpoch (key 23), v0-4: the end offset of a leader epoch, which clients use after
// a leader change to detect log truncation (KIP-320). v2+ checks currentLeaderEpoch; v3+
// replicaId (-1 consumer, -2 debug).
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../../protocol/generated/apis/23-offset-for-leader-epoch.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { toErrorCode } from '../storage-errors.js';

export function offsetForLeaderEpochHandler(broker: BrokerContext): ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
  return {
    api: OffsetForLeaderEpoch,
    minVersion: 0,
    maxVersion: 4,
    handle(req) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const out = { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
            const partition = broker.replicas.partition(t.topic, p.partition);
            if (!partition) return { ...out, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            try {
              // The current epoch ends at the log end even before anything is written in it (Kafka's
              // cache gets the epoch at the election): a consumer validating epoch 0 on an empty
              // partition must not get "undefined" (LogTruncationException in the Java client).
              const { errorCode, leaderEpoch, endOffset } = partition.lastOffsetForLeaderEpoch(p.currentLeaderEpoch, p.leaderEpoch);
              return { ...out, errorCode, leaderEpoch, endOffset };
            } catch (e) {
              return { ...out, errorCode: toErrorCode(e) };
            }
          }),
        })),
      };
    },
  };
}
