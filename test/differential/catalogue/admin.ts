// The topic admin APIs: CreateTopics, DeleteTopics, CreatePartitions and DescribeCluster, at
// every version both brokers serve, with the edge cases clients hit (defaults, assignments,
// validateOnly, invalid names and configs, collisions, duplicates, unknown topics and ids), and
// the admin versions Kafka 4 removed. Configs: admin-configs.ts.
import { AlterConfigs, AlterPartitionReassignments, CreatePartitions, CreateTopics, DeleteTopics, DescribeCluster, DescribeConfigs, ElectLeaders, IncrementalAlterConfigs, ListPartitionReassignments, Metadata, type CreateTopicsRequest } from '../../../src/protocol/generated/index.js';
import { encodeRequest, type AllowEntry, type Session, type SessionPeer } from '../harness.js';
import { BROKER, TOPIC, describe, describeTopic, latest } from './admin-util.js';
import { createTopic, topicId, waitForCoordinator, waitForTopic } from './util.js';

const NO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

type Creatable = CreateTopicsRequest.CreatableTopic;

function topic(name: string, numPartitions: number, replicationFactor: number, configs: Record<string, string | null> = {}, assignments: number[][] = []): Creatable {
  return {
    name,
    numPartitions,
    replicationFactor,
    assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
  };
}

const create = (peer: SessionPeer, v: number, topics: Creatable[], label: string, validateOnly = false) =>
  peer.call(CreateTopics, v, { topics, timeoutMs: 30_000, validateOnly }, { label: `${label} v${v}` });

/** Metadata of one topic, after waiting for it to show `partitions` partitions (not recorded). */
async function partitionsOf(peer: SessionPeer, name: string, partitions: number, label: string): Promise<void> {
  await waitForTopic(peer, name, partitions);
  await peer.call(
    Metadata,
    9,
    { topics: [{ topicId: NO_ID, name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
    { label, view: (res) => res.topics.map((t: any) => ({ name: t.name, errorCode: t.errorCode, partitions: t.partitions.map((p: any) => p.partitionIndex).sort((a: number, b: number) => a - b) })) },
  );
}

/** DeleteTopics results sorted by name (null first). */
const byName = (res: any) => ({ ...res, responses: [...res.responses].sort((a: any, b: any) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0)) });

export const sessions: Session[] = [
  {
    name: 'adm-create-versions',
    async run(peer) {
      for (const v of peer.versions(CreateTopics)) {
        const p = `adm-create-versions-v${v}`;
        await create(peer, v, [topic(`${p}-plain`, 2, 1)], 'CreateTopics plain');
        await create(peer, v, [topic(`${p}-configs`, 1, 1, { 'cleanup.policy': 'compact', 'retention.ms': '3600000', 'max.message.bytes': '200000' })], 'CreateTopics with configs');
        await create(peer, v, [topic(`${p}-assigned`, -1, -1, {}, [[1], [1], [1]])], 'CreateTopics with assignments');
        if (v >= 4) await create(peer, v, [topic(`${p}-defaults`, -1, -1)], 'CreateTopics defaults');
        if (v >= 1) {
          await create(peer, v, [topic(`${p}-validate`, 4, 1, { 'segment.bytes': '1048576' })], 'CreateTopics validateOnly', true);
          await create(peer, v, [topic(`${p}-validate`, -1, -1, {}, [[1], [1]])], 'CreateTopics validateOnly with assignments', true);
        }
        // Several topics in one request, one of them failing.
        await create(peer, v, [topic(`${p}-multi-a`, 1, 1), topic(`${p}-multi-b`, 2, 1), topic(`${p}-plain`, 1, 1)], 'CreateTopics several');
      }
      for (const v of peer.versions(CreateTopics)) {
        const p = `adm-create-versions-v${v}`;
        await partitionsOf(peer, `${p}-assigned`, 3, `Metadata assigned v${v}`);
        if (v >= 1) await peer.call(Metadata, 9, { topics: [{ topicId: NO_ID, name: `${p}-validate` }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, { label: `Metadata validateOnly not created v${v}` });
        await waitForTopic(peer, `${p}-configs`);
        await describeTopic(peer, `${p}-configs`, ['cleanup.policy', 'retention.ms', 'max.message.bytes', 'segment.bytes'], `DescribeConfigs created with configs v${v}`);
      }
    },
  },
  {
    name: 'adm-create-errors',
    async run(peer) {
      const p = 'adm-create-errors';
      await createTopic(peer, `${p}.dot`);
      for (const v of peer.versions(CreateTopics)) {
        await create(peer, v, [topic(`${p}.dot`, 1, 1)], 'CreateTopics existing');
        await create(peer, v, [topic('', 1, 1), topic('.', 1, 1), topic('..', 1, 1), topic('bad name!', 1, 1), topic('a'.repeat(250), 1, 1), topic('ünïcode', 1, 1)], 'CreateTopics invalid names');
        await create(peer, v, [topic(`${p}_dot`, 1, 1)], 'CreateTopics colliding name');
        await create(peer, v, [topic(`${p}-rf2-v${v}`, 1, 2)], 'CreateTopics replication factor 2');
        await create(peer, v, [topic(`${p}-rf0-v${v}`, 1, 0), topic(`${p}-rfneg-v${v}`, 1, -2)], 'CreateTopics replication factor 0 and -2');
        await create(peer, v, [topic(`${p}-p0-v${v}`, 0, 1), topic(`${p}-pneg-v${v}`, -2, 1)], 'CreateTopics partitions 0 and -2');
        if (v < 4) await create(peer, v, [topic(`${p}-pdef-v${v}`, -1, 1), topic(`${p}-rdef-v${v}`, 1, -1)], 'CreateTopics defaults before v4');
        await create(peer, v, [topic(`${p}-cfgname-v${v}`, 1, 1, { 'no.such.config': 'x' })], 'CreateTopics unknown config');
        await create(peer, v, [topic(`${p}-cfgval-v${v}`, 1, 1, { 'retention.ms': 'soon' })], 'CreateTopics invalid config value');
        await create(peer, v, [topic(`${p}-cfgpolicy-v${v}`, 1, 1, { 'cleanup.policy': 'forever' })], 'CreateTopics invalid cleanup.policy');
        await create(peer, v, [topic(`${p}-cfgnull-v${v}`, 1, 1, { 'retention.ms': null })], 'CreateTopics null config value');
        await create(peer, v, [topic(`${p}-dup-v${v}`, 1, 1), topic(`${p}-dup-v${v}`, 2, 1)], 'CreateTopics duplicate names');
        await create(peer, v, [topic(`${p}-asg-count-v${v}`, 2, -1, {}, [[1]]), topic(`${p}-asg-rf-v${v}`, -1, 1, {}, [[1]])], 'CreateTopics assignments with counts');
        await create(peer, v, [topic(`${p}-asg-broker-v${v}`, -1, -1, {}, [[2]]), topic(`${p}-asg-twice-v${v}`, -1, -1, {}, [[1, 1]]), topic(`${p}-asg-empty-v${v}`, -1, -1, {}, [[]])], 'CreateTopics bad assignments');
        await create(
          peer,
          v,
          [{ ...topic(`${p}-asg-gap-v${v}`, -1, -1), assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [1] }] }, { ...topic(`${p}-asg-same-v${v}`, -1, -1), assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] }],
          'CreateTopics assignments not 0..n-1',
        );
        if (v >= 1) await create(peer, v, [topic(`${p}.dot`, 1, 1), topic(`${p}-vo-rf2-v${v}`, 1, 2), topic(`${p}-vo-cfg-v${v}`, 1, 1, { 'no.such.config': 'x' })], 'CreateTopics validateOnly errors', true);
      }
      // Two new names that collide with each other in one request.
      await create(peer, latest(peer, CreateTopics), [topic(`${p}-pair.x`, 1, 1), topic(`${p}-pair_x`, 1, 1)], 'CreateTopics colliding in one request');
      // An empty cleanup.policy (Kafka 4.1 accepts it, deprecated); configs Kafka 4.0 removed.
      await create(peer, latest(peer, CreateTopics), [topic(`${p}-no-policy`, 1, 1, { 'cleanup.policy': '' })], 'CreateTopics empty cleanup.policy', true);
      const v = latest(peer, CreateTopics);
      await peer.call(
        CreateTopics,
        v,
        { topics: [topic(`${p}-old-format`, 1, 1, { 'message.format.version': '2.8' }), topic(`${p}-old-downconversion`, 1, 1, { 'message.downconversion.enable': 'false' })], timeoutMs: 30_000, validateOnly: true },
        { label: `CreateTopics configs removed in Kafka 4 v${v}`, view: (res) => res.topics.map((t: any) => ({ name: t.name, errorCode: t.errorCode })) },
      );
    },
  },
  {
    name: 'adm-delete',
    async run(peer) {
      const p = 'adm-delete';
      for (const v of peer.versions(DeleteTopics)) await createTopic(peer, `${p}-v${v}`);
      await createTopic(peer, `${p}-by-id`);
      await createTopic(peer, `${p}-both`);
      await createTopic(peer, `${p}-dup`);
      const byId = await topicId(peer, `${p}-by-id`);
      const both = await topicId(peer, `${p}-both`);
      for (const v of peer.versions(DeleteTopics)) {
        const names = [`${p}-v${v}`, `${p}-unknown`];
        const body = v >= 6 ? { topics: names.map((name) => ({ name, topicId: NO_ID })), topicNames: [], timeoutMs: 30_000 } : { topics: [], topicNames: names, timeoutMs: 30_000 };
        await peer.call(DeleteTopics, v, body, { label: `DeleteTopics by name v${v}` });
        await peer.call(DeleteTopics, v, v >= 6 ? { topics: [{ name: '', topicId: NO_ID }, { name: 'bad name!', topicId: NO_ID }], topicNames: [], timeoutMs: 30_000 } : { topics: [], topicNames: ['', 'bad name!'], timeoutMs: 30_000 }, { label: `DeleteTopics invalid names v${v}` });
      }
      const v6 = peer.versions(DeleteTopics).filter((v) => v >= 6);
      for (const v of v6) {
        // Kafka answers in any order: sorted by name, so that symbolic ids are numbered alike.
        await peer.call(DeleteTopics, v, { topics: [{ name: null, topicId: byId }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], topicNames: [], timeoutMs: 30_000 }, { label: `DeleteTopics by id v${v}`, view: byName });
        await peer.call(DeleteTopics, v, { topics: [{ name: `${p}-both`, topicId: both }, { name: null, topicId: NO_ID }], topicNames: [], timeoutMs: 30_000 }, { label: `DeleteTopics name and id, neither v${v}`, view: byName });
        await peer.call(DeleteTopics, v, { topics: [{ name: `${p}-both`, topicId: NO_ID }, { name: null, topicId: both }], topicNames: [], timeoutMs: 30_000 }, { label: `DeleteTopics one topic by name and by id v${v}`, view: byName });
        await peer.call(DeleteTopics, v, { topics: [{ name: `${p}-dup`, topicId: NO_ID }, { name: `${p}-dup`, topicId: NO_ID }], topicNames: [], timeoutMs: 30_000 }, { label: `DeleteTopics duplicate name v${v}` });
        await peer.call(DeleteTopics, v, { topics: [{ name: null, topicId: byId }, { name: null, topicId: byId }], topicNames: [], timeoutMs: 30_000 }, { label: `DeleteTopics duplicate id v${v}` });
      }
      // Gone from Metadata once the last deletion reached the broker (Kafka applies them in order).
      await peer.quiet(Metadata, 9, { topics: [{ topicId: NO_ID, name: `${p}-v${latest(peer, DeleteTopics)}` }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, (res) => res.topics[0]!.errorCode === 0);
      await peer.call(Metadata, 9, { topics: peer.versions(DeleteTopics).map((v) => ({ topicId: NO_ID, name: `${p}-v${v}` })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, { label: 'Metadata deleted topics', view: (res) => res.topics.map((t: any) => ({ name: t.name, errorCode: t.errorCode })) });
    },
  },
  {
    // On the second pair of brokers, so that a Kafka that deletes its offsets topic harms no
    // group session of the first; the topic is made again (FindCoordinator) before the end.
    name: 'adm-delete-internal',
    brokers: 'no-auto-create',
    async run(peer) {
      await waitForCoordinator(peer, 'adm-delete-internal');
      await peer.call(DeleteTopics, latest(peer, DeleteTopics), { topics: [{ name: '__consumer_offsets', topicId: NO_ID }], topicNames: [], timeoutMs: 30_000 }, { label: 'DeleteTopics __consumer_offsets' });
      await waitForCoordinator(peer, 'adm-delete-internal');
    },
  },
  {
    name: 'adm-partitions',
    async run(peer) {
      const p = 'adm-partitions';
      for (const v of peer.versions(CreatePartitions)) {
        const name = `${p}-v${v}`;
        await createTopic(peer, name, 1);
        const call = (topics: { name: string; count: number; assignments: { brokerIds: number[] }[] | null }[], label: string, validateOnly = false) =>
          peer.call(CreatePartitions, v, { topics, timeoutMs: 30_000, validateOnly }, { label: `CreatePartitions ${label} v${v}` });
        await call([{ name, count: 3, assignments: null }], 'grow');
        await waitForTopic(peer, name, 3);
        await call([{ name, count: 3, assignments: null }], 'same count');
        await call([{ name, count: 2, assignments: null }], 'shrink');
        await call([{ name, count: 5, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }], 'with assignments');
        await waitForTopic(peer, name, 5);
        await call([{ name, count: 7, assignments: [{ brokerIds: [1] }] }], 'too few assignments');
        await call([{ name, count: 6, assignments: [{ brokerIds: [2] }] }], 'assignment to an unknown broker');
        await call([{ name, count: 6, assignments: [{ brokerIds: [1, 1] }] }], 'assignment naming a broker twice');
        await call([{ name, count: 6, assignments: [{ brokerIds: [] }] }], 'empty assignment');
        await call([{ name, count: 10, assignments: null }], 'validateOnly', true);
        await call([{ name, count: 4, assignments: null }], 'validateOnly shrink', true);
        await call([{ name: `${p}-unknown`, count: 2, assignments: null }, { name: 'bad name!', count: 2, assignments: null }], 'unknown topics');
        await call([{ name, count: 8, assignments: null }, { name, count: 9, assignments: null }], 'duplicate topic');
        await call([{ name, count: 0, assignments: null }, { name: `${p}-unknown`, count: -1, assignments: null }], 'zero and negative counts');
        await partitionsOf(peer, name, 5, `Metadata after CreatePartitions v${v}`);
      }
    },
  },
  {
    // Versions Samsa serves and Kafka 4 removed (KIP-896: CreateTopics v0-1, DeleteTopics v0,
    // DescribeConfigs v0), each on a fresh connection (Kafka closes it).
    name: 'adm-removed-versions',
    async run(peer) {
      const removed = (api: Parameters<SessionPeer['range']>[0]) => {
        const [lo, hi] = peer.range(api, 'samsa') ?? [0, -1];
        const k = peer.range(api, 'kafka');
        return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((v) => !k || v < k[0] || v > k[1]);
      };
      for (const v of removed(CreateTopics)) {
        const body = { topics: [topic(`adm-removed-versions-v${v}`, 1, 1, { 'retention.ms': '3600000' }), topic('bad name!', 1, 1)], timeoutMs: 30_000, validateOnly: false };
        await peer.raw(CreateTopics, v, encodeRequest(CreateTopics, v, 1, body), { label: `CreateTopics v${v} (removed in Kafka 4)` });
      }
      for (const v of removed(DeleteTopics)) {
        await peer.raw(DeleteTopics, v, encodeRequest(DeleteTopics, v, 1, { topics: [], topicNames: ['adm-removed-versions-unknown'], timeoutMs: 30_000 }), { label: `DeleteTopics v${v} (removed in Kafka 4)` });
      }
      for (const v of removed(DescribeConfigs)) {
        await peer.raw(DescribeConfigs, v, encodeRequest(DescribeConfigs, v, 1, describe([[BROKER, '1', ['num.partitions', 'log.retention.hours']], [TOPIC, 'adm-removed-versions-unknown', null]])), { label: `DescribeConfigs v${v} (removed in Kafka 4)` });
      }
      for (const api of [CreatePartitions, AlterConfigs, IncrementalAlterConfigs, DescribeCluster]) {
        if (removed(api).length > 0) throw new Error(`${api.name} versions ${removed(api).join(', ')} are not covered`);
      }
    },
  },
  {
    name: 'adm-describe-cluster',
    async run(peer) {
      for (const v of peer.versions(DescribeCluster)) {
        await peer.call(DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 1 }, { label: `DescribeCluster v${v}` });
        await peer.call(DescribeCluster, v, { includeClusterAuthorizedOperations: true, endpointType: 1 }, { label: `DescribeCluster authorized operations v${v}` });
        if (v >= 1) {
          for (const endpointType of [2, 0, 3]) await peer.call(DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType }, { label: `DescribeCluster endpointType ${endpointType} v${v}` });
        }
      }
    },
  },
  {
    // One node: the only replica leads, so a named partition needs no election (either type).
    name: 'adm-elect-leaders',
    async run(peer) {
      const name = 'adm-elect-leaders';
      await createTopic(peer, name, 2);
      for (const v of peer.versions(ElectLeaders)) {
        const types = v >= 1 ? [0, 1] : [0];
        for (const electionType of types) {
          const call = (topicPartitions: { topic: string; partitions: number[] }[] | null, label: string) =>
            peer.call(ElectLeaders, v, { electionType, topicPartitions, timeoutMs: 30_000 }, { label: `ElectLeaders ${label} type ${electionType} v${v}` });
          await call([{ topic: name, partitions: [0, 1] }], 'led partitions');
          await call([{ topic: name, partitions: [5] }, { topic: `${name}-unknown`, partitions: [0] }], 'unknown partitions');
          await call([{ topic: name, partitions: [] }], 'no partitions');
        }
      }
    },
  },
  {
    // One node: what a reassignment refuses, and that none is listed (KIP-455).
    name: 'adm-reassignments',
    async run(peer) {
      const name = 'adm-reassignments';
      await createTopic(peer, name, 2);
      for (const v of peer.versions(ListPartitionReassignments)) {
        await peer.call(ListPartitionReassignments, v, { timeoutMs: 30_000, topics: null }, { label: `ListPartitionReassignments all v${v}` });
        await peer.call(ListPartitionReassignments, v, { timeoutMs: 30_000, topics: [{ name, partitionIndexes: [0, 1] }, { name: `${name}-unknown`, partitionIndexes: [0] }] }, { label: `ListPartitionReassignments named v${v}` });
      }
      for (const v of peer.versions(AlterPartitionReassignments)) {
        const alter = (partitions: { partitionIndex: number; replicas: number[] | null }[], topic: string, label: string) =>
          peer.call(AlterPartitionReassignments, v, { timeoutMs: 30_000, topics: [{ name: topic, partitions }] }, { label: `AlterPartitionReassignments ${label} v${v}` });
        await alter([{ partitionIndex: 0, replicas: null }], name, 'cancel with none in progress');
        await alter([{ partitionIndex: 0, replicas: [] }], name, 'empty target');
        await alter([{ partitionIndex: 0, replicas: [999] }], name, 'unregistered broker');
        await alter([{ partitionIndex: 7, replicas: [999] }], name, 'unknown partition');
        await alter([{ partitionIndex: 0, replicas: [999] }], `${name}-unknown`, 'unknown topic');
      }
    },
  },
];

export const allow: AllowEntry[] = [
  {
    session: 'adm-removed-versions',
    where: /^(CreateTopics v[01]|DeleteTopics v0|DescribeConfigs v0) \(removed in Kafka 4\): <response>$/,
    reason: 'Samsa keeps the versions Kafka 4.0 removed (KIP-896) so that old clients work, as with a Kafka 3.9 broker; Kafka 4 closes the connection.',
  },
  {
    session: 'adm-delete-internal',
    where: /^DeleteTopics __consumer_offsets: responses\[name=__consumer_offsets\]\.errorCode$/,
    reason: "Deliberate: Samsa refuses to delete its internal topics (INVALID_TOPIC_EXCEPTION), whose partitions its group and transaction coordinators run on; Kafka deletes __consumer_offsets, losing every group's committed offsets, and makes it again on the next FindCoordinator.",
  },
];
