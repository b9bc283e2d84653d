// DescribeGroups (key 15), v0-5: state, protocol and members of each group; members' metadata
// and assignments only for a Stable group, as Kafka. An unknown group is reported Dead with no
// error. v3+ authorized operations on request (no authorizer: all of a group's); v4+ instance ids.
import { DescribeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../../protocol/generated/apis/15-describe-groups.js';
import type { GroupsContext } from '../groups.js';
import type { ApiHandler } from '../handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED, GROUP_OPERATIONS } from './authorized-operations.js';


export function describeGroupsHandler(broker: GroupsContext): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  return {
    api: DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const withOperations = v >= 3 && req.includeAuthorizedOperations;
      const groups = await Promise.all(req.groups.map((id) => broker.groups.describeGroup(id)));
      return {
        throttleTimeMs: 0,
        groups: groups.map((g) => ({
          errorCode: g.errorCode,
          groupId: g.groupId,
          groupState: g.groupState,
          protocolType: g.protocolType,
          protocolData: g.protocolData,
          members: g.members.map((m) => ({ ...m, groupInstanceId: v >= 4 ? m.groupInstanceId : null })),
          authorizedOperations: withOperations ? GROUP_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
        })),
      };
    },
  };
}
