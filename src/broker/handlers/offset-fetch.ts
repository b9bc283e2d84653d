// OffsetFetch (key 9), v0-9. v0-7 ask for one group (v2+: null topics = all its offsets, and a
// top-level error code; v0-1 report a group error on every partition); v8+ ask for many groups
// at once; v5+ leader epochs; v7+ requireStable (KIP-447: UNSTABLE_OFFSET_COMMIT while a
// transaction's offset commit is undecided). A group or partition without a commit answers offset -1, no error.
import { OffsetFetch, type OffsetFetchRequest, type OffsetFetchResponse } from '../../protocol/generated/apis/9-offset-fetch.js';
import type { GroupsContext } from '../groups.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';

export function offsetFetchHandler(broker: GroupsContext): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  return {
    api: OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      if (v >= 8) {
        const groups = await Promise.all(
          req.groups.map(async (g) => {
            const r = await broker.groups.fetchOffsets(g.groupId, g.topics === null ? null : g.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })), req.requireStable);
            return { groupId: g.groupId, errorCode: r.errorCode, topics: r.topics };
          }),
        );
        return { throttleTimeMs: 0, topics: [], errorCode: 0, groups };
      }
      const asked = v >= 2 && req.topics === null ? null : (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
      const r = await broker.groups.fetchOffsets(req.groupId, asked, v >= 7 && req.requireStable);
      if (r.errorCode !== ErrorCode.NONE && v < 2) {
        // No top-level error code before v2: the group's error goes on every partition asked for.
        const topics = (asked ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
        }));
        return { throttleTimeMs: 0, topics, errorCode: 0, groups: [] };
      }
      return { throttleTimeMs: 0, topics: r.topics, errorCode: v >= 2 ? r.errorCode : 0, groups: [] };
    },
  };
}
