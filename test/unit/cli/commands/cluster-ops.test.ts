// `samsa cluster status`'s classification: offline (no leader) before under min ISR before
// under-replicated, each partition once, healthy ones left out; min.insync.replicas per topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unhealthyPartitions } from '../../../../src/cli/commands/cluster-ops.js';

const part = (partition: number, leader: number, replicas: number[], isr: number[]) => ({ partition, leader, leaderEpoch: 0, replicas, isr, offlineReplicas: [], errorCode: 0 });
const topic = (name: string, partitions: ReturnType<typeof part>[]) => ({ name, topicId: 'x', isInternal: false, errorCode: 0, partitions });

test('offline, under min ISR and under-replicated partitions, worst first; healthy ones left out', () => {
  const topics = [
    topic('a', [part(0, 1, [1, 2, 3], [1, 2, 3]), part(1, 2, [2, 3, 1], [2, 3]), part(2, -1, [3, 1, 2], [3])]),
    topic('b', [part(0, 1, [1, 2, 3], [1])]),
  ];
  const bad = unhealthyPartitions(topics, new Map([['b', 2]]));
  assert.deepEqual(bad.map((p) => [p.topic, p.partition, p.state, p.minIsr]), [
    ['a', 2, 'offline', 1],
    ['b', 0, 'under-min-isr', 2],
    ['a', 1, 'under-replicated', 1],
  ]);
  assert.deepEqual(unhealthyPartitions([topic('c', [part(0, 1, [1], [1])])], new Map()), []);
});
