// FindCoordinator (key 10), v0-6. v0-3 ask for one key (v1+ with a key type); v4+ for a batch
// (coordinatorKeys, KIP-699). Groups (key type 0) are coordinated by this node once
// __consumer_offsets exists (created here on first use); transactions (key type 1) likewise
// once __transaction_state exists.
import { FindCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../../protocol/generated/apis/10-find-coordinator.js';
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

  async function lookup(key: string, keyType: number, listenerName: string): Promise<Answer> {
    if (keyType === GROUP) {
      const code = await broker.groups.findCoordinator(key);
      if (code !== ErrorCode.NONE) return noNode(code);
      const l = broker.advertisedListener(listenerName);
      return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.nodeId, host: l.host, port: l.port };
    }
    if (keyType === TRANSACTION) {
      const code = await broker.txn.findCoordinator(key);
      if (code !== ErrorCode.NONE) return noNode(code);
      const l = broker.advertisedListener(listenerName);
      return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.nodeId, host: l.host, port: l.port };
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
