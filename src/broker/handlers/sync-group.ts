// SyncGroup (key 14), v0-5. The leader brings every member's assignment (opaque bytes: the
// broker never reads them); followers wait for it. v3+ group.instance.id; v5 protocol type and
// name, both required (INCONSISTENT_GROUP_PROTOCOL otherwise) and echoed in the response.
import { SyncGroup, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/generated/apis/14-sync-group.js';
import type { GroupsContext } from '../groups.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';

export function syncGroupHandler(broker: GroupsContext): ApiHandler<SyncGroupRequest, SyncGroupResponse> {
  return {
    api: SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      if (v >= 5 && (req.protocolType === null || req.protocolName === null)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
      }
      const r = await broker.groups.syncGroup({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: v >= 3 ? req.groupInstanceId : null,
        protocolType: v >= 5 ? req.protocolType : null,
        protocolName: v >= 5 ? req.protocolName : null,
        assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        protocolType: v >= 5 ? r.protocolType : null,
        protocolName: v >= 5 ? r.protocolName : null,
        assignment: r.assignment,
      };
    },
  };
}
