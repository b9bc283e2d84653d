// LeaveGroup (key 13), v0-5. v0-2 name one member and answer with one error code; v3+ take a
// batch of members (by member id, or by group.instance.id alone to remove a static member, as
// admin tools do) and answer per member; v5 a reason per member.
import { LeaveGroup, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/generated/apis/13-leave-group.js';
import type { GroupsContext } from '../groups.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';

export function leaveGroupHandler(broker: GroupsContext): ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  return {
    api: LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const members =
        v >= 3
          ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
          : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
      const r = await broker.groups.leaveGroup(req.groupId, members);
      if (v < 3) {
        const memberError = r.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
        return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError, members: [] };
      }
      return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    },
  };
}
