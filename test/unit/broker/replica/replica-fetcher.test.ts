// Where a follower truncates on a diverging epoch (KIP-320): the end of that epoch on the leader,
// or earlier where its own log has that epoch end sooner, never past its own log end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncationOffset } from '../../../../src/broker/replica/replica-fetcher.js';
import { MockTime } from '../../../../src/util/time.js';
import { appendClient, newPartition } from './helpers.js';

test("truncationOffset: the leader's end of the diverging epoch, bounded by the follower's own end of it", async () => {
  const time = new MockTime();
  const p = await newPartition(time);
  await appendClient(p, { records: 3 }); // epoch 0: offsets 0-2
  p.makeLeader({ leaderEpoch: 2, partitionEpoch: 1, replicas: [1, 2], isr: [1] });
  await appendClient(p, { records: 2 }); // epoch 2: offsets 3-4
  p.makeFollower({ leader: 2, leaderEpoch: 3, partitionEpoch: 2, replicas: [1, 2], isr: [2] });
  assert.equal(truncationOffset(p, 2, 4n), 4n, "the leader's epoch 2 ended at 4");
  assert.equal(truncationOffset(p, 0, 5n), 3n, 'here epoch 0 ends at 3, before the leader says');
  assert.equal(truncationOffset(p, 2, 9n), 5n, 'never past the local log end');
  assert.equal(truncationOffset(p, 1, 3n), 3n, 'an epoch this log never had ends where the leader says');
});
