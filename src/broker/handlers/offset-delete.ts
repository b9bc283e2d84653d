// OffsetDelete (key 47), v0 (KIP-496): removes committed offsets of a group. A consumer group
// with members keeps the offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); other
// non-empty groups refuse (NON_EMPTY_GROUP). Unknown topics: UNKNOWN_TOPIC_OR_PARTITION.
import { OffsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/generated/apis/47-offset-delete.js';
import type { GroupsContext } from '../groups.js';
import type { ApiHandler } from '../handler.js';

export function offsetDeleteHandler(broker: GroupsContext): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> {
  return {
    api: OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const r = await broker.groups.deleteOffsets(
        req.groupId,
        req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
      );
      return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
    },
  };
}
