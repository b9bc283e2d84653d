// CreateTopics (key 19), v0-7. v1+ has validateOnly and a per-topic errorMessage; v2+
// throttleTimeMs; v5+ (flexible) answers with the topic's effective configs (with their
// DescribeConfigs sources), partition count and replication factor; v7 with the topic id.
// As KRaft's ControllerApis: a name given twice gets one INVALID_REQUEST result and is not
// created; manual assignments need numPartitions/replicationFactor -1 (INVALID_REQUEST otherwise)
// and may only name registered brokers; validateOnly answers with a fresh topic id, as Kafka does.
import { CreateTopics, type CreateTopicsRequest, type CreateTopicsResponse } from '../../protocol/generated/apis/19-create-topics.js';
import { UUID_ZERO } from '../../protocol/runtime/index.js';
import { describeTopicConfigs } from '../admin-configs.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { invalidTopicName, randomUuid } from '../metadata/names.js';
import { checkCreateAssignments, isApiError, toApiError, type ApiError } from './admin-util.js';

type Result = CreateTopicsResponse.CreatableTopicResult;

/** Kafka's Topic.unifyCollisionChars: '.' and '_' collide in metric names. */
const unify = (name: string) => name.replace(/\./g, '_');

export function createTopicsHandler(broker: BrokerContext): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  const failed = (name: string, e: ApiError): Result => ({
    name,
    topicId: UUID_ZERO,
    errorCode: e.code,
    errorMessage: e.message,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  });

  const created = (name: string, topicId: string, partitions: number, replicationFactor: number, overrides: Readonly<Record<string, string>>): Result => ({
    name,
    topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: partitions,
    replicationFactor,
    configs: describeTopicConfigs(broker.config, overrides)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: c.isSensitive })),
  });

  /**
   * Name checks that come before the topic's settings in Kafka's order. Collisions are checked
   * against the topics that existed before the request (`existing`), as Kafka's
   * ReplicationControlManager does: two new names of one request that collide are both created.
   */
  const nameError = (name: string, existing: readonly string[]): ApiError | undefined => {
    const bad = invalidTopicName(name);
    if (bad) return { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: bad };
    if (broker.metadata.topic(name)) return { code: ErrorCode.TOPIC_ALREADY_EXISTS, message: `Topic '${name}' already exists.` };
    if (/[._]/.test(name)) {
      const key = unify(name);
      for (const other of existing) {
        if (unify(other) === key) return { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `Topic '${name}' collides with existing topic: ${other}` };
      }
    }
    return undefined;
  };

  const createOne = async (t: CreateTopicsRequest.CreatableTopic, validateOnly: boolean, existing: readonly string[]): Promise<Result> => {
    const bad = nameError(t.name, existing);
    if (bad) return failed(t.name, bad);
    let partitions = t.numPartitions;
    let replicationFactor = t.replicationFactor;
    if (t.assignments.length > 0) {
      const derived = checkCreateAssignments(t, broker.metadata.brokers);
      if (isApiError(derived)) return failed(t.name, derived);
      ({ partitions, replicationFactor } = derived);
    }
    const configs: Record<string, string | null> = {};
    for (const c of t.configs) configs[c.name] = c.value;
    try {
      if (validateOnly) {
        const checked = broker.topics.validateCreate(t.name, partitions, replicationFactor, configs);
        const overrides: Record<string, string> = {};
        for (const [k, v] of Object.entries(configs)) if (v !== null) overrides[k] = v;
        // Kafka draws the topic id before it checks validateOnly, and answers with it (v7).
        return created(t.name, randomUuid(), checked.partitions, checked.replicationFactor, overrides);
      }
      const assigned = t.assignments.length > 0 ? [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds) : undefined;
      const topic = await broker.topics.create(t.name, partitions, replicationFactor, configs, assigned);
      return created(t.name, topic.topicId, topic.partitions.length, topic.partitions[0]?.replicas.length ?? replicationFactor, topic.configs);
    } catch (e) {
      return failed(t.name, toApiError(e, broker.logger, `create topic ${t.name}`));
    }
  };

  return {
    api: CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(req, ctx) {
      const validateOnly = ctx.apiVersion >= 1 && req.validateOnly;
      const count = new Map<string, number>();
      for (const t of req.topics) count.set(t.name, (count.get(t.name) ?? 0) + 1);
      const answered = new Set<string>();
      const topics: Result[] = [];
      const existing = [...broker.metadata.topics.keys()];
      // One at a time, so that topics of one request see each other (collisions, existence).
      for (const t of req.topics) {
        if (answered.has(t.name)) continue;
        answered.add(t.name);
        topics.push(count.get(t.name)! > 1 ? failed(t.name, { code: ErrorCode.INVALID_REQUEST, message: 'Duplicate topic name.' }) : await createOne(t, validateOnly, existing));
      }
      return { throttleTimeMs: 0, topics };
    },
  };
}
