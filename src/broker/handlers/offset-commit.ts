// OffsetCommit (key 8), v0-9. v0 carries no generation nor member (a commit from outside group
// management, like generation -1); v1 a per-partition commit timestamp; v2-4 a retention time
// (the old per-offset expiry); v6+ the leader epoch; v7+ group.instance.id; v9 answers
// GROUP_ID_NOT_FOUND where older versions get ILLEGAL_GENERATION. Partitions of unknown topics
// get UNKNOWN_TOPIC_OR_PARTITION.
import { OffsetCommit, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/generated/apis/8-offset-commit.js';
import type { GroupsContext } from '../groups.js';
import type { ApiHandler } from '../handler.js';

export function offsetCommitHandler(broker: GroupsContext): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    api: OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const r = await broker.groups.commitOffsets({
        groupId: req.groupId,
        generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: v >= 1 ? req.memberId : '',
        groupInstanceId: v >= 7 ? req.groupInstanceId : null,
        retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1n,
        apiVersion: v,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
            commitTimestamp: v === 1 ? p.commitTimestamp : -1n,
            committedMetadata: p.committedMetadata,
          })),
        })),
      });
      return { throttleTimeMs: 0, topics: r.topics };
    },
  };
}
