// JoinGroup (key 11), v0-9. v0 has no rebalance timeout (the session timeout serves); v4+ makes
// a new dynamic member fetch its id first (MEMBER_ID_REQUIRED, KIP-394); v5+ static members
// (group.instance.id, KIP-345); v7+ protocol type in the response and a nullable protocol name;
// v8+ a reason; v9 skipAssignment for a static leader rejoining a Stable group. The response
// may wait for the whole rebalance.
import { JoinGroup, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/generated/apis/11-join-group.js';
import type { ApiHandler } from '../handler.js';
import { clientHost, type GroupsContext } from '../groups.js';

export function joinGroupHandler(broker: GroupsContext): ApiHandler<JoinGroupRequest, JoinGroupResponse> {
  return {
    api: JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const groupInstanceId = v >= 5 ? req.groupInstanceId : null;
      const r = await broker.groups.joinGroup({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
        protocolType: req.protocolType,
        // Copied: the request frame is not kept alive by the group.
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        clientId: ctx.clientId ?? '',
        clientHost: clientHost(ctx.remoteAddress),
        reason: v >= 8 ? req.reason : null,
        requireKnownMemberId: v >= 4 && groupInstanceId === null,
        supportsSkipAssignment: v >= 9,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: v >= 7 ? r.protocolType : null,
        protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
        leader: r.leader,
        skipAssignment: v >= 9 ? r.skipAssignment : false,
        memberId: r.memberId,
        members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: v >= 5 ? m.groupInstanceId : null, metadata: m.metadata })),
      };
    },
  };
}
