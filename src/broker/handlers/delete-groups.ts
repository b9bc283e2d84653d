// DeleteGroups (key 42), v0-2: removes Empty groups and their committed offsets (tombstones in
// __consumer_offsets). A group with members: NON_EMPTY_GROUP; an unknown one: GROUP_ID_NOT_FOUND.
import { DeleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/generated/apis/42-delete-groups.js';
import type { GroupsContext } from '../groups.js';
import type { ApiHandler } from '../handler.js';

export function deleteGroupsHandler(broker: GroupsContext): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    api: DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      return { throttleTimeMs: 0, results: await broker.groups.deleteGroups(req.groupsNames) };
    },
  };
}
