// Shared by the admin handlers (CreateTopics, CreatePartitions, DeleteTopics, the config APIs):
// turning a failure into a per-resource error, and Kafka's checks of manual replica assignments
// against the brokers registered in the metadata image.
import { ResourceType, type ApiError } from '../admin-configs.js';
import { ErrorCode, errorName, KafkaError } from '../errors.js';
import { invalidTopicName } from '../metadata/names.js';
import { toErrorCode } from '../storage-errors.js';
import type { Logger } from '../../util/logger.js';

export type { ApiError } from '../admin-configs.js';

export const NO_ERROR: ApiError = { code: ErrorCode.NONE, message: null };

/**
 * The error a failed operation reports for its topic or resource. As Kafka's ApiError does, a
 * message that only repeats the error's name is left out; anything that is not a KafkaError or a
 * storage failure is logged and reported as UNKNOWN_SERVER_ERROR without detail.
 */
export function toApiError(e: unknown, logger: Logger, what: string): ApiError {
  const code = toErrorCode(e);
  if (code === ErrorCode.UNKNOWN_SERVER_ERROR) {
    logger.error(`${what} failed`, { error: e });
    return { code, message: null };
  }
  const message = e instanceof Error && e.message !== '' && !(e instanceof KafkaError && e.message === errorName(code)) ? e.message : null;
  return { code, message };
}

const invalidAssignment = (message: string): ApiError => ({ code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message });

/** The brokers an assignment may name: those registered in the metadata image. */
export interface RegisteredBrokers {
  has(id: number): boolean;
}

/**
 * Kafka's validateManualPartitionAssignment: no broker twice, only registered brokers, not
 * empty, and as many replicas as the other partitions have.
 */
export function checkManualAssignment(brokerIds: readonly number[], registered: RegisteredBrokers, replicationFactor?: number): ApiError | undefined {
  const seen = new Set<number>();
  for (const id of brokerIds) {
    if (seen.has(id)) return invalidAssignment(`The manual partition assignment includes broker ${id} more than once.`);
    seen.add(id);
    if (!registered.has(id)) return invalidAssignment(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
  }
  if (brokerIds.length === 0) return invalidAssignment('The manual partition assignment includes an empty replica list.');
  if (replicationFactor !== undefined && replicationFactor !== brokerIds.length) {
    return invalidAssignment(
      `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
  return undefined;
}

/**
 * CreateTopics with manual assignments (KRaft's rules): numPartitions and replicationFactor must
 * be -1 (INVALID_REQUEST otherwise, as ReplicationControlManager answers) and are derived from the assignments, which must cover partitions 0..n-1 once each.
 */
export function checkCreateAssignments(
  topic: { numPartitions: number; replicationFactor: number; assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[] },
  registered: RegisteredBrokers,
): { partitions: number; replicationFactor: number } | ApiError {
  if (topic.replicationFactor !== -1) {
    return { code: ErrorCode.INVALID_REQUEST, message: 'A manual partition assignment was specified, but replication factor was not set to -1.' };
  }
  if (topic.numPartitions !== -1) {
    return { code: ErrorCode.INVALID_REQUEST, message: 'A manual partition assignment was specified, but numPartitions was not set to -1.' };
  }
  const partitions = new Set<number>();
  let replicationFactor: number | undefined;
  for (const a of topic.assignments) {
    if (partitions.has(a.partitionIndex)) return invalidAssignment(`Found multiple manual partition assignments for partition ${a.partitionIndex}`);
    const bad = checkManualAssignment(a.brokerIds, registered, replicationFactor);
    if (bad) return bad;
    replicationFactor = a.brokerIds.length;
    partitions.add(a.partitionIndex);
  }
  for (let i = 0; i < partitions.size; i++) {
    if (!partitions.has(i)) return invalidAssignment('partitions should be a consecutive 0-based integer sequence');
  }
  return { partitions: partitions.size, replicationFactor: replicationFactor! };
}

export const isApiError = (v: object): v is ApiError => 'code' in v;

/** A resource as the two AlterConfigs APIs name it. */
export interface AlterResource {
  resourceType: number;
  resourceName: string;
}

/** Kafka's answer when the same resource appears twice in one alter request (every occurrence). */
export const DUPLICATE_RESOURCE: ApiError = { code: ErrorCode.INVALID_REQUEST, message: 'Each resource must appear at most once.' };

/** The resources that appear more than once, as `type:name` keys. */
export function duplicateResources(resources: readonly AlterResource[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const r of resources) {
    const key = resourceKey(r);
    if (seen.has(key)) twice.add(key);
    seen.add(key);
  }
  return twice;
}

export const resourceKey = (r: AlterResource) => `${r.resourceType}:${r.resourceName}`;

/** Kafka's answer for a resource type an API does not handle. */
export const unknownResourceType = (type: number): ApiError => ({ code: ErrorCode.INVALID_REQUEST, message: `Unknown resource type ${type}` });

/**
 * The per-resource loop both AlterConfigs APIs share: duplicates refused, TOPIC and BROKER
 * resources altered (a failure becomes that resource's error), other types answered by
 * `otherType`. Resources are handled one after the other, in request order.
 */
export async function alterEachResource<R extends AlterResource>(
  resources: readonly R[],
  logger: Logger,
  alter: { topic: (r: R) => Promise<ApiError>; broker: (r: R) => Promise<ApiError>; otherType: (r: R) => ApiError },
): Promise<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }[]> {
  const duplicates = duplicateResources(resources);
  const responses = [];
  for (const r of resources) {
    let e: ApiError;
    if (duplicates.has(resourceKey(r))) e = DUPLICATE_RESOURCE;
    else if (r.resourceType === ResourceType.TOPIC || r.resourceType === ResourceType.BROKER) {
      const kind = r.resourceType === ResourceType.TOPIC ? 'topic' : 'broker';
      try {
        e = await alter[kind](r);
      } catch (err) {
        e = toApiError(err, logger, `alter configs of ${kind} ${r.resourceName}`);
      }
    } else e = alter.otherType(r);
    responses.push({ errorCode: e.code, errorMessage: e.message, resourceType: r.resourceType, resourceName: r.resourceName });
  }
  return responses;
}

/** A resource name as Java's Integer.parseInt reads it, or undefined. */
export function parseNodeId(name: string): number | undefined {
  if (!/^[+-]?\d{1,10}$/.test(name)) return undefined;
  const n = Number(name);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : undefined;
}

/** Kafka's checks of a TOPIC resource name in the alter APIs. */
export function topicResourceError(name: string): ApiError | undefined {
  if (name === '') return { code: ErrorCode.INVALID_REQUEST, message: 'Default topic resources are not allowed.' };
  const bad = invalidTopicName(name);
  return bad ? { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: bad } : undefined;
}

export const unknownTopic = (name: string): ApiError => ({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `The topic '${name}' does not exist.` });
