// Heartbeat (key 12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
// rejoin. v3+ group.instance.id (a fenced static member gets FENCED_INSTANCE_ID).
import { Heartbeat, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/generated/apis/12-heartbeat.js';
import type { GroupsContext } from '../groups.js';
import type { ApiHandler } from '../handler.js';

export function heartbeatHandler(broker: GroupsContext): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    api: Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const errorCode = await broker.groups.heartbeat({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
      });
      return { throttleTimeMs: 0, errorCode };
    },
  };
}
