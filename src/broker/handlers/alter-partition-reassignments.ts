// AlterPartitionReassignments (key 45), v0 (KIP-455): per partition, a target replica list starts
// or replaces a reassignment, null cancels one. The controller decides on its own image, so the
// errors (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS)
// come back from the proposal.
import { AlterPartitionReassignments, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse } from '../../protocol/generated/apis/45-alter-partition-reassignments.js';
import type { BrokerContext } from '../context.js';
import type { ApiHandler } from '../handler.js';
import { toApiError } from './admin-util.js';

export function alterPartitionReassignmentsHandler(broker: BrokerContext): ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> {
  return {
    api: AlterPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const responses: AlterPartitionReassignmentsResponse.ReassignableTopicResponse[] = [];
      for (const t of req.topics) {
        const partitions: AlterPartitionReassignmentsResponse.ReassignablePartitionResponse[] = [];
        for (const p of t.partitions) {
          try {
            await broker.topics.reassignPartition(t.name, p.partitionIndex, p.replicas);
            partitions.push({ partitionIndex: p.partitionIndex, errorCode: 0, errorMessage: null });
          } catch (e) {
            const err = toApiError(e, broker.logger, `reassign ${t.name}-${p.partitionIndex}`);
            partitions.push({ partitionIndex: p.partitionIndex, errorCode: err.code, errorMessage: err.message ?? null });
          }
        }
        responses.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
    },
  };
}
