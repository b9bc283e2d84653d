// Metadata (key 3), v0-12. v0 treats an empty topic list as "all topics" (v1+ uses null for
// that); v4+ carries allowAutoTopicCreation; v10+ topic ids; v12 may ask for topics by id.
// Brokers, controller, leaders, replicas, ISR and epochs come from the metadata image.
import { Metadata, type MetadataRequest, type MetadataResponse } from '../../protocol/generated/apis/3-metadata.js';
import { UUID_ZERO } from '../../protocol/runtime/index.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import type { TopicImage } from '../metadata/image.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from './authorized-operations.js';


export function metadataHandler(broker: BrokerContext): ApiHandler<MetadataRequest, MetadataResponse> {
  const describe = (t: TopicImage, withOperations: boolean): MetadataResponse.MetadataResponseTopic => ({
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p, index) => {
      // A partition is in the metadata before its log is open here (CreatePartitions; creation
      // of a whole topic is waited for, below): until then it has no leader, as in Kafka before
      // the election. Naming this node leader sent clients' ListOffsets and Fetch into
      // UNKNOWN_TOPIC_OR_PARTITION, which librdkafka surfaces as a permanent consumer error.
      const led = p.leader !== -1 && (p.leader !== broker.nodeId || broker.replicas.partition(t.name, index) !== undefined);
      return {
        errorCode: led ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: index,
        leaderId: led ? p.leader : -1,
        leaderEpoch: led ? p.leaderEpoch : -1,
        replicaNodes: [...p.replicas],
        isrNodes: led ? [...p.isr] : [],
        offlineReplicas: [],
      };
    }),
    topicAuthorizedOperations: withOperations ? TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  });

  const failed = (name: string | null, topicId: string, errorCode: number): MetadataResponse.MetadataResponseTopic => ({
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  });

  return {
    api: Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);
      const allowAutoCreate = v < 4 ? true : req.allowAutoTopicCreation;
      const ops = req.includeTopicAuthorizedOperations;
      if (v < 12 && !allTopics && req.topics!.some((t) => t.name === null || t.topicId !== UUID_ZERO)) {
        // v10-11 carry topic ids but cannot look topics up by them: Kafka's error response.
        return {
          throttleTimeMs: 0,
          brokers: [],
          clusterId: null,
          controllerId: -1,
          topics: req.topics!.map((t) => failed(t.name ?? '', t.topicId, ErrorCode.INVALID_REQUEST)),
          clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        };
      }
      const image = broker.metadata;
      let topics: MetadataResponse.MetadataResponseTopic[];
      if (allTopics) {
        // A topic still being created shows up once its partitions are open (by name, the
        // lookup waits for it): listed half-made, its leaderless partitions would overwrite the
        // complete answer a client got on another request.
        topics = [...image.topics.values()].filter((t) => !broker.topics.isCreating(t.name)).map((t) => describe(t, ops));
      } else if (req.topics!.some((t) => t.topicId !== UUID_ZERO)) {
        // As Kafka: one topic id in the request and every topic is looked up by id, names ignored
        // (the Java admin client sends "" as the name, not null, with the ids).
        const ids = [...new Set(req.topics!.map((t) => t.topicId).filter((id) => id !== UUID_ZERO))];
        topics = ids.map((id) => {
          const byId = image.topicById(id);
          return byId ? describe(byId, ops) : failed(null, id, ErrorCode.UNKNOWN_TOPIC_ID);
        });
      } else {
        topics = await Promise.all(
          // A name asked for twice is answered once (Kafka collects the names into a set).
          req.topics!.filter((t, i, all) => t.name === null || all.findIndex((x) => x.name === t.name) === i).map(async (t) => {
            if (t.name === null) {
              const byId = broker.metadata.topicById(t.topicId);
              return byId ? describe(byId, ops) : failed(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
            }
            // Being created by another request counts as existing: this one does not auto-create it.
            const existed = broker.metadata.topic(t.name) !== undefined || broker.topics.isCreating(t.name);
            const found = await broker.topics.getOrAutoCreate(t.name, allowAutoCreate);
            if (typeof found === 'number') return failed(t.name, UUID_ZERO, found);
            // As Kafka (KRaft): the request that auto-creates a topic is answered
            // UNKNOWN_TOPIC_OR_PARTITION; clients retry and find it on the next request.
            return existed ? describe(found, ops) : failed(t.name, UUID_ZERO, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          }),
        );
      }
      // Read after the lookups above, which may have waited for topics to be created.
      const current = broker.metadata;
      return {
        throttleTimeMs: 0,
        brokers: current.reachableBrokers(ctx.listenerName).map(({ id, ...where }) => ({ nodeId: id, ...where })),
        clusterId: current.clusterId,
        controllerId: current.controllerId,
        topics,
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  };
}
