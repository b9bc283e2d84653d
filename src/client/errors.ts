import { ErrorCode, errorName } from '../protocol/error-codes.js';

export { ErrorCode, errorName };

/** Errors a client retries after refreshing metadata (leadership moved, topic not yet known). */
const REFRESH = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.OFFSET_NOT_AVAILABLE,
]);

const RETRIABLE = new Set<number>([
  ...REFRESH,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.THROTTLING_QUOTA_EXCEEDED,
  ErrorCode.CONCURRENT_TRANSACTIONS,
]);

export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}

export function needsMetadataRefresh(code: number): boolean {
  return REFRESH.has(code);
}

/** What a user can do about an error, for the CLI's messages. */
const HINTS: Partial<Record<number, string>> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'check the topic name (samsa topic list) or create it (samsa topic create)',
  [ErrorCode.TOPIC_ALREADY_EXISTS]: 'pick another name, or pass --if-not-exists',
  [ErrorCode.INVALID_PARTITIONS]: 'the partition count must be at least 1 and greater than the current count',
  [ErrorCode.INVALID_REPLICATION_FACTOR]: 'the replication factor cannot exceed the number of brokers (samsa cluster info)',
  [ErrorCode.INVALID_CONFIG]: 'check the config key and value (samsa topic describe shows the current ones)',
  [ErrorCode.INVALID_TOPIC_EXCEPTION]: 'topic names use letters, digits, ".", "_" and "-", at most 249 characters',
  [ErrorCode.MESSAGE_TOO_LARGE]: 'raise max.message.bytes on the topic or send smaller records',
  [ErrorCode.NON_EMPTY_GROUP]: 'stop the group\'s consumers first',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'check the group name (samsa group list)',
  [ErrorCode.UNSUPPORTED_VERSION]: 'the broker is older than this client expects',
  [ErrorCode.TOPIC_DELETION_DISABLED]: 'set delete.topic.enable=true on the broker',
  [ErrorCode.POLICY_VIOLATION]: 'the broker\'s policy refused the request',
  [ErrorCode.OFFSET_OUT_OF_RANGE]: 'the offset is outside the log; consume from start or end instead',
  [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE]: 'use another compression codec',
  [ErrorCode.REBALANCE_IN_PROGRESS]: 'the group is rebalancing; retry in a moment',
};

export function errorHint(code: number): string | undefined {
  return HINTS[code];
}

/** An error a broker answered with. */
export class KafkaError extends Error {
  readonly type: string;
  readonly retriable: boolean;
  constructor(
    readonly code: number,
    readonly context?: string,
    serverMessage?: string | null,
  ) {
    const hint = errorHint(code);
    super(`${context ? context + ': ' : ''}${errorName(code)}${serverMessage ? ` (${serverMessage})` : ''}${hint ? ` — ${hint}` : ''}`);
    this.name = 'KafkaError';
    this.type = errorName(code);
    this.retriable = isRetriable(code);
  }
}

/** Network-level failure (cannot connect, connection closed, request timed out). */
export class ConnectionError extends Error {
  constructor(message: string, readonly broker?: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export function throwIfError(code: number, context?: string, message?: string | null): void {
  if (code !== 0) throw new KafkaError(code, context, message);
}
