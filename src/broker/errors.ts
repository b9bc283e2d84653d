export { ErrorCode, errorName, type ErrorCodeValue } from '../protocol/error-codes.js';
import { errorName } from '../protocol/error-codes.js';

/** An error a handler turns into a Kafka error code for the affected topic or partition. */
export class KafkaError extends Error {
  override readonly name = 'KafkaError';
  constructor(
    public readonly code: number,
    message?: string,
  ) {
    super(message ?? errorName(code));
  }
}
