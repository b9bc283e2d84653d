import { StorageError } from '../storage/index.js';
import { ErrorCode, KafkaError } from './errors.js';

/** The Kafka error code for a failure from the layers below; UNKNOWN_SERVER_ERROR for bugs. */
export function toErrorCode(e: unknown): number {
  if (e instanceof StorageError) return e.errorCode;
  if (e instanceof KafkaError) return e.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
