// `__consumer_offsets` records byte for byte in Kafka's formats (keys v1/v2, values v1/v3, older
// versions read), and the group → partition mapping of Kafka's GroupCoordinatorService.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRecord, encodeRecord, javaStringHashCode, javaUtilsAbs, partitionForGroup } from '../../../../src/coordinators/group/index.js';

/** Kafka's STRING: int16 length + UTF-8. */
const str = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
};
const nullStr = Buffer.from([0xff, 0xff]);
const i16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const bytes = (b: Buffer) => Buffer.concat([i32(b.length), b]);

describe('__consumer_offsets records', () => {
  test('offset commit: key v1 (group, topic, partition), value v3 (offset, leader epoch, metadata, commit time)', () => {
    const { key, value } = encodeRecord({
      type: 'offset',
      group: 'g1',
      topic: 'orders',
      partition: 7,
      value: { offset: 1234n, leaderEpoch: 5, metadata: 'meta', commitTimestamp: 1_700_000_000_000n, expireTimestamp: -1n },
    });
    assert.deepEqual(key, Buffer.concat([i16(1), str('g1'), str('orders'), i32(7)]));
    assert.deepEqual(value, Buffer.concat([i16(3), i64(1234n), i32(5), str('meta'), i64(1_700_000_000_000n)]));
    assert.deepEqual(decodeRecord(key, value), {
      type: 'offset',
      group: 'g1',
      topic: 'orders',
      partition: 7,
      value: { offset: 1234n, leaderEpoch: 5, metadata: 'meta', commitTimestamp: 1_700_000_000_000n, expireTimestamp: -1n, _unknownTaggedFields: undefined },
    });
  });

  test('an explicit expire timestamp (OffsetCommit v2-4) needs value v1; a tombstone has a null value', () => {
    const { value } = encodeRecord({ type: 'offset', group: 'g', topic: 't', partition: 0, value: { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10n, expireTimestamp: 20n } });
    assert.deepEqual(value, Buffer.concat([i16(1), i64(1n), str(''), i64(10n), i64(20n)]));
    const tomb = encodeRecord({ type: 'offset', group: 'g', topic: 't', partition: 0, value: null });
    assert.equal(tomb.value, null);
    assert.deepEqual(decodeRecord(tomb.key, null), { type: 'offset', group: 'g', topic: 't', partition: 0, value: null });
  });

  test('records written by older Kafka versions are read: key v0, value v0', () => {
    const key = Buffer.concat([i16(0), str('old'), str('t'), i32(2)]);
    const value = Buffer.concat([i16(0), i64(99n), str('m'), i64(5n)]);
    const r = decodeRecord(key, value);
    assert.equal(r?.type, 'offset');
    assert.equal(r?.type === 'offset' && r.value!.offset, 99n);
    assert.equal(r?.type === 'offset' && r.value!.leaderEpoch, -1);
  });

  test('group metadata: key v2, value v3 with members, subscriptions and assignments', () => {
    const member = {
      memberId: 'client-1-uuid',
      groupInstanceId: 'instance-1',
      clientId: 'client-1',
      clientHost: '/127.0.0.1',
      rebalanceTimeout: 300_000,
      sessionTimeout: 45_000,
      subscription: Buffer.from([0, 0, 1, 2]),
      assignment: Buffer.from([9, 9]),
    };
    const { key, value } = encodeRecord({
      type: 'group',
      group: 'grp',
      value: { protocolType: 'consumer', generation: 3, protocol: 'range', leader: 'client-1-uuid', currentStateTimestamp: 77n, members: [member] },
    });
    assert.deepEqual(key, Buffer.concat([i16(2), str('grp')]));
    assert.deepEqual(
      value,
      Buffer.concat([
        i16(3),
        str('consumer'),
        i32(3),
        str('range'),
        str('client-1-uuid'),
        i64(77n),
        i32(1),
        str('client-1-uuid'),
        str('instance-1'),
        str('client-1'),
        str('/127.0.0.1'),
        i32(300_000),
        i32(45_000),
        bytes(member.subscription),
        bytes(member.assignment),
      ]),
    );
    const back = decodeRecord(key, value);
    assert.equal(back?.type, 'group');
    assert.deepEqual(back?.type === 'group' && back.value!.members[0]!.assignment, Buffer.from([9, 9]));
  });

  test('an empty group (no protocol, no leader) and a group tombstone', () => {
    const { value } = encodeRecord({ type: 'group', group: 'e', value: { protocolType: 'consumer', generation: 4, protocol: null, leader: null, currentStateTimestamp: 1n, members: [] } });
    assert.deepEqual(value, Buffer.concat([i16(3), str('consumer'), i32(4), nullStr, nullStr, i64(1n), i32(0)]));
    const t = encodeRecord({ type: 'group', group: 'e', value: null });
    assert.deepEqual(decodeRecord(t.key, null), { type: 'group', group: 'e', value: null });
  });

  test('group metadata value v0 (no rebalance timeout, no state timestamp) is read', () => {
    const value = Buffer.concat([i16(0), str('consumer'), i32(1), str('range'), str('m1'), i32(1), str('m1'), str('c'), str('/h'), i32(10_000), bytes(Buffer.alloc(0)), bytes(Buffer.from([1]))]);
    const r = decodeRecord(Buffer.concat([i16(2), str('g')]), value);
    assert.equal(r?.type === 'group' && r.value!.members[0]!.rebalanceTimeout, -1);
    assert.equal(r?.type === 'group' && r.value!.currentStateTimestamp, -1n);
  });

  test('records of newer group protocols (key version 3 and up) are skipped', () => {
    assert.equal(decodeRecord(Buffer.concat([i16(3), str('g')]), Buffer.alloc(4)), undefined);
    assert.equal(decodeRecord(Buffer.concat([i16(11), str('g')]), null), undefined);
  });
});

describe('group → partition', () => {
  test('Java String.hashCode', () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(javaStringHashCode('日本'), 0x65e5 * 31 + 0x672c);
  });

  test('Utils.abs(hashCode) % partitions: Math.abs, with Integer.MIN_VALUE → 0 (not the x & 0x7fffffff mask)', () => {
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
    assert.equal(javaUtilsAbs(-2147483648), 0);
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    // A negative hash: |h| % n, where the mask would give a different partition.
    const g = 'my-consumer-group-1';
    const h = javaStringHashCode(g);
    assert.ok(h < 0, `${g} hashes to ${h}`);
    assert.equal(partitionForGroup(g, 50), -h % 50);
    assert.notEqual(partitionForGroup(g, 50), (h & 0x7fffffff) % 50);
  });
});
