import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { murmur2, partitionForKey } from '../../../src/client/partitioner.js';
import { CooperativeStickyAssignor, RangeAssignor, type AssignorMember } from '../../../src/client/assignors.js';
import { parseHostPort } from '../../../src/client/connection.js';

const require = createRequire(import.meta.url);

test('murmur2 matches Kafka Utils test vectors', () => {
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [s, h] of cases) assert.equal(murmur2(Buffer.from(s)), h, s);
});

test('keyed partitions agree with KafkaJS DefaultPartitioner', () => {
  const partitioner = require('kafkajs/src/producer/partitioners/default/index.js')();
  for (let i = 0; i < 500; i++) {
    const key = Buffer.from(`key-${i}-${'x'.repeat(i % 7)}`);
    for (const n of [1, 3, 7, 12]) {
      const theirs = partitioner({ topic: 't', partitionMetadata: Array.from({ length: n }, (_, p) => ({ partitionId: p, leader: 0 })), message: { key } });
      assert.equal(partitionForKey(key, n), theirs);
    }
  }
});

test('range assignor: consecutive ranges, first members get the extra', () => {
  const members: AssignorMember[] = ['b', 'a', 'c'].map((memberId) => ({ memberId, topics: ['t'], owned: [], generation: -1 }));
  const a = RangeAssignor.assign(members, new Map([['t', 7]]));
  assert.deepEqual(a.get('a')!.get('t'), [0, 1, 2]);
  assert.deepEqual(a.get('b')!.get('t'), [3, 4]);
  assert.deepEqual(a.get('c')!.get('t'), [5, 6]);
});

test('cooperative-sticky: keeps owned partitions, defers moves until revoked', () => {
  const counts = new Map([['t', 4]]);
  // m1 owned everything; m2 joins: m1 keeps 2, the 2 others are withheld this round.
  const first = CooperativeStickyAssignor.assign(
    [
      { memberId: 'm1', topics: ['t'], owned: [0, 1, 2, 3].map((partition) => ({ topic: 't', partition })), generation: 1 },
      { memberId: 'm2', topics: ['t'], owned: [], generation: -1 },
    ],
    counts,
  );
  assert.deepEqual(first.get('m1')!.get('t'), [0, 1]);
  assert.equal(first.get('m2')!.get('t'), undefined);
  // After m1 revoked 2 and 3: m2 gets them.
  const second = CooperativeStickyAssignor.assign(
    [
      { memberId: 'm1', topics: ['t'], owned: [0, 1].map((partition) => ({ topic: 't', partition })), generation: 2 },
      { memberId: 'm2', topics: ['t'], owned: [], generation: 2 },
    ],
    counts,
  );
  assert.deepEqual(second.get('m1')!.get('t'), [0, 1]);
  assert.deepEqual(second.get('m2')!.get('t'), [2, 3]);
});

test('parseHostPort', () => {
  assert.deepEqual(parseHostPort('localhost:9093'), { host: 'localhost', port: 9093 });
  assert.deepEqual(parseHostPort('kafka'), { host: 'kafka', port: 9092 });
  assert.deepEqual(parseHostPort('[::1]:9000'), { host: '::1', port: 9000 });
});
