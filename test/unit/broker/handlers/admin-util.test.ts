// The replica assignment checks CreateTopics and CreatePartitions share: registered brokers only,
// each once, partitions numbered 0..n-1, no counts next to assignments.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiError } from '../../../../src/broker/admin-configs.js';
import { ErrorCode } from '../../../../src/broker/errors.js';
import { checkCreateAssignments, checkManualAssignment } from '../../../../src/broker/handlers/admin-util.js';

describe('manual replica assignments', () => {
  const ONLY_1 = new Set([1]);
  test('only registered brokers, once, consistently', () => {
    assert.equal(checkManualAssignment([1], ONLY_1), undefined);
    assert.equal(checkManualAssignment([1, 1], ONLY_1)?.message, 'The manual partition assignment includes broker 1 more than once.');
    assert.equal(checkManualAssignment([2], ONLY_1)?.message, 'The manual partition assignment includes broker 2, but no such broker is registered.');
    assert.equal(checkManualAssignment([], ONLY_1)?.message, 'The manual partition assignment includes an empty replica list.');
    assert.equal(checkManualAssignment([1], ONLY_1, 2)?.code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });

  test('CreateTopics derives partitions and replication factor', () => {
    const t = (numPartitions: number, replicationFactor: number, ...lists: [number, number[]][]) => ({
      numPartitions,
      replicationFactor,
      assignments: lists.map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds })),
    });
    assert.deepEqual(checkCreateAssignments(t(-1, -1, [1, [1]], [0, [1]]), ONLY_1), { partitions: 2, replicationFactor: 1 });
    // Kafka's ReplicationControlManager: INVALID_REQUEST when counts come with assignments.
    assert.equal((checkCreateAssignments(t(2, -1, [0, [1]]), ONLY_1) as ApiError).code, ErrorCode.INVALID_REQUEST);
    assert.equal((checkCreateAssignments(t(-1, 1, [0, [1]]), ONLY_1) as ApiError).code, ErrorCode.INVALID_REQUEST);
    assert.equal((checkCreateAssignments(t(-1, -1, [0, [1]], [2, [1]]), ONLY_1) as ApiError).message, 'partitions should be a consecutive 0-based integer sequence');
    assert.equal((checkCreateAssignments(t(-1, -1, [0, [1]], [0, [1]]), ONLY_1) as ApiError).message, 'Found multiple manual partition assignments for partition 0');
    assert.equal((checkCreateAssignments(t(-1, -1, [0, [3]]), ONLY_1) as ApiError).code, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });
});
