// FindCoordinator names the leader of the coordinator's partition as the metadata image has it,
// reached on the request's listener; no leader, or a leader without an endpoint: not available.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerContext } from '../../../../src/broker/context.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import type { RequestContext } from '../../../../src/broker/handler.js';
import { findCoordinatorHandler } from '../../../../src/broker/handlers/find-coordinator.js';
import { FindCoordinator } from '../../../../src/protocol/generated/apis/10-find-coordinator.js';
import { decodeMessage, encodeMessage } from '../../../../src/protocol/runtime/index.js';
import { registration, singleNodeImage, testContext, topicImage } from '../context-helpers.js';

const ctx = (apiVersion: number): RequestContext => ({ apiVersion, correlationId: 1, clientId: 'test', connectionId: 1, remoteAddress: '127.0.0.1', listenerName: 'PLAINTEXT' });

test('the leader of the group\'s or transactional id\'s partition, from the image', async () => {
  const offsets = topicImage('__consumer_offsets', 3, 1);
  const txnState = topicImage('__transaction_state', 2, 1);
  const led = (t: typeof offsets, index: number, leader: number) => ({ ...t, partitions: t.partitions.map((p, i) => (i === index ? { ...p, replicas: [leader], isr: [leader], leader } : p)) });
  const base = singleNodeImage(1, [led(offsets, 2, 8), led(txnState, 1, 9)]);
  const image = base.with({ brokers: [...base.brokers.values(), registration(8, 'b8.local', 9098, 'r8')] });
  const broker = testContext({
    nodeId: 1,
    metadata: image,
    groups: { findCoordinator: async () => ErrorCode.NONE, partitionFor: (g: string) => (g === 'elsewhere' ? 2 : 0) } as unknown as BrokerContext['groups'],
    txn: { findCoordinator: async () => ErrorCode.NONE, partitionFor: (id: string) => (id === 'orphan' ? 1 : 0) } as unknown as BrokerContext['txn'],
  });
  const handler = findCoordinatorHandler(broker);
  const ask = async (keyType: number, keys: string[]) => {
    const req = decodeMessage(FindCoordinator.request, encodeMessage(FindCoordinator.request, { ...FindCoordinator.request.defaults(), keyType, coordinatorKeys: keys }, 6), 6);
    const res = decodeMessage(FindCoordinator.response, encodeMessage(FindCoordinator.response, (await handler.handle(req, ctx(6)))!, 6), 6);
    return res.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.host, c.port]);
  };
  assert.deepEqual(await ask(0, ['here', 'elsewhere']), [
    ['here', ErrorCode.NONE, 1, 'broker.local', 9092],
    ['elsewhere', ErrorCode.NONE, 8, 'b8.local', 9098],
  ]);
  // Partition 1 of __transaction_state is led by node 9, which has not registered.
  assert.deepEqual(await ask(1, ['mine', 'orphan']), [
    ['mine', ErrorCode.NONE, 1, 'broker.local', 9092],
    ['orphan', ErrorCode.COORDINATOR_NOT_AVAILABLE, -1, '', -1],
  ]);
});

test('the coordinator\'s own answer (loading, not available) comes first', async () => {
  const broker = testContext({
    nodeId: 1,
    metadata: singleNodeImage(1, [topicImage('__consumer_offsets', 1, 1)]),
    groups: { findCoordinator: async () => ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, partitionFor: () => 0 } as unknown as BrokerContext['groups'],
  });
  const req = decodeMessage(FindCoordinator.request, encodeMessage(FindCoordinator.request, { ...FindCoordinator.request.defaults(), key: 'g', keyType: 0 }, 3), 3);
  const res = (await findCoordinatorHandler(broker).handle(req, ctx(3)))!;
  assert.deepEqual([res.errorCode, res.nodeId], [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, -1]);
});
