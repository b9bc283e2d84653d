// Transaction markers routed by the image: written here for partitions led here, sent to the
// leader of the others, routed again after a retriable answer, refused for good otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/broker/errors.js';
import { MARKER_RETRY_BACKOFF_MS, MarkerError, routeTxnMarkers, type MarkerRouting } from '../../../src/broker/txn-marker-channel.js';
import type { TopicPartition } from '../../../src/coordinators/transaction/coordinator.js';
import { createLogger } from '../../../src/util/logger.js';

const marker = { producerId: 7n, producerEpoch: 1, commit: true, coordinatorEpoch: 3 };
const tp = (topic: string, partition: number): TopicPartition => ({ topic, partition });
const name = (t: TopicPartition) => `${t.topic}-${t.partition}`;

/** Virtual time: a sleep moves the clock; `answers` script each destination's codes round by round. */
function routing(leaders: Map<string, number | undefined>, answers: (broker: number, t: TopicPartition, round: number) => number) {
  let now = 0;
  let stopped = false;
  const log: string[] = [];
  const rounds = new Map<string, number>();
  const answer = (broker: number, t: TopicPartition) => {
    const round = rounds.get(name(t)) ?? 0;
    rounds.set(name(t), round + 1);
    return answers(broker, t, round);
  };
  const r: MarkerRouting = {
    leaderOf: (t) => leaders.get(name(t)),
    localBrokerId: 1,
    writeLocal: (_m, t) => {
      log.push(`local ${name(t)}`);
      return Promise.resolve(answer(1, t));
    },
    send: (broker, m, tps) => {
      assert.deepEqual(m, marker);
      log.push(`send ${broker} ${tps.map(name).join(',')}`);
      return Promise.resolve(tps.map((t) => answer(broker, t)));
    },
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    now: () => now,
    stopped: () => stopped,
    logger: createLogger('silent'),
  };
  return { r, log, now: () => now, stop: () => (stopped = true) };
}

test('each partition is written where it is led: here locally, elsewhere one request per leader', async () => {
  const leaders = new Map([['a-0', 1], ['a-1', 2], ['b-0', 2], ['b-1', 3]]);
  const { r, log } = routing(leaders, () => ErrorCode.NONE);
  assert.equal(await routeTxnMarkers(r, marker, [tp('a', 0), tp('a', 1), tp('b', 0), tp('b', 1)]), ErrorCode.NONE);
  assert.deepEqual(log.sort(), ['local a-0', 'send 2 a-1,b-0', 'send 3 b-1']);
});

test('NOT_LEADER_OR_FOLLOWER: routed again by the image of the next round, after a backoff', async () => {
  const leaders = new Map<string, number | undefined>([['a-0', 2]]);
  const { r, log, now } = routing(leaders, (broker) => {
    // The leader moved: the image says so by the time the answer arrives.
    if (broker === 2) leaders.set('a-0', 3);
    return broker === 2 ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE;
  });
  assert.equal(await routeTxnMarkers(r, marker, [tp('a', 0)]), ErrorCode.NONE);
  assert.deepEqual(log, ['send 2 a-0', 'send 3 a-0']);
  assert.equal(now(), MARKER_RETRY_BACKOFF_MS);
});

test('a lost connection and a partition without a leader are retried; a deleted partition is skipped', async () => {
  const leaders = new Map<string, number | undefined>([['a-0', -1], ['a-1', 2], ['gone-0', undefined]]);
  const { r, log } = routing(leaders, () => ErrorCode.NONE);
  let failures = 1;
  const send = r.send;
  r.send = (broker, m, tps) => (failures-- > 0 ? Promise.reject(new Error('connection closed')) : send(broker, m, tps));
  const sleep = r.sleep;
  r.sleep = (ms) => {
    leaders.set('a-0', 1);
    return sleep(ms);
  };
  assert.equal(await routeTxnMarkers(r, marker, [tp('a', 0), tp('a', 1), tp('gone', 0)]), ErrorCode.NONE);
  assert.deepEqual(log, ['local a-0', 'send 2 a-1']);
});

test('retried until the deadline, then the last retriable error is the answer', async () => {
  const { r, log, now } = routing(new Map([['a-0', 2]]), () => ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(await routeTxnMarkers(r, marker, [tp('a', 0)], 1_000), ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal(now(), 1_000);
  assert.equal(log.length, 1_000 / MARKER_RETRY_BACKOFF_MS + 1);
});

test('a stopping coordinator retries nothing more', async () => {
  const h = routing(new Map([['a-0', 2]]), () => ErrorCode.NOT_LEADER_OR_FOLLOWER);
  h.stop();
  assert.equal(await routeTxnMarkers(h.r, marker, [tp('a', 0)]), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.equal(h.log.length, 1);
});

test('a fenced producer or coordinator, or a local storage failure, is refused at once', async () => {
  for (const [leader, code] of [
    [2, ErrorCode.INVALID_PRODUCER_EPOCH],
    [2, ErrorCode.TRANSACTION_COORDINATOR_FENCED],
    [1, ErrorCode.KAFKA_STORAGE_ERROR],
  ] as const) {
    const { r, log } = routing(new Map([['a-0', leader]]), () => code);
    await assert.rejects(routeTxnMarkers(r, marker, [tp('a', 0)]), (e: unknown) => e instanceof MarkerError && e.code === code);
    assert.equal(log.length, 1);
  }
});
