// A group coordinator with no broker, no sockets and no sleeps: `__consumer_offsets` partitions
// are in-memory logs that assign offsets and can be made to fail or to stall, time is a MockTime.
import { ConsumerProtocolAssignmentCodec, ConsumerProtocolSubscriptionCodec } from '../../../src/protocol/generated/index.js';
import { Writer } from '../../../src/protocol/runtime/index.js';
import { decodeRecordBatches } from '../../../src/protocol/records/index.js';
import {
  GroupCoordinator,
  MockTime,
  decodeRecord,
  type CoordinatorLog,
  type CoordinatorRecord,
  type GroupCoordinatorConfig,
  type JoinGroupArgs,
  type JoinGroupResult,
} from '../../../src/coordinators/group/index.js';
import { TransactionCoordinator } from '../../../src/coordinators/transaction/coordinator.js';
import type { GroupsContext } from '../../../src/broker/groups.js';
import { createLogger } from '../../../src/util/logger.js';

export class AppendError extends Error {
  constructor(readonly code: number) {
    super(`append failed with ${code}`);
  }
}

/** A partition in memory: appends get offsets; `failWith` makes the next appends fail; `stall` holds reads. */
export class MemoryLog implements CoordinatorLog {
  readonly batches: Buffer[] = [];
  private next = 0n;
  failWith: number | undefined;
  private stalled: Promise<void> | undefined;
  private release: (() => void) | undefined;

  /** While set, appends wait for it (a slow disk). */
  private held: Promise<void> | undefined;
  private releaseHeld: (() => void) | undefined;

  holdAppends(): void {
    this.held = new Promise((r) => (this.releaseHeld = r));
  }

  releaseAppends(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  async append(batch: Buffer): Promise<void> {
    await this.held;
    if (this.failWith !== undefined) throw new AppendError(this.failWith);
    const copy = Buffer.from(batch);
    copy.writeBigInt64BE(this.next, 0);
    this.next += BigInt(copy.readInt32BE(23) + 1); // lastOffsetDelta + 1
    this.batches.push(copy);
  }

  startOffset(): bigint {
    return 0n;
  }

  async read(offset: bigint, _maxBytes: number): Promise<Buffer> {
    await this.stalled;
    return Buffer.concat(this.batches.filter((b) => b.readBigInt64BE(0) >= offset));
  }

  stall(): void {
    this.stalled = new Promise((r) => (this.release = r));
  }

  unstall(): void {
    this.release?.();
    this.stalled = undefined;
  }

  /** Every record appended, decoded. */
  records(): CoordinatorRecord[] {
    const out: CoordinatorRecord[] = [];
    for (const b of decodeRecordBatches(Buffer.concat(this.batches))) for (const r of b.records) out.push(decodeRecord(r.key!, r.value)!);
    return out;
  }
}

export const TOPICS = new Map([
  ['t', 6],
  ['u', 3],
]);

export const BASE_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 4,
  sessionTimeoutMinMs: 6000,
  sessionTimeoutMaxMs: 1_800_000,
  initialRebalanceDelayMs: 0,
  groupMaxSize: 1000,
  offsetsRetentionMs: 7 * 24 * 3_600_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
};

export interface Harness {
  coordinator: GroupCoordinator;
  time: MockTime;
  logs: Map<number, MemoryLog>;
  /** Every record in every partition. */
  records(): CoordinatorRecord[];
  /** A coordinator over the same logs, as after a broker restart (not yet loaded). */
  restart(config?: Partial<GroupCoordinatorConfig>): Promise<Harness>;
}

export function harness(config: Partial<GroupCoordinatorConfig> = {}, shared?: { logs: Map<number, MemoryLog>; time: MockTime }): Harness {
  const time = shared?.time ?? new MockTime();
  const logs = shared?.logs ?? new Map<number, MemoryLog>();
  const full = { ...BASE_CONFIG, ...config };
  let ids = 0;
  const coordinator = new GroupCoordinator({
    config: full,
    time,
    logger: createLogger('silent'),
    offsetsTopic: {
      partitions: () => (logs.size > 0 ? logs.size : undefined),
      async create(n) {
        for (let p = 0; p < n; p++) if (!logs.has(p)) logs.set(p, new MemoryLog());
      },
      log: (p) => logs.get(p),
    },
    topicPartitions: (t) => TOPICS.get(t),
    errorCode: (e) => (e instanceof AppendError ? e.code : -1),
    newMemberId: (prefix) => `${prefix}-${++ids}`,
  });
  coordinator.startup();
  const h: Harness = {
    coordinator,
    time,
    logs,
    records: () => [...logs.values()].flatMap((l) => l.records()),
    async restart(more = {}) {
      await coordinator.shutdown();
      return harness({ ...config, ...more }, { logs, time });
    },
  };
  return h;
}

/** What the group handlers are given: the coordinator under test. */
export function groupsContext(h: Harness): GroupsContext {
  return { groups: h.coordinator };
}

/** A transaction coordinator whose `__transaction_state` cannot be created: it serves no transactional id (COORDINATOR_NOT_AVAILABLE). */
export function unavailableTransactionCoordinator(time: MockTime): TransactionCoordinator {
  return new TransactionCoordinator({
    time,
    logger: createLogger('silent'),
    numPartitions: 1,
    maxTimeoutMs: 60_000,
    topic: {
      partitions: () => undefined,
      create: () => Promise.reject(new Error('no __transaction_state here')),
      log: () => undefined,
    },
    generateProducerId: () => Promise.reject(new Error('no producer ids here')),
    writeMarkers: () => Promise.reject(new Error('no markers here')),
    partitionExists: () => false,
    errorCode: () => -1,
  });
}

/** ConsumerProtocolSubscription bytes (int16 version + v0 schema) for `topics`. */
export function subscription(topics: string[], userData: Buffer | null = null): Buffer {
  const v = { topics, userData, ownedPartitions: [], generationId: -1, rackId: null };
  const w = new Writer(2 + ConsumerProtocolSubscriptionCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolSubscriptionCodec.write(w, v, 0);
  return w.finish();
}

/** ConsumerProtocolAssignment bytes for `partitions` of topic `t`. */
export function assignment(partitions: number[], topic = 't'): Buffer {
  const v = { assignedPartitions: [{ topic, partitions }], userData: null };
  const w = new Writer(2 + ConsumerProtocolAssignmentCodec.size(v, 0));
  w.int16(0);
  ConsumerProtocolAssignmentCodec.write(w, v, 0);
  return w.finish();
}

export function joinArgs(overrides: Partial<JoinGroupArgs> = {}): JoinGroupArgs {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    reason: null,
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    ...overrides,
  };
}

/** A promise's state without waiting for it. */
export async function peek<T>(p: Promise<T>): Promise<{ settled: true; value: T } | { settled: false }> {
  const pending = Symbol('pending');
  const v = await Promise.race([p, new Promise<typeof pending>((r) => setImmediate(() => r(pending)))]);
  return v === pending ? { settled: false } : { settled: true, value: v as T };
}

/** A member as a client would drive it. */
export class TestMember {
  memberId = '';
  generationId = -1;
  leader = '';
  lastJoin: JoinGroupResult | undefined;
  assignment: Buffer | undefined;

  constructor(
    readonly h: Harness,
    readonly args: Partial<JoinGroupArgs> = {},
  ) {}

  get groupId(): string {
    return this.args.groupId ?? 'g';
  }

  /** Sends JoinGroup (not awaited: it may wait for the rebalance). */
  join(more: Partial<JoinGroupArgs> = {}): Promise<JoinGroupResult> {
    return this.h.coordinator.joinGroup(joinArgs({ ...this.args, memberId: this.memberId, ...more })).then((r) => {
      this.lastJoin = r;
      if (r.memberId !== '') this.memberId = r.memberId;
      if (r.errorCode === 0) {
        this.generationId = r.generationId;
        this.leader = r.leader;
      }
      return r;
    });
  }

  sync(assignments: { memberId: string; assignment: Buffer }[] = []) {
    return this.h.coordinator
      .syncGroup({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.args.groupInstanceId ?? null, protocolType: null, protocolName: null, assignments })
      .then((r) => {
        if (r.errorCode === 0) this.assignment = r.assignment;
        return r;
      });
  }

  heartbeat(): Promise<number> {
    return this.h.coordinator.heartbeat({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.args.groupInstanceId ?? null });
  }

  leave() {
    return this.h.coordinator.leaveGroup(this.groupId, [{ memberId: this.memberId, groupInstanceId: this.args.groupInstanceId ?? null, reason: 'test' }]);
  }

  commit(offsets: [topic: string, partition: number, offset: bigint][], more: { metadata?: string | null; leaderEpoch?: number } = {}) {
    return this.h.coordinator.commitOffsets({
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.args.groupInstanceId ?? null,
      retentionTimeMs: -1n,
      apiVersion: 8,
      topics: [...new Set(offsets.map((o) => o[0]))].map((name) => ({
        name,
        partitions: offsets
          .filter((o) => o[0] === name)
          .map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: more.leaderEpoch ?? -1, commitTimestamp: -1n, committedMetadata: more.metadata ?? null })),
      })),
    });
  }
}
