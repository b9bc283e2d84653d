// DeleteTopics (key 20), v0-6. v1+ has throttleTimeMs; v4+ is flexible; v5+ carries an
// errorMessage; v6 names each topic by name or by id (exactly one of the two). As KRaft's
// ControllerApis: unknown name → UNKNOWN_TOPIC_OR_PARTITION, unknown id → UNKNOWN_TOPIC_ID,
// a name or id given twice → INVALID_REQUEST; with delete.topic.enable=false every topic fails
// with TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3). Results follow the request's order
// (Kafka shuffles them).
import { DeleteTopics, type DeleteTopicsRequest, type DeleteTopicsResponse } from '../../protocol/generated/apis/20-delete-topics.js';
import { UUID_ZERO } from '../../protocol/runtime/index.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import { NO_ERROR, toApiError, type ApiError } from './admin-util.js';

type Result = DeleteTopicsResponse.DeletableTopicResult;

const invalid = (message: string): ApiError => ({ code: ErrorCode.INVALID_REQUEST, message });
const UNKNOWN_NAME: ApiError = { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'This server does not host this topic-partition.' };
const UNKNOWN_ID: ApiError = { code: ErrorCode.UNKNOWN_TOPIC_ID, message: 'This server does not host this topic ID.' };
const MAPS_TO_SUPPLIED_ID = 'The provided topic name maps to an ID that was already supplied.';

export function deleteTopicsHandler(broker: BrokerContext): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return {
    api: DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const entries: { name: string | null; topicId: string }[] = v >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: UUID_ZERO }));
      const responses: Result[] = [];
      const answer = (name: string | null, topicId: string, e: ApiError) => responses.push({ name, topicId, errorCode: e.code, errorMessage: e.message });

      if (!broker.config.bool('delete.topic.enable')) {
        const e = v < 3 ? invalid('Topic deletion is disabled.') : { code: ErrorCode.TOPIC_DELETION_DISABLED, message: 'Topic deletion is disabled.' };
        for (const t of entries) answer(t.name, t.topicId, e);
        return { throttleTimeMs: 0, responses };
      }

      const nameCount = new Map<string, number>();
      const idCount = new Map<string, number>();
      for (const t of entries) {
        if (t.name !== null && t.topicId === UUID_ZERO) nameCount.set(t.name, (nameCount.get(t.name) ?? 0) + 1);
        if (t.name === null && t.topicId !== UUID_ZERO) idCount.set(t.topicId, (idCount.get(t.topicId) ?? 0) + 1);
      }
      // A topic named by name and also by its id: neither is deleted.
      const conflicting = new Set<string>();
      for (const [name, n] of nameCount) {
        const id = broker.metadata.topic(name)?.topicId;
        if (n === 1 && id !== undefined && idCount.get(id) === 1) conflicting.add(id);
      }

      const answeredNames = new Set<string>();
      const answeredIds = new Set<string>();
      // The name and the id of a conflicting topic get one answer between them, as in Kafka.
      const answerConflict = (name: string, topicId: string) => {
        if (answeredIds.has(`conflict:${topicId}`)) return;
        answeredIds.add(`conflict:${topicId}`);
        answer(name, topicId, invalid(MAPS_TO_SUPPLIED_ID));
      };
      for (const t of entries) {
        if (t.name === null) {
          if (t.topicId === UUID_ZERO) {
            answer(null, UUID_ZERO, invalid('Neither topic name nor id were specified.'));
            continue;
          }
          if (answeredIds.has(t.topicId)) continue;
          answeredIds.add(t.topicId);
          const topic = broker.metadata.topicById(t.topicId);
          if (idCount.get(t.topicId)! > 1) answer(null, t.topicId, invalid('Duplicate topic id.'));
          else if (!topic) answer(null, t.topicId, UNKNOWN_ID);
          else if (conflicting.has(t.topicId)) answerConflict(topic.name, t.topicId);
          else await remove(topic.name, t.topicId);
          continue;
        }
        if (t.topicId !== UUID_ZERO) {
          answer(t.name, t.topicId, invalid('You may not specify both topic name and topic id.'));
          continue;
        }
        if (answeredNames.has(t.name)) continue;
        answeredNames.add(t.name);
        const topic = broker.metadata.topic(t.name);
        if (nameCount.get(t.name)! > 1) answer(t.name, UUID_ZERO, invalid('Duplicate topic name.'));
        else if (!topic) answer(t.name, UUID_ZERO, UNKNOWN_NAME);
        else if (conflicting.has(topic.topicId)) answerConflict(t.name, topic.topicId);
        else await remove(t.name, topic.topicId);
      }
      return { throttleTimeMs: 0, responses };

      async function remove(name: string, topicId: string): Promise<void> {
        try {
          await broker.topics.delete(name);
          answer(name, topicId, NO_ERROR);
        } catch (e) {
          answer(name, topicId, toApiError(e, broker.logger, `delete topic ${name}`));
        }
      }
    },
  };
}
