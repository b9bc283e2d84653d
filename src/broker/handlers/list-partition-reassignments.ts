// ListPartitionReassignments (key 46), v0 (KIP-455): the reassignments in progress, all of them
// (topics null) or of the partitions named; unknown ones are left out, as Kafka does.
import { ListPartitionReassignments, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from '../../protocol/generated/apis/46-list-partition-reassignments.js';
import { inReassignment } from '../controller/reassignment.js';
import type { BrokerContext } from '../context.js';
import type { ApiHandler } from '../handler.js';

export function listPartitionReassignmentsHandler(broker: BrokerContext): ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> {
  return {
    api: ListPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const image = broker.metadata;
      const wanted = req.topics ?? [...image.topics.values()].map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((_, i) => i) }));
      const topics: ListPartitionReassignmentsResponse.OngoingTopicReassignment[] = [];
      for (const w of wanted) {
        const partitions = w.partitionIndexes.flatMap((i) => {
          const p = image.partition(w.name, i);
          return p && inReassignment(p) ? [{ partitionIndex: i, replicas: [...p.replicas], addingReplicas: [...(p.addingReplicas ?? [])], removingReplicas: [...(p.removingReplicas ?? [])] }] : [];
        });
        if (partitions.length > 0) topics.push({ name: w.name, partitions });
      }
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics };
    },
  };
}
