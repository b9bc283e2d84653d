// FindCoordinator (key 10), v0-6. v0-3 ask for one key (v1+ with a key type); v4+ for a batch
// (coordinatorKeys, KIP-699). A group (key type 0) is coordinated by the leader of its
// __consumer_offsets partition (the topic is created here on first use), a transactional id
// (key type 1) by the leader of its __transaction_state partition, as the metadata image has
// them; the coordinator answers first whether it can serve the key (loading, not available).
import { FindCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../protocol/generated/apis/10-find-coordinator.js';
import { OFFSETS_TOPIC } from '../../coordinators/group/index.js';
import { TRANSACTION_STATE_TOPIC } from '../../coordinators/transaction/coordinator.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode, errorName } from '../errors.js';
import type { ApiHandler } from '../handler.js';

const GROUP = 0;
const TRANSACTION = 1;

interface Answer {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function findCoordinatorHandler(broker: BrokerContext): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
  const noNode = (errorCode: number, errorMessage: string | null = errorName(errorCode)): Answer => ({ errorCode, errorMessage, nodeId: -1, host: '', port: -1 });

  /** The leader of the coordinator's partition, where clients reach it on this listener. */
  function leaderOf(topic: string, partition: number, listenerName: string): Answer {
    const image = broker.metadata;
    const leader = image.partition(topic, partition)?.leader ?? -1;
    const e = image.endpoint(leader, listenerName);
    if (!e) return noNode(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: leader, host: e.host, port: e.port };
  }

  async function lookup(key: string, keyType: number, listenerName: string): Promise<Answer> {
    if (keyType === GROUP) {
      const code = await broker.groups.findCoordinator(key);
      return code !== ErrorCode.NONE ? noNode(code) : leaderOf(OFFSETS_TOPIC, broker.groups.partitionFor(key), listenerName);
    }
    if (keyType === TRANSACTION) {
      const code = await broker.txn.findCoordinator(key);
      return code !== ErrorCode.NONE ? noNode(code) : leaderOf(TRANSACTION_STATE_TOPIC, broker.txn.partitionFor(key), listenerName);
    }
    return noNode(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}`);
  }

  return {
    api: FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      if (v < 4) {
        const a = await lookup(req.key, v >= 1 ? req.keyType : GROUP, ctx.listenerName);
        return { throttleTimeMs: 0, ...a, coordinators: [] };
      }
      const coordinators = await Promise.all(req.coordinatorKeys.map(async (key) => ({ key, ...(await lookup(key, req.keyType, ctx.listenerName)) })));
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators };
    },
  };
}
