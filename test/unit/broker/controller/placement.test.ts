// Replica placement: round-robin by broker id without racks (as before racks were known), racks
// alternating with them, so that a partition's replicas sit on different racks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas, rackAlternatedBrokers } from '../../../../src/broker/controller/placement.js';
import { registration } from '../context-helpers.js';

test('without racks: brokers by id, partition p led by the p-th, replicas following round-robin', () => {
  const brokers = [3, 1, 2].map((id) => registration(id));
  assert.deepEqual(rackAlternatedBrokers(brokers), [1, 2, 3]);
  assert.deepEqual(placeReplicas(brokers, 0, 4, 2), [[1, 2], [2, 3], [3, 1], [1, 2]]);
  assert.deepEqual(placeReplicas(brokers, 2, 3, 3), [[3, 1, 2]]);
});

test('with racks: racks alternate, every partition has its replicas on distinct racks and leaders spread', () => {
  const brokers = [registration(1, 'h', 1, 'a'), registration(2, 'h', 1, 'a'), registration(3, 'h', 1, 'b'), registration(4, 'h', 1, 'b'), registration(5, 'h', 1, 'c'), registration(6, 'h', 1, 'c')];
  const rack = new Map(brokers.map((b) => [b.id, b.rack]));
  assert.deepEqual(rackAlternatedBrokers(brokers), [1, 3, 5, 2, 4, 6]);
  const placed = placeReplicas(brokers, 0, 12, 3);
  for (const replicas of placed) {
    assert.equal(new Set(replicas).size, 3);
    assert.equal(new Set(replicas.map((id) => rack.get(id))).size, 3, `replicas ${replicas} on distinct racks`);
  }
  const leaders = new Map<number, number>();
  for (const [leader] of placed) leaders.set(leader!, (leaders.get(leader!) ?? 0) + 1);
  assert.deepEqual([...leaders.values()], [2, 2, 2, 2, 2, 2]);
});
