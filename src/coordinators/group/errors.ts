/** The Kafka error codes the group coordinator answers with: the protocol's own table. */
export { ErrorCode as GroupErrors } from '../../protocol/error-codes.js';

/** A request the coordinator cannot serve as a whole: the partition is loading, not here, or the coordinator is stopping. */
export class CoordinatorError extends Error {
  override readonly name = 'CoordinatorError';
  constructor(
    readonly code: number,
    message?: string,
  ) {
    super(message ?? `coordinator error ${code}`);
  }
}
