/** The Kafka error codes the group coordinator answers with: the protocol's own table. */
export { ErrorCode as GroupErrors } from '../../protocol/error-codes.js';
export { CoordinatorError } from '../runtime/errors.js';
