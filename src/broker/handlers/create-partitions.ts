// CreatePartitions (key 37), v0-3: grows topics to `count` partitions. validateOnly exists in
// every version; v1 only changes throttling, v2+ is flexible, v3 may answer
// THROTTLING_QUOTA_EXCEEDED (never here). As KRaft's ControllerApis: a name given twice gets one
// INVALID_REQUEST result; manual assignments must give one replica list per new partition, each
// naming registered brokers, as many as the topic's other partitions have.
import { CreatePartitions, type CreatePartitionsRequest, type CreatePartitionsResponse } from '../../protocol/generated/apis/37-create-partitions.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { checkManualAssignment, NO_ERROR, toApiError, type ApiError } from './admin-util.js';

type Result = CreatePartitionsResponse.CreatePartitionsTopicResult;

export function createPartitionsHandler(broker: BrokerContext): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  const growOne = async (t: CreatePartitionsRequest.CreatePartitionsTopic, validateOnly: boolean): Promise<ApiError> => {
    try {
      const topic = broker.topics.validateAddPartitions(t.name, t.count);
      if (t.assignments !== null) {
        const additional = t.count - topic.partitions.length;
        if (t.assignments.length !== additional) {
          return {
            code: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            message: `Attempted to add ${additional} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`,
          };
        }
        for (const a of t.assignments) {
          const bad = checkManualAssignment(a.brokerIds, broker.metadata.brokers, topic.partitions[0]?.replicas.length);
          if (bad) return bad;
        }
      }
      if (!validateOnly) await broker.topics.addPartitions(t.name, t.count, t.assignments?.map((a) => a.brokerIds));
      return NO_ERROR;
    } catch (e) {
      return toApiError(e, broker.logger, `create partitions for ${t.name}`);
    }
  };

  return {
    api: CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(req) {
      const count = new Map<string, number>();
      for (const t of req.topics) count.set(t.name, (count.get(t.name) ?? 0) + 1);
      const answered = new Set<string>();
      const results: Result[] = [];
      for (const t of req.topics) {
        if (answered.has(t.name)) continue;
        answered.add(t.name);
        const e = count.get(t.name)! > 1 ? { code: ErrorCode.INVALID_REQUEST, message: 'Duplicate topic name.' } : await growOne(t, req.validateOnly);
        results.push({ name: t.name, errorCode: e.code, errorMessage: e.message });
      }
      return { throttleTimeMs: 0, results };
    },
  };
}
