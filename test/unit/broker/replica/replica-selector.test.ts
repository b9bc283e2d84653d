import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig, ConfigError } from '../../../../src/broker/config.js';
import {
  RACK_AWARE_REPLICA_SELECTOR,
  selectPreferredReadReplica,
  type ReplicaView,
} from '../../../../src/broker/replica/replica-selector.js';

const replica = (brokerId: number, rack: string | null, over: Partial<ReplicaView> = {}): ReplicaView => ({
  brokerId, rack, logStartOffset: 0n, logEndOffset: 10n, lastCaughtUpTimeMs: 1000, inSync: true, alive: true, ...over,
});
const racks = [replica(1, 'a'), replica(2, 'b'), replica(3, 'c')];

test('replica.selector.class: unset by default, Kafka\'s RackAwareReplicaSelector accepted, other classes refused', () => {
  assert.equal(new BrokerConfig(new Map()).get('replica.selector.class'), null);
  assert.equal(new BrokerConfig(new Map([['replica.selector.class', RACK_AWARE_REPLICA_SELECTOR]])).get('replica.selector.class'), RACK_AWARE_REPLICA_SELECTOR);
  assert.throws(
    () => new BrokerConfig(new Map([['replica.selector.class', 'com.example.MySelector']])),
    (e: unknown) => e instanceof ConfigError && /replica\.selector\.class/.test(e.message),
  );
});

test('leader-only without a selector or without a client rack', () => {
  assert.equal(selectPreferredReadReplica(null, 'b', 1, 5n, racks), -1);
  assert.equal(selectPreferredReadReplica(RACK_AWARE_REPLICA_SELECTOR, '', 1, 5n, racks), -1);
});

test('the in-sync replica in the client\'s rack is preferred; the leader wins in its own rack', () => {
  assert.equal(selectPreferredReadReplica(RACK_AWARE_REPLICA_SELECTOR, 'b', 1, 5n, racks), 2);
  assert.equal(selectPreferredReadReplica(RACK_AWARE_REPLICA_SELECTOR, 'a', 1, 5n, racks), -1);
  assert.equal(selectPreferredReadReplica(RACK_AWARE_REPLICA_SELECTOR, 'z', 1, 5n, racks), -1);
});

test('out-of-sync, dead, or not holding the fetch offset: back to the leader', () => {
  const sel = (r: Partial<ReplicaView>, offset = 5n) =>
    selectPreferredReadReplica(RACK_AWARE_REPLICA_SELECTOR, 'b', 1, offset, [racks[0]!, replica(2, 'b', r), racks[2]!]);
  assert.equal(sel({ inSync: false }), -1);
  assert.equal(sel({ alive: false }), -1);
  assert.equal(sel({ logEndOffset: 4n }), -1);
  assert.equal(sel({ logStartOffset: 6n }), -1);
});

test('among several in the rack, the most caught-up one', () => {
  const reps = [replica(1, 'a'), replica(2, 'b', { logEndOffset: 8n }), replica(3, 'b', { logEndOffset: 9n }), replica(4, 'b', { logEndOffset: 9n, lastCaughtUpTimeMs: 2000 })];
  assert.equal(selectPreferredReadReplica(RACK_AWARE_REPLICA_SELECTOR, 'b', 1, 5n, reps), 4);
});
