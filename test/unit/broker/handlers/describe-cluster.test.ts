// DescribeCluster: this node as the only broker and the controller, authorized operations, and
// the endpoint types a broker listener refuses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { describeClusterHandler } from '../../../../src/broker/handlers/describe-cluster.js';
import { call, harness, type Harness } from './helpers.js';

describe('DescribeCluster', () => {
  let h: Harness;
  before(async () => (h = await harness({ 'node.id': '3' })));
  after(() => rm(h.dir, { recursive: true, force: true }));

  test('this node, as broker; controllers are not described on a broker listener', async () => {
    const handler = describeClusterHandler(h.broker);
    for (const [v, endpointType] of [
      [0, 1],
      [1, 1],
    ] as const) {
      const res = await call(handler, { includeClusterAuthorizedOperations: true, endpointType }, v);
      assert.equal(res.errorCode, ErrorCode.NONE);
      assert.equal(res.clusterId, h.broker.metadata.clusterId);
      assert.equal(res.controllerId, 3);
      assert.equal(res.endpointType, endpointType);
      assert.deepEqual(
        res.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack]),
        [[3, 'samsa.example', 19092, null]],
      );
      // Asked for, with no authorizer: every cluster operation (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
      // DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE), the value Kafka 4.1 reports.
      assert.equal(res.clusterAuthorizedOperations, 8096);
    }
    const omitted = await call(handler, { includeClusterAuthorizedOperations: false, endpointType: 1 }, 1);
    assert.equal(omitted.clusterAuthorizedOperations, -2147483648);
    for (const [endpointType, errorCode] of [
      [2, ErrorCode.MISMATCHED_ENDPOINT_TYPE],
      [5, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE],
    ] as const) {
      const bad = await call(handler, { endpointType }, 1);
      assert.deepEqual([bad.errorCode, bad.endpointType, bad.controllerId, bad.brokers], [errorCode, 1, -1, []]);
    }
  });
});
