// ElectLeaders (key 43), v0-2: preferred (v0+) or unclean (v1+) leader election of the given
// partitions, or of every partition when topicPartitions is null (as kafka-leader-election.sh
// --all-topic-partitions sends it). Each election is a proposal the controller decides on its
// own image, so a partition that changed meanwhile gets the error it has then. As Kafka, a
// null request answers only the partitions that needed an election (ELECTION_NOT_NEEDED ones
// are left out); named partitions are all answered. v0 has no top-level error code to set.
import { ElectLeaders, type ElectLeadersRequest, type ElectLeadersResponse } from '../../protocol/generated/apis/43-elect-leaders.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { toApiError } from './admin-util.js';

type Result = ElectLeadersResponse.ReplicaElectionResult;

export function electLeadersHandler(broker: BrokerContext): ApiHandler<ElectLeadersRequest, ElectLeadersResponse> {
  const electOne = async (topic: string, partition: number, type: number) => {
    const t = broker.metadata.topic(topic);
    if (!t || partition < 0 || partition >= t.partitions.length) {
      return { partitionId: partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'The partition does not exist.' };
    }
    try {
      await broker.topics.electLeader(topic, partition, type);
      return { partitionId: partition, errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (e) {
      const err = toApiError(e, broker.logger, `elect a leader for ${topic}-${partition}`);
      return { partitionId: partition, errorCode: err.code, errorMessage: err.message };
    }
  };

  return {
    api: ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      const all = req.topicPartitions === null;
      const wanted = new Map<string, Set<number>>();
      if (all) for (const t of broker.metadata.topics.values()) wanted.set(t.name, new Set(t.partitions.map((_, i) => i)));
      else {
        for (const tp of req.topicPartitions!) {
          const set = wanted.get(tp.topic) ?? new Set<number>();
          for (const p of tp.partitions) set.add(p);
          wanted.set(tp.topic, set);
        }
      }
      const results: Result[] = await Promise.all(
        [...wanted].map(async ([topic, partitions]) => ({
          topic,
          partitionResult: (await Promise.all([...partitions].map((p) => electOne(topic, p, req.electionType)))).filter((r) => !all || r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED),
        })),
      );
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: all ? results.filter((r) => r.partitionResult.length > 0) : results };
    },
  };
}
