// ListGroups (key 16), v0-5: every group this node coordinates; v4+ filtered by state
// (case-insensitive) and answering each group's state; v5+ filtered by type (all groups here
// are "classic").
import { ListGroups, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/generated/apis/16-list-groups.js';
import type { GroupsContext } from '../groups.js';
import type { ApiHandler } from '../handler.js';

export function listGroupsHandler(broker: GroupsContext): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    api: ListGroups,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const r = await broker.groups.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
      return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
    },
  };
}
