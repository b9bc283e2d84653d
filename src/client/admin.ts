/**
 * Admin operations: topics, partitions, configs, cluster, offsets and consumer groups.
 * Results that can fail per item (create/delete topics, ...) come back per item with the error;
 * whole-request failures throw KafkaError / ConnectionError.
 */
import {
  ConsumerProtocolAssignmentCodec,
  ConsumerProtocolSubscriptionCodec,
  CreatePartitions,
  CreateTopics,
  DeleteGroups,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  IncrementalAlterConfigs,
  AlterConfigs,
  ListGroups,
  ListOffsets,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
} from './protocol.js';
import { AlterPartitionReassignments } from '../protocol/generated/apis/45-alter-partition-reassignments.js';
import { ListPartitionReassignments } from '../protocol/generated/apis/46-list-partition-reassignments.js';
import { Reader, Writer, type MessageCodec } from '../protocol/runtime/index.js';
import type { Connection } from './connection.js';
import { Cluster, sleep, type BrokerInfo, type ClientOptions, type TopicInfo } from './cluster.js';
import { ErrorCode, KafkaError, errorName, needsMetadataRefresh } from './errors.js';

export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';
const OP_CODES: Record<ConfigOp, number> = { set: 0, delete: 1, append: 2, subtract: 3 };
export const CONFIG_SOURCES = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;

export interface NewTopic {
  name: string;
  /** -1: the broker's default. */
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface ItemResult {
  name: string;
  errorCode: number;
  error: string | null;
  errorMessage: string | null;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: string;
  isSensitive: boolean;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  errorCode: number;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  assignment: { topic: string; partitions: number[] }[];
  subscription: string[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
  errorCode: number;
}

export interface GroupOffsets {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string | null;
}

export interface PartitionLag extends GroupOffsets {
  logEndOffset: bigint;
  logStartOffset: bigint;
  lag: bigint | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

function itemResult(name: string, errorCode: number, errorMessage: string | null): ItemResult {
  return { name, errorCode, error: errorCode ? errorName(errorCode) : null, errorMessage };
}

export class Admin {
  readonly cluster: Cluster;
  private readonly ownsCluster: boolean;

  constructor(options: ClientOptions | Cluster) {
    this.ownsCluster = !(options instanceof Cluster);
    this.cluster = options instanceof Cluster ? options : new Cluster(options);
  }

  async close(): Promise<void> {
    if (this.ownsCluster) await this.cluster.close();
  }

  // ---- topics ----

  async createTopics(topics: NewTopic[], options: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<ItemResult[]> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.request(CreateTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.partitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: options.timeoutMs ?? 30_000,
      validateOnly: options.validateOnly ?? false,
    });
    if (!options.validateOnly) await this.waitForTopics(res.topics.filter((t) => t.errorCode === 0).map((t) => t.name));
    return res.topics.map((t) => itemResult(t.name, t.errorCode, t.errorMessage));
  }

  /** Waits until metadata shows every partition of these topics with a leader. */
  private async waitForTopics(names: string[], timeoutMs = 10_000): Promise<void> {
    if (!names.length) return;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const res = await this.cluster.refreshMetadata(names);
      if (res.topics.every((t) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0))) return;
      await sleep(50);
    }
  }

  async listTopics(options: { internal?: boolean } = {}): Promise<string[]> {
    await this.cluster.refreshMetadata(null);
    return [...this.cluster.topics.values()]
      .filter((t) => options.internal || !t.isInternal)
      .map((t) => t.name)
      .sort();
  }

  /** Metadata of topics (all when omitted); unknown topics come back with their error code. */
  async describeTopics(names?: string[]): Promise<TopicInfo[]> {
    const res = await this.cluster.refreshMetadata(names ?? null);
    return res.topics
      .filter((t) => t.name !== null)
      .map((t) => this.cluster.topics.get(t.name!) ?? { name: t.name!, topicId: t.topicId, isInternal: t.isInternal, errorCode: t.errorCode, partitions: [] })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteTopics(names: string[], options: { timeoutMs?: number } = {}): Promise<ItemResult[]> {
    const conn = await this.cluster.controllerConnection();
    const version = conn.versionOf(DeleteTopics);
    const res = await conn.request(DeleteTopics, {
      topics: version >= 6 ? names.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })) : [],
      topicNames: version >= 6 ? [] : names,
      timeoutMs: options.timeoutMs ?? 30_000,
    }, { version });
    for (const n of names) this.cluster.topics.delete(n);
    return res.responses.map((r) => itemResult(r.name ?? '', r.errorCode, r.errorMessage));
  }

  /** Raises the partition count of topics to `count`. */
  async createPartitions(topics: { name: string; count: number }[], options: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<ItemResult[]> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.request(CreatePartitions, {
      topics: topics.map((t) => ({ name: t.name, count: t.count, assignments: null })),
      timeoutMs: options.timeoutMs ?? 30_000,
      validateOnly: options.validateOnly ?? false,
    });
    if (!options.validateOnly) await this.waitForTopics(res.results.filter((r) => r.errorCode === 0).map((r) => r.name));
    return res.results.map((r) => itemResult(r.name, r.errorCode, r.errorMessage));
  }

  // ---- reassignments (KIP-455) ----

  /** Starts a reassignment per partition (`replicas` null cancels); one result per partition, named `topic-partition`. */
  async alterPartitionReassignments(items: { topic: string; partition: number; replicas: number[] | null }[], options: { timeoutMs?: number } = {}): Promise<ItemResult[]> {
    const conn = await this.cluster.controllerConnection();
    const byTopic = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
    for (const i of items) byTopic.set(i.topic, [...(byTopic.get(i.topic) ?? []), { partitionIndex: i.partition, replicas: i.replicas }]);
    const res = await conn.request(AlterPartitionReassignments, { timeoutMs: options.timeoutMs ?? 30_000, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'AlterPartitionReassignments', res.errorMessage);
    return res.responses.flatMap((t) => t.partitions.map((p) => itemResult(`${t.name}-${p.partitionIndex}`, p.errorCode, p.errorMessage)));
  }

  /** The reassignments in progress (all, or of the partitions named). */
  async listPartitionReassignments(partitions?: { topic: string; partitions: number[] }[]): Promise<{ topic: string; partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[]> {
    const conn = await this.cluster.controllerConnection();
    const res = await conn.request(ListPartitionReassignments, { timeoutMs: 30_000, topics: partitions ? partitions.map((p) => ({ name: p.topic, partitionIndexes: p.partitions })) : null });
    if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'ListPartitionReassignments', res.errorMessage);
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })));
  }

  // ---- configs ----

  async describeConfigs(resources: { type: number; name: string; keys?: string[] }[]): Promise<{ type: number; name: string; errorCode: number; error: string | null; errorMessage: string | null; configs: ConfigEntry[] }[]> {
    const conn = await this.cluster.anyConnection();
    const res = await conn.request(DescribeConfigs, {
      resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys ?? null })),
      includeSynonyms: false,
      includeDocumentation: false,
    });
    return res.results.map((r) => ({
      type: r.resourceType,
      name: r.resourceName,
      errorCode: r.errorCode,
      error: r.errorCode ? errorName(r.errorCode) : null,
      errorMessage: r.errorMessage,
      configs: r.configs.map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        isDefault: c.isDefault || c.configSource === 5,
        source: CONFIG_SOURCES[c.configSource] ?? String(c.configSource),
        isSensitive: c.isSensitive,
      })),
    }));
  }

  /** IncrementalAlterConfigs (falls back to AlterConfigs for `set`-only changes on old brokers). */
  async alterConfigs(resources: { type: number; name: string; ops: { name: string; op: ConfigOp; value?: string | null }[] }[], options: { validateOnly?: boolean } = {}): Promise<ItemResult[]> {
    const conn = await this.cluster.anyConnection();
    if (conn.supports(IncrementalAlterConfigs)) {
      const res = await conn.request(IncrementalAlterConfigs, {
        resources: resources.map((r) => ({
          resourceType: r.type,
          resourceName: r.name,
          configs: r.ops.map((o) => ({ name: o.name, configOperation: OP_CODES[o.op], value: o.value ?? null })),
        })),
        validateOnly: options.validateOnly ?? false,
      });
      return res.responses.map((r) => itemResult(r.resourceName, r.errorCode, r.errorMessage));
    }
    const res = await conn.request(AlterConfigs, {
      resources: resources.map((r) => ({
        resourceType: r.type,
        resourceName: r.name,
        configs: r.ops.filter((o) => o.op === 'set').map((o) => ({ name: o.name, value: o.value ?? null })),
      })),
      validateOnly: options.validateOnly ?? false,
    });
    return res.responses.map((r) => itemResult(r.resourceName, r.errorCode, r.errorMessage));
  }

  // ---- cluster ----

  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: BrokerInfo[] }> {
    const conn = await this.cluster.anyConnection();
    if (conn.supports(DescribeCluster)) {
      const res = await conn.request(DescribeCluster, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'DescribeCluster', res.errorMessage);
      return {
        clusterId: res.clusterId,
        controllerId: res.controllerId,
        brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    await this.cluster.refreshMetadata([]);
    return { clusterId: this.cluster.clusterId, controllerId: this.cluster.controllerId, brokers: [...this.cluster.brokers.values()].sort((a, b) => a.nodeId - b.nodeId) };
  }

  // ---- offsets ----

  /**
   * Offsets of partitions at `timestamp` (LATEST_TIMESTAMP, EARLIEST_TIMESTAMP or a time in ms):
   * the first offset whose record is at or after it, or the end offset when none is.
   */
  async listOffsets(requests: { topic: string; partition: number; timestamp: bigint }[], isolationLevel = 0): Promise<PartitionOffset[]> {
    const out: PartitionOffset[] = [];
    let todo = requests;
    for (let attempt = 0; todo.length && attempt <= this.cluster.options.retries; attempt++) {
      if (attempt > 0) {
        await sleep(this.cluster.options.retryBackoffMs * attempt);
        await this.cluster.refreshMetadata([...new Set(todo.map((r) => r.topic))]);
      }
      const byLeader = new Map<number, typeof requests>();
      for (const r of todo) {
        const leader = await this.cluster.leaderOf(r.topic, r.partition);
        let list = byLeader.get(leader);
        if (!list) byLeader.set(leader, (list = []));
        list.push(r);
      }
      const retry: typeof requests = [];
      await Promise.all(
        [...byLeader].map(async ([leader, reqs]) => {
          const conn = await this.cluster.connection(leader);
          const topics = new Map<string, { partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint; maxNumOffsets: number }[]>();
          for (const r of reqs) {
            let l = topics.get(r.topic);
            if (!l) topics.set(r.topic, (l = []));
            l.push({ partitionIndex: r.partition, currentLeaderEpoch: -1, timestamp: r.timestamp, maxNumOffsets: 1 });
          }
          const version = conn.versionOf(ListOffsets);
          const res = await conn.request(ListOffsets, { replicaId: -1, isolationLevel, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) }, { version });
          for (const t of res.topics) {
            for (const p of t.partitions) {
              const req = reqs.find((r) => r.topic === t.name && r.partition === p.partitionIndex)!;
              if (needsMetadataRefresh(p.errorCode) && attempt < this.cluster.options.retries) {
                retry.push(req);
                continue;
              }
              const offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset;
              out.push({ topic: t.name, partition: p.partitionIndex, offset, timestamp: p.timestamp, errorCode: p.errorCode });
            }
          }
        }),
      );
      todo = retry;
    }
    return out;
  }

  /** Start and end offsets of every partition of the topics. */
  async topicOffsets(topics: string[]): Promise<{ topic: string; partition: number; start: bigint; end: bigint }[]> {
    const reqs: { topic: string; partition: number }[] = [];
    for (const name of topics) {
      const t = await this.cluster.topic(name);
      for (const p of t.partitions) reqs.push({ topic: name, partition: p.partition });
    }
    const [starts, ends] = await Promise.all([
      this.listOffsets(reqs.map((r) => ({ ...r, timestamp: EARLIEST_TIMESTAMP }))),
      this.listOffsets(reqs.map((r) => ({ ...r, timestamp: LATEST_TIMESTAMP }))),
    ]);
    const key = (o: { topic: string; partition: number }) => `${o.topic}\0${o.partition}`;
    const s = new Map(starts.map((o) => [key(o), o.offset]));
    const e = new Map(ends.map((o) => [key(o), o.offset]));
    return reqs.map((r) => ({ ...r, start: s.get(key(r)) ?? -1n, end: e.get(key(r)) ?? -1n }));
  }

  // ---- consumer groups ----

  async listGroups(options: { states?: string[] } = {}): Promise<{ groupId: string; protocolType: string; state: string; type: string }[]> {
    await this.cluster.refreshMetadata([]);
    const out: { groupId: string; protocolType: string; state: string; type: string }[] = [];
    for (const nodeId of this.cluster.brokers.keys()) {
      const conn = await this.cluster.connection(nodeId);
      const res = await conn.request(ListGroups, { statesFilter: options.states ?? [], typesFilter: [] });
      if (res.errorCode !== 0) throw new KafkaError(res.errorCode, 'ListGroups');
      for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState, type: g.groupType || 'classic' });
    }
    return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const res = await this.coordinatorRequest(groupId, async (conn) => {
        const r = await conn.request(DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
        return { code: r.groups[0]?.errorCode ?? 0, value: r };
      });
      for (const g of res.groups) {
        out.push({
          groupId: g.groupId,
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          errorCode: g.errorCode,
          members: g.members.map((m) => {
            let assignment: { topic: string; partitions: number[] }[] = [];
            let subscription: string[] = [];
            if (g.protocolType === 'consumer') {
              try {
                if (m.memberAssignment.length) assignment = decodeVersioned(ConsumerProtocolAssignmentCodec, m.memberAssignment).assignedPartitions.map((a) => ({ topic: a.topic, partitions: a.partitions }));
              } catch {
                /* not the consumer protocol's bytes */
              }
              try {
                if (m.memberMetadata.length) subscription = decodeVersioned(ConsumerProtocolSubscriptionCodec, m.memberMetadata).topics;
              } catch {
                /* ignore */
              }
            }
            return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment, subscription };
          }),
        });
      }
    }
    return out;
  }

  async deleteGroups(groupIds: string[]): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (const groupId of groupIds) {
      const res = await this.coordinatorRequest(groupId, async (conn) => {
        const r = await conn.request(DeleteGroups, { groupsNames: [groupId] });
        const code = r.results[0]?.errorCode ?? 0;
        return { code: code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? code : 0, value: r };
      });
      for (const r of res.results) out.push(itemResult(r.groupId, r.errorCode, null));
    }
    return out;
  }

  /** Committed offsets of a group (every partition it committed when `topics` is omitted). */
  async fetchOffsets(groupId: string, topics?: { topic: string; partitions: number[] }[]): Promise<GroupOffsets[]> {
    const res = await this.coordinatorRequest(groupId, async (conn) => {
      const version = Math.min(conn.versionOf(OffsetFetch), 7);
      const r = await conn.request(OffsetFetch, {
        groupId,
        topics: topics ? topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) : null,
        groups: [],
        requireStable: false,
      }, { version });
      return { code: r.errorCode, value: r };
    });
    const out: GroupOffsets[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new KafkaError(p.errorCode, `offsets of ${groupId} ${t.name}[${p.partitionIndex}]`);
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Commits offsets for a group with no active members (as kafka-consumer-groups --reset-offsets). */
  async commitOffsets(groupId: string, offsets: { topic: string; partition: number; offset: bigint; metadata?: string | null }[]): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const topics = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string | null }[]>();
    for (const o of offsets) {
      let l = topics.get(o.topic);
      if (!l) topics.set(o.topic, (l = []));
      l.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: o.metadata ?? null });
    }
    const res = await this.coordinatorRequest(groupId, async (conn) => {
      const version = Math.min(conn.versionOf(OffsetCommit), 8);
      const r = await conn.request(OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
      }, { version });
      const code = r.topics[0]?.partitions[0]?.errorCode ?? 0;
      return { code: code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? code : 0, value: r };
    });
    return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  }

  async deleteOffsets(groupId: string, topic: string, partitions: number[]): Promise<void> {
    await this.coordinatorRequest(groupId, async (conn) => {
      const r = await conn.request(OffsetDelete, { groupId, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] });
      return { code: r.errorCode, value: r };
    });
  }

  /** Committed offsets with log end offsets, lag and owning member per partition. */
  async groupLag(groupId: string): Promise<PartitionLag[]> {
    const [desc] = await this.describeGroups([groupId]);
    const committed = await this.fetchOffsets(groupId);
    const owners = new Map<string, GroupMember>();
    for (const m of desc?.members ?? []) for (const a of m.assignment) for (const p of a.partitions) owners.set(`${a.topic}\0${p}`, m);
    const keys = new Map<string, { topic: string; partition: number; offset: bigint; metadata: string | null }>();
    for (const c of committed) keys.set(`${c.topic}\0${c.partition}`, c);
    for (const k of owners.keys()) {
      if (!keys.has(k)) {
        const [topic, p] = k.split('\0') as [string, string];
        keys.set(k, { topic, partition: Number(p), offset: -1n, metadata: null });
      }
    }
    const entries = [...keys.values()];
    const topics = [...new Set(entries.map((e) => e.topic))];
    const known = new Set<string>();
    for (const t of topics) {
      try {
        await this.cluster.topic(t);
        known.add(t);
      } catch {
        /* deleted topic: no end offsets */
      }
    }
    const ends = await this.listOffsets(entries.filter((e) => known.has(e.topic)).map((e) => ({ topic: e.topic, partition: e.partition, timestamp: LATEST_TIMESTAMP })));
    const starts = await this.listOffsets(entries.filter((e) => known.has(e.topic)).map((e) => ({ topic: e.topic, partition: e.partition, timestamp: EARLIEST_TIMESTAMP })));
    const endOf = new Map(ends.map((o) => [`${o.topic}\0${o.partition}`, o.offset]));
    const startOf = new Map(starts.map((o) => [`${o.topic}\0${o.partition}`, o.offset]));
    return entries
      .map((e) => {
        const k = `${e.topic}\0${e.partition}`;
        const end = endOf.get(k) ?? -1n;
        const m = owners.get(k);
        return {
          ...e,
          logEndOffset: end,
          logStartOffset: startOf.get(k) ?? -1n,
          lag: e.offset >= 0n && end >= 0n ? end - e.offset : null,
          memberId: m?.memberId ?? null,
          clientId: m?.clientId ?? null,
          host: m?.clientHost ?? null,
        };
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Runs a request against a group's coordinator, re-finding it on NOT_COORDINATOR and retrying while it loads. */
  private async coordinatorRequest<T>(groupId: string, fn: (conn: Connection) => Promise<{ code: number; value: T }>): Promise<T> {
    let lastCode = 0;
    for (let attempt = 0; attempt <= this.cluster.options.retries; attempt++) {
      const conn = await this.cluster.coordinatorConnection(groupId);
      const { code, value } = await fn(conn);
      if (code === 0) return value;
      lastCode = code;
      if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.cluster.forgetCoordinator(groupId);
      else if (code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) throw new KafkaError(code, `group ${groupId}`);
      await sleep(this.cluster.options.retryBackoffMs * (attempt + 1));
    }
    throw new KafkaError(lastCode, `group ${groupId}`);
  }
}

/** Consumer protocol payloads start with their int16 version; a newer version's extra fields are ignored. */
export function decodeVersioned<T>(codec: MessageCodec<T>, buf: Buffer): T {
  const version = Math.min(buf.readInt16BE(0), codec.maxVersion);
  return codec.read(new Reader(buf, 2, buf.length), version);
}

export function encodeVersioned<T>(codec: MessageCodec<T>, value: T, version: number): Buffer {
  const w = new Writer(2 + codec.size(value, version));
  w.int16(version);
  codec.write(w, value, version);
  return w.finish();
}
