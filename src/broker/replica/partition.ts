/**
 * A partition this broker hosts: the one home of its state. The log holds the records, the log
 * start offset and the leader epoch cache; the partition adds the leader epoch, the producer
 * state, the assigned replicas and ISR with each replica's log end offset, and the high
 * watermark computed from them. Invariants (checked by `checkInvariants`):
 *
 * - logStartOffset <= lastStableOffset <= highWatermark <= logEndOffset;
 * - the high watermark is the minimum log end offset over the ISR, and never moves backwards
 *   while this node leads;
 * - the ISR is a subset of the assigned replicas and holds the leader (this node);
 * - the local replica's log end offset is what its appends acknowledged (written, and synced in
 *   durable mode), so a consumer never sees a record that a crash could take back.
 *
 * - an ISR change is proposed (Kafka's AlterPartition: `onAlterPartition`) and takes effect only
 *   once committed, when the image brings it back through makeLeader; meanwhile the high
 *   watermark counts the larger of the two sets (Kafka's maximalIsr).
 *
 * On one node the replicas and the ISR are this node alone, and the high watermark follows the
 * local appends. A follower (makeFollower) takes records and its high watermark from the leader
 * (the replica fetcher) and refuses clients' produces; it serves consumers' fetches (KIP-392)
 * up to its own high watermark / last stable offset. The methods the replica manager calls take a request and return a result (no
 * callbacks into the broker, no shared mutable state), so a partition can later live on a worker
 * thread with its log.
 */
import { LATEST_TIMESTAMP, type PartitionLog, type LogAppendInfo, type FetchDataInfo } from '../../storage/index.js';
import { isDeleteRetention } from '../../storage/config.js';
import { ProducerStateManager, type ClientBatch } from '../../storage/producer-state.js';
import { type BatchesSummary, buildEndTxnMarkerBatch, batchAttributes, batchSize, readBatchHeader, readEndTxnMarker, decodeRecordBatch, RECORD_BATCH_OVERHEAD } from '../../protocol/records/index.js';
import { SYSTEM_TIME, type Time } from '../../util/time.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { TopicImage as TopicMetadata } from '../metadata/image.js';
import { ProducerStateStore } from '../../storage/producer-state-store.js';
import { UNCHECKED_TIMESTAMPS, type ProduceChecks } from './log-validator.js';
import { ReplicaState } from './replica-state.js';

export type { ProduceChecks } from './log-validator.js';

/** Told when the partition's high watermark or last stable offset moved (the replica manager completes delayed operations). */
export type PartitionListener = (partition: Partition) => void;

/** Kafka's AlterPartition request for one partition: the ISR the leader wants, on the registration it last saw. */
export interface IsrProposal {
  leaderEpoch: number;
  partitionEpoch: number;
  isr: readonly number[];
}

/** Told of an ISR change the leader wants committed (the replica manager proposes it to the metadata store). */
export type AlterPartitionListener = (partition: Partition, proposal: IsrProposal) => void;

export interface PartitionOptions {
  /** This node's id; the default single-node leadership assigns the partition to it. */
  localBrokerId?: number;
  time?: Time;
  listener?: PartitionListener;
  onAlterPartition?: AlterPartitionListener;
}

/** Kafka's LeaderAndIsr as a partition's leader receives it. */
export interface LeaderState {
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

/** What a follower is told: the leader's id as well (-1: none). */
export interface FollowerState extends LeaderState {
  leader: number;
}

/** An empty producer snapshot: loading it forgets every producer (before a rebuild after truncation). */
const NO_PRODUCERS = new ProducerStateManager('').encodeSnapshot();

/** Which offset bounds a read: a consumer's high watermark, read_committed's last stable offset, a follower's log end. */
export type FetchIsolation = 'high-watermark' | 'txn-committed' | 'log-end';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export class Partition {
  checks: ProduceChecks = UNCHECKED_TIMESTAMPS;
  /** min.insync.replicas of the topic: acks=all needs min(this, replicas) in the ISR (Kafka 4's effectiveMinIsr). */
  minInsyncReplicas = 1;
  /** Idempotent/transactional producers of this partition (see storage/producer-state.ts). */
  readonly producers: ProducerStateManager;
  readonly producerStore: ProducerStateStore;
  readonly localBrokerId: number;
  /** Bytes that became readable (the high watermark moved over them) since the partition opened; long polls count from it. */
  visibleBytes = 0;
  /** Bytes appended here as leader since the partition opened: followers' long polls count from it. */
  appendedBytes = 0;
  private _leaderEpoch = -1;
  private _partitionEpoch = -1;
  private _replicas: readonly number[] = [];
  private _isr: readonly number[] = [];
  private _leader = -1;
  /** The ISR proposed and not yet committed (Kafka's PendingExpandIsr / PendingShrinkIsr). */
  private pendingIsr: readonly number[] | undefined;
  private onAlterPartition: AlterPartitionListener | undefined;
  /** The log end offset when this node's leader epoch began: a follower must reach it to join the ISR. */
  private leaderEpochStartOffset = 0n;
  private readonly replicaStates = new Map<number, ReplicaState>();
  private readonly time: Time;
  private listener: PartitionListener | undefined;
  private deleted = false;
  /** Appends the high watermark does not cover yet: their bytes count as visible when it does. */
  private readonly unreadableAppends: { endOffset: bigint; bytes: number }[] = [];

  constructor(
    readonly topic: TopicMetadata,
    readonly index: number,
    readonly log: PartitionLog,
    options: PartitionOptions = {},
  ) {
    this.localBrokerId = options.localBrokerId ?? 0;
    this.time = options.time ?? SYSTEM_TIME;
    this.listener = options.listener;
    this.onAlterPartition = options.onAlterPartition;
    this.producers = new ProducerStateManager(`${topic.name}-${index}`);
    this.producerStore = new ProducerStateStore(log, this.producers);
    // One node: this one leads from epoch 0, alone in the ISR.
    this.makeLeader({ leaderEpoch: 0, partitionEpoch: 0, replicas: [this.localBrokerId], isr: [this.localBrokerId] });
  }

  get name(): string {
    return `${this.topic.name}-${this.index}`;
  }
  /** Bumped when leadership changes (never on one node, kept for OffsetForLeaderEpoch and fencing). */
  get leaderEpoch(): number {
    return this._leaderEpoch;
  }
  get partitionEpoch(): number {
    return this._partitionEpoch;
  }
  get assignedReplicas(): readonly number[] {
    return this._replicas;
  }
  /** The committed ISR. */
  get isr(): readonly number[] {
    return this._isr;
  }
  /** The committed ISR together with a pending change's members: what the high watermark waits for. */
  get maximalIsr(): readonly number[] {
    const pending = this.pendingIsr;
    return pending ? [...new Set([...this._isr, ...pending])] : this._isr;
  }
  /** An ISR change proposed and not committed yet. */
  get pendingIsrChange(): readonly number[] | undefined {
    return this.pendingIsr;
  }
  get leaderId(): number {
    return this._leader;
  }
  get isLeader(): boolean {
    return this._leader === this.localBrokerId;
  }
  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }
  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }
  get highWatermark(): bigint {
    return this.log.highWatermark;
  }
  /**
   * The high watermark, or the first offset of the earliest ongoing transaction if lower; never
   * below the log start offset (Kafka's maybeIncrementFirstUnstableOffset).
   */
  get lastStableOffset(): bigint {
    const hw = this.log.highWatermark;
    const first = this.producers.firstUnstableOffset();
    if (first === undefined || first >= hw) return hw;
    const start = this.log.logStartOffset;
    return first < start ? start : first;
  }
  get isDeleted(): boolean {
    return this.deleted;
  }

  /** What the leader knows of a replica (undefined: not assigned). */
  replicaState(brokerId: number): Readonly<ReplicaState> | undefined {
    return this.replicaStates.get(brokerId);
  }

  setListener(listener: PartitionListener | undefined): void {
    this.listener = listener;
  }

  setAlterPartitionListener(listener: AlterPartitionListener | undefined): void {
    this.onAlterPartition = listener;
  }

  /**
   * Kafka's Partition.makeLeader: takes the epoch, replicas and ISR; a new epoch starts at the
   * log end offset (maybeAssignEpochStartOffset: even an empty log answers ListOffsets earliest
   * and OffsetForLeaderEpoch with it); on becoming leader the followers' states start unknown
   * (those in the ISR caught up now, as Kafka's resetReplicaState); the same leader taking a
   * committed ISR change keeps them. The high watermark moves up to the minimum log end offset
   * over the ISR. Returns whether the epoch is new.
   */
  makeLeader(state: LeaderState): boolean {
    if (!state.isr.includes(this.localBrokerId)) throw new InvariantViolation(`${this.name}: the leader ${this.localBrokerId} is not in the ISR [${state.isr}]`);
    if (state.isr.some((id) => !state.replicas.includes(id))) throw new InvariantViolation(`${this.name}: ISR [${state.isr}] is not within replicas [${state.replicas}]`);
    const isNewEpoch = state.leaderEpoch > this._leaderEpoch;
    const isNewLeader = !this.isLeader || isNewEpoch;
    this.assign(state, this.localBrokerId);
    const now = this.time.now();
    const previous = isNewLeader ? new Map<number, ReplicaState>() : new Map(this.replicaStates);
    this.replicaStates.clear();
    for (const id of this._replicas) {
      const replica = previous.get(id) ?? new ReplicaState(id);
      if (!previous.has(id) && this._isr.includes(id)) replica.lastCaughtUpTimeMs = now;
      this.replicaStates.set(id, replica);
    }
    this.replicaStates.get(this.localBrokerId)!.appended(this.log.logEndOffset, now);
    if (isNewEpoch) {
      this.leaderEpochStartOffset = this.log.logEndOffset;
      this.log.leaderEpochCache.assign(this._leaderEpoch, this.leaderEpochStartOffset);
    }
    if (this.maybeIncrementLeaderHW()) this.notify();
    return isNewEpoch;
  }

  /**
   * Kafka's Partition.makeFollower: takes the leader, epoch, replicas and ISR; the leader's state
   * of the followers is dropped; waiting produces and fetches answer (not leader). Records,
   * epochs and the high watermark come from the leader through the replica fetcher. Returns
   * whether the leader or its epoch changed (the fetcher must start over).
   */
  makeFollower(state: FollowerState): boolean {
    const changed = state.leader !== this._leader || state.leaderEpoch > this._leaderEpoch;
    const wasLeader = this.isLeader;
    this.assign(state, state.leader);
    const local = this.replicaStates.get(this.localBrokerId) ?? new ReplicaState(this.localBrokerId);
    this.replicaStates.clear();
    this.replicaStates.set(this.localBrokerId, local);
    local.appended(this.log.logEndOffset, this.time.now());
    if (wasLeader || changed) this.notify();
    return changed;
  }

  private assign(state: LeaderState, leader: number): void {
    this._leader = leader;
    this._leaderEpoch = Math.max(this._leaderEpoch, state.leaderEpoch);
    this._partitionEpoch = state.partitionEpoch;
    this._replicas = [...state.replicas];
    this._isr = [...state.isr];
    this.pendingIsr = undefined;
  }

  /**
   * Kafka's maybeShrinkIsr: followers of the committed ISR that were last caught up longer than
   * `replicaLagTimeMaxMs` ago (and are not at the log end) are proposed out of it. Returns the
   * proposal, if any (one change at a time: none while another is pending).
   */
  maybeShrinkIsr(replicaLagTimeMaxMs: number, now = this.time.now()): IsrProposal | undefined {
    if (!this.isLeader || this.pendingIsr || this.deleted) return undefined;
    const leo = this.log.logEndOffset;
    const inSync = this._isr.filter((id) => id === this.localBrokerId || this.replicaStates.get(id)?.isCaughtUp(leo, now, replicaLagTimeMaxMs));
    return inSync.length < this._isr.length ? this.proposeIsr(inSync) : undefined;
  }

  /** The store refused the proposal (a stale partition epoch, say): the next fetch or check may propose again. */
  isrChangeFailed(proposal: IsrProposal): void {
    if (this.pendingIsr && proposal.partitionEpoch === this._partitionEpoch) this.pendingIsr = undefined;
  }

  private proposeIsr(isr: readonly number[]): IsrProposal {
    this.pendingIsr = isr;
    const proposal = { leaderEpoch: this._leaderEpoch, partitionEpoch: this._partitionEpoch, isr };
    this.onAlterPartition?.(this, proposal);
    return proposal;
  }

  /** The partition's topic was deleted: waiting operations on it complete. */
  markDeleted(): void {
    this.deleted = true;
    this.listener?.(this);
  }

  /**
   * Kafka's maybeIncrementLeaderHW: the high watermark becomes the minimum log end offset over
   * the ISR if that is higher. Returns whether it moved; waiting fetches and produces are told.
   */
  maybeIncrementLeaderHW(): boolean {
    if (!this.isLeader) return false;
    let min: bigint | undefined;
    for (const id of this.maximalIsr) {
      const leo = this.replicaStates.get(id)?.logEndOffset ?? -1n;
      if (min === undefined || leo < min) min = leo;
    }
    if (min === undefined || min < 0n) return false;
    if (!this.log.maybeIncrementHighWatermark(min)) return false;
    this.countVisibleBytes();
    return true;
  }

  /** The appends the high watermark now covers become readable bytes (what consumers' long polls wait for). */
  private countVisibleBytes(): void {
    const hw = this.log.highWatermark;
    for (let i = this.unreadableAppends.length - 1; i >= 0; i--) {
      const a = this.unreadableAppends[i]!;
      if (a.endOffset > hw) continue;
      this.visibleBytes += a.bytes;
      this.unreadableAppends.splice(i, 1);
    }
  }

  /**
   * A follower fetched from `fetchOffset` (Kafka's updateFollowerFetchState): its log end offset
   * and caught-up time move; a follower that reached the high watermark is proposed into the
   * ISR (it joins once that is committed); the high watermark may move. A replica that is not a follower of this partition changes nothing.
   * Returns whether the replica is one.
   */
  updateFollowerFetchState(replicaId: number, fetchOffset: bigint, leaderEndOffset: bigint, fetchTimeMs = this.time.now(), followerLogStartOffset = -1n): boolean {
    if (replicaId === this.localBrokerId || !this.isLeader) return false;
    const replica = this.replicaStates.get(replicaId);
    if (!replica) return false;
    replica.updateFetchState(fetchOffset, leaderEndOffset, fetchTimeMs, followerLogStartOffset);
    // maybeExpandIsr: caught up to the high watermark (and into this leader's epoch).
    if (!this.pendingIsr && !this._isr.includes(replicaId) && fetchOffset >= this.log.highWatermark && fetchOffset >= this.leaderEpochStartOffset) {
      this.proposeIsr([...this._isr, replicaId]);
    }
    if (this.maybeIncrementLeaderHW()) this.notify();
    return true;
  }

  /**
   * Kafka's checkEnoughReplicasReachOffset (a delayed acks=all produce asks): whether the high
   * watermark covers `requiredOffset`, and whether the ISR was large enough for it.
   */
  checkEnoughReplicasReachOffset(requiredOffset: bigint): { reached: boolean; errorCode: number } {
    if (this.deleted || !this.isLeader) return { reached: true, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (this.log.highWatermark < requiredOffset) return { reached: false, errorCode: ErrorCode.NONE };
    return { reached: true, errorCode: this._isr.length < this.effectiveMinIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE };
  }

  /** min(min.insync.replicas, replication factor), as Kafka 4 (KIP-966 ELR aside). */
  get effectiveMinIsr(): number {
    return Math.min(this.minInsyncReplicas, this._replicas.length);
  }

  /** acks=all appends need the ISR at least effectiveMinIsr large (Kafka: NotEnoughReplicasException before the append). */
  checkEnoughReplicasToAppend(requiredAcks: number): number {
    return requiredAcks === -1 && this._isr.length < this.effectiveMinIsr ? ErrorCode.NOT_ENOUGH_REPLICAS : ErrorCode.NONE;
  }

  /** Whether the producer has a transaction ongoing here at this epoch (Kafka's hasOngoingTransaction, for KIP-890 verification). */
  hasOngoingTransaction(producerId: bigint, producerEpoch: number): boolean {
    const entry = this.producers.entry(producerId);
    return entry !== undefined && entry.currentTxnFirstOffset !== -1n && entry.epoch === producerEpoch;
  }

  /**
   * Appends a client's batch: with a producer id, the producer state check (sequence, epoch,
   * duplicates) and the append are one step per producer: a retried batch is answered with the
   * offsets it got the first time. Throws ProducerStateError.
   */
  async appendFromClient(records: Buffer, batch: ClientBatch, validated?: BatchesSummary): Promise<LogAppendInfo> {
    if (batch.producerId < 0n) return this.appendAsLeader(records, validated);
    this.checkStillLeader();
    const staged = this.producers.checkAndStage(batch, this.log.logEndOffset);
    if (staged.kind === 'duplicate') {
      const b = staged.batch;
      if (b.done) await b.done;
      if (b.firstOffset < 0n) return this.appendFromClient(records, batch, validated); // the original failed: try again
      return { firstOffset: b.firstOffset, lastOffset: b.lastOffset, logAppendTime: -1n, maxTimestamp: b.timestamp, offsetOfMaxTimestamp: b.lastOffset, logStartOffset: this.logStartOffset, numMessages: 0, validBytes: 0 };
    }
    let info: LogAppendInfo;
    this.producerStore.inFlight++;
    try {
      info = await this.appendToLog(records, validated);
    } catch (e) {
      this.producers.fail(staged.staged);
      throw e;
    } finally {
      this.producerStore.inFlight--;
    }
    this.producers.complete(staged.staged, info.firstOffset, info.lastOffset);
    this.producerStore.appended(records.length);
    this.localAppended(info, records.length);
    return info;
  }

  /** Writes a COMMIT or ABORT marker for the producer's transaction (WriteTxnMarkers). Throws ProducerStateError. */
  async appendTxnMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean): Promise<LogAppendInfo> {
    this.checkStillLeader();
    this.producers.checkMarker(producerId, producerEpoch, coordinatorEpoch);
    const timestamp = this.time.now();
    const batch = buildEndTxnMarkerBatch({ producerId, producerEpoch, coordinatorEpoch, commit, timestamp });
    this.producerStore.inFlight++;
    let info: LogAppendInfo;
    try {
      info = await this.log.append(batch, this._leaderEpoch);
      const aborted = this.producers.applyMarker(producerId, producerEpoch, coordinatorEpoch, commit, info.firstOffset, BigInt(timestamp));
      if (aborted) await this.producerStore.indexAborted(aborted);
    } finally {
      this.producerStore.inFlight--;
    }
    this.producerStore.appended(batch.length);
    this.localAppended(info, batch.length);
    return info;
  }

  /**
   * Appends validated batches as leader. Resolves once the records are acknowledged (written,
   * and synced in durable mode); the high watermark then covers them and waiting fetches wake.
   */
  async appendAsLeader(records: Buffer, validated?: BatchesSummary): Promise<LogAppendInfo> {
    const info = await this.appendToLog(records, validated);
    this.localAppended(info, records.length);
    return info;
  }

  /**
   * Appends batches the leader assigned offsets to (a follower's fetch) and rebuilds producer
   * state from them as the leader's appends built it: sequences, transactions, markers (Kafka's
   * appendAsFollower with AppendOrigin.REPLICATION). The high watermark follows the leader's
   * (`updateFollowerHighWatermark`).
   */
  async appendAsFollower(records: Buffer): Promise<LogAppendInfo> {
    this.producerStore.inFlight++;
    let info: LogAppendInfo;
    try {
      info = await this.log.appendAsFollower(records);
      for (let at = 0; at + RECORD_BATCH_OVERHEAD <= records.length; at += batchSize(records, at)) {
        const h = readBatchHeader(records, at);
        const attrs = batchAttributes(h.attributes);
        if (!attrs.isControl) {
          this.producers.replayBatch({ ...h, isTransactional: attrs.isTransactional });
          continue;
        }
        const marker = readEndTxnMarker(decodeRecordBatch(records, at, { verifyCrc: false }));
        if (!marker) continue;
        const aborted = this.producers.applyMarker(h.producerId, h.producerEpoch, marker.coordinatorEpoch, marker.commit, marker.offset, marker.timestamp);
        if (aborted) await this.producerStore.indexAborted(aborted);
      }
    } finally {
      this.producerStore.inFlight--;
    }
    this.producerStore.appended(records.length);
    this.replicaStates.get(this.localBrokerId)?.appended(this.log.logEndOffset, this.time.now());
    this.unreadableAppends.push({ endOffset: info.lastOffset + 1n, bytes: records.length });
    return info;
  }

  /** A follower takes the leader's high watermark, bounded by its own log end (Kafka's maybeUpdateHighWatermark). */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): boolean {
    const target = leaderHighWatermark < this.log.logEndOffset ? leaderHighWatermark : this.log.logEndOffset;
    if (!this.log.maybeIncrementHighWatermark(target)) return false;
    this.countVisibleBytes();
    this.notify();
    return true;
  }

  /** The current leader epoch a request names, checked (Kafka's Partition.checkCurrentLeaderEpoch). */
  checkCurrentLeaderEpoch(currentLeaderEpoch: number): number {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this._leaderEpoch) return ErrorCode.NONE;
    return currentLeaderEpoch > this._leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
  }

  /** Kafka's getLocalLog: the epoch check, then (requireLeader; not for KIP-392 consumer fetches) NOT_LEADER_OR_FOLLOWER on a follower. */
  checkLeader(currentLeaderEpoch: number, requireLeader = true): number {
    const errorCode = this.checkCurrentLeaderEpoch(currentLeaderEpoch);
    return errorCode === ErrorCode.NONE && requireLeader && !this.isLeader ? ErrorCode.NOT_LEADER_OR_FOLLOWER : errorCode;
  }

  /**
   * A follower removes its records at and after `offset` (a diverging epoch, or a leader whose
   * log ends earlier) and rebuilds its producer state from what is left. Returns whether
   * anything was removed.
   */
  async truncateTo(offset: bigint): Promise<boolean> {
    if (!(await this.log.truncateTo(offset))) return false;
    await this.afterTruncation();
    return true;
  }

  /** A follower below the leader's log start: its log starts over, empty, at `offset`. */
  async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    await this.log.truncateFullyAndStartAt(offset);
    await this.afterTruncation();
  }

  private async afterTruncation(): Promise<void> {
    this.producers.loadSnapshot(NO_PRODUCERS);
    await this.producerStore.load();
    const leo = this.log.logEndOffset;
    const local = this.replicaStates.get(this.localBrokerId);
    if (local) local.logEndOffset = leo;
    for (let i = this.unreadableAppends.length - 1; i >= 0; i--) if (this.unreadableAppends[i]!.endOffset > leo) this.unreadableAppends.splice(i, 1);
  }

  /** The offset a read may not pass. */
  maxOffsetFor(isolation: FetchIsolation): bigint {
    return isolation === 'log-end' ? this.logEndOffset : isolation === 'txn-committed' ? this.lastStableOffset : this.highWatermark;
  }

  /** Locates whole batches from `fetchOffset` (no bytes read yet). Throws storage errors. */
  locateRecords(fetchOffset: bigint, maxBytes: number, isolation: FetchIsolation, minOneMessage: boolean): Promise<FetchDataInfo> {
    return this.log.read(fetchOffset, maxBytes, this.maxOffsetFor(isolation), minOneMessage);
  }

  /** Kafka's endOffsetForEpoch: the current epoch ends at the log end even before anything is written in it. */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    if (epoch === this._leaderEpoch) return { epoch, endOffset: this.logEndOffset };
    return this.log.endOffsetForEpoch(epoch);
  }

  /**
   * Kafka's lastOffsetForLeaderEpoch (OffsetForLeaderEpoch): the end offset of `leaderEpoch`
   * (or of the largest epoch below it), after checking the requester's current leader epoch.
   */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number, leaderEpoch: number): { errorCode: number; leaderEpoch: number; endOffset: bigint } {
    const errorCode = this.checkLeader(currentLeaderEpoch);
    if (errorCode !== ErrorCode.NONE) return { errorCode, leaderEpoch: -1, endOffset: -1n };
    const end = this.endOffsetForEpoch(leaderEpoch);
    return { errorCode, leaderEpoch: end.epoch, endOffset: end.endOffset };
  }

  /**
   * Kafka's fetchOffsetForTimestamp (ListOffsets): LATEST is the isolation's bound; a timestamp
   * or another sentinel the log's answer, if at or below that bound. Throws storage errors.
   */
  async fetchOffsetForTimestamp(timestamp: bigint, isolation: FetchIsolation, currentLeaderEpoch: number): Promise<{ errorCode: number; found?: { offset: bigint; timestamp: bigint; leaderEpoch: number } }> {
    const errorCode = this.checkLeader(currentLeaderEpoch);
    if (errorCode !== ErrorCode.NONE) return { errorCode };
    const upperBound = this.maxOffsetFor(isolation);
    if (timestamp === LATEST_TIMESTAMP) return { errorCode, found: { offset: upperBound, timestamp: -1n, leaderEpoch: this._leaderEpoch } };
    const found = await this.log.fetchOffsetByTimestamp(timestamp);
    if (found && found.offset <= upperBound) {
      // An empty log's start is in the current epoch (Kafka's cache has it from the election).
      const leaderEpoch = found.leaderEpoch < 0 && found.offset === this.logEndOffset ? this._leaderEpoch : found.leaderEpoch;
      return { errorCode, found: { offset: found.offset, timestamp: found.timestamp, leaderEpoch } };
    }
    // Beyond the bound: the bound. Nothing at or after the timestamp: no offset (-1).
    if (found) return { errorCode, found: { offset: upperBound, timestamp: -1n, leaderEpoch: -1 } };
    return { errorCode };
  }

  /** Aborted transactions overlapping [fetchOffset, upperBound), for read_committed fetches. */
  abortedTransactions(fetchOffset: bigint, upperBound: bigint): { producerId: bigint; firstOffset: bigint }[] {
    return this.producers.collectAborted(fetchOffset, upperBound).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
  }

  /**
   * Kafka's deleteRecordsOnLeader (DeleteRecords): moves the log start offset up to `offset`
   * (-1: the high watermark). Only delete-retention topics; never past the high watermark.
   * Returns the new log start offset (the "low watermark"). Throws storage errors.
   */
  async deleteRecordsOnLeader(offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }> {
    if (!isDeleteRetention(this.log.config)) return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1n };
    const target = offset === -1n ? this.highWatermark : offset;
    if (target < 0n || target > this.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n };
    return { errorCode: ErrorCode.NONE, lowWatermark: await this.log.advanceLogStartOffset(target) };
  }

  sizeInBytes(): Promise<number> {
    return this.log.sizeInBytes();
  }

  /** Throws InvariantViolation if the offsets or the replica sets are out of order. */
  checkInvariants(): void {
    const start = this.logStartOffset;
    const lso = this.lastStableOffset;
    const hw = this.highWatermark;
    const leo = this.logEndOffset;
    if (!(start <= lso && lso <= hw && hw <= leo)) throw new InvariantViolation(`${this.name}: logStartOffset ${start} <= lastStableOffset ${lso} <= highWatermark ${hw} <= logEndOffset ${leo} does not hold`);
    if (!this.isLeader) return;
    if (!this._isr.includes(this.localBrokerId) || this._isr.some((id) => !this._replicas.includes(id))) throw new InvariantViolation(`${this.name}: ISR [${this._isr}] vs replicas [${this._replicas}]`);
    for (const id of this._isr) {
      const replicaLeo = this.replicaStates.get(id)?.logEndOffset ?? -1n;
      // -1: a follower that has not fetched since this node became leader (its end is unknown).
      if (replicaLeo >= 0n && replicaLeo < hw) throw new InvariantViolation(`${this.name}: ISR member ${id} at ${replicaLeo} is below the high watermark ${hw}`);
    }
  }

  /** `validated`: the log validator's summary of exactly these bytes, so storage need not walk their headers again. */
  private appendToLog(records: Buffer, validated: BatchesSummary | undefined): Promise<LogAppendInfo> {
    this.checkStillLeader();
    return this.log.append(records, this._leaderEpoch, validated);
  }

  /**
   * Callers check leadership before they await (transaction verification, a duplicate's first
   * append); this broker may have become a follower since. Kafka holds leaderIsrUpdateLock over
   * the check and the append; here the check runs in the same tick as the append, so a follower
   * never stamps a client's batch with the new leader's epoch.
   */
  private checkStillLeader(): void {
    if (!this.isLeader || this.deleted) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This server is no longer the leader for partition ${this.name}`);
  }

  /** The local replica acknowledged an append: its end moves, and with it maybe the high watermark; waiting fetches (followers' too) are told. */
  private localAppended(info: LogAppendInfo, bytes: number): void {
    this.replicaStates.get(this.localBrokerId)?.appended(info.lastOffset + 1n, this.time.now());
    this.unreadableAppends.push({ endOffset: info.lastOffset + 1n, bytes });
    this.appendedBytes += bytes;
    this.maybeIncrementLeaderHW();
    this.notify();
  }

  private notify(): void {
    this.listener?.(this);
  }
}
