/**
 * A partition this broker leads: its log plus what replication adds on top of it. On one node
 * the leader is always here, the ISR is this node alone, and the high watermark follows the
 * log's acknowledged end: appended, and in durable mode fdatasync'ed, so a consumer never sees
 * a record that a crash could take back.
 */
import type { PartitionLog, LogAppendInfo } from '../../storage/index.js';
import { ProducerStateManager, type ClientBatch } from '../../storage/producer-state.js';
import { ProducerStateStore } from '../../storage/producer-state-store.js';
import { buildEndTxnMarkerBatch } from '../../protocol/records/index.js';
import type { TopicMetadata } from '../metadata.js';

/** Woken when the high watermark moves; `bytes` is how much became readable. */
export type DataWaiter = (bytes: number) => void;

/** Topic configs the produce path checks, parsed once per config change rather than per request. */
export interface ProduceChecks {
  timestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms / after.max.ms; MAX_SAFE_INTEGER = unchecked. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
}

export class Partition {
  /** Leader epoch: bumped when leadership changes (never on one node, kept for OffsetForLeaderEpoch). */
  leaderEpoch = 0;
  checks: ProduceChecks = { timestampType: 'CreateTime', timestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, timestampAfterMaxMs: Number.MAX_SAFE_INTEGER };
  private readonly waiters = new Set<DataWaiter>();
  /** Idempotent/transactional producers of this partition (see storage/producer-state.ts). */
  readonly producers: ProducerStateManager;
  readonly producerStore: ProducerStateStore;

  constructor(
    readonly topic: TopicMetadata,
    readonly index: number,
    readonly log: PartitionLog,
  ) {
    this.producers = new ProducerStateManager(`${topic.name}-${index}`);
    this.producerStore = new ProducerStateStore(log, this.producers);
    // As Kafka's Partition.makeLeader (maybeAssignEpochStartOffset): the leader's epoch starts at
    // the log end offset even before anything is written in it, so an empty log answers
    // ListOffsets earliest and OffsetForLeaderEpoch with epoch 0.
    log.leaderEpochCache.assign(this.leaderEpoch, log.logEndOffset);
  }

  get name(): string {
    return `${this.topic.name}-${this.index}`;
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
  /** The high watermark, or the first offset of the earliest ongoing transaction if lower. */
  get lastStableOffset(): bigint {
    const hw = this.log.highWatermark;
    const first = this.producers.firstUnstableOffset();
    return first !== undefined && first < hw ? first : hw;
  }

  /**
   * Appends a client's batch: with a producer id, the producer state check (sequence, epoch,
   * duplicates) and the append are one step per producer: a retried batch is answered with the
   * offsets it got the first time. Throws ProducerStateError.
   */
  async appendFromClient(records: Buffer, batch: ClientBatch): Promise<LogAppendInfo> {
    if (batch.producerId < 0n) return this.appendAsLeader(records);
    const staged = this.producers.checkAndStage(batch, this.log.logEndOffset);
    if (staged.kind === 'duplicate') {
      const b = staged.batch;
      if (b.done) await b.done;
      if (b.firstOffset < 0n) return this.appendFromClient(records, batch); // the original failed: try again
      return { firstOffset: b.firstOffset, lastOffset: b.lastOffset, logAppendTime: -1n, maxTimestamp: b.timestamp, offsetOfMaxTimestamp: b.lastOffset, logStartOffset: this.logStartOffset, numMessages: 0, validBytes: 0 };
    }
    let info: LogAppendInfo;
    this.producerStore.inFlight++;
    try {
      info = await this.log.append(records, this.leaderEpoch);
    } catch (e) {
      this.producers.fail(staged.staged);
      throw e;
    } finally {
      this.producerStore.inFlight--;
    }
    this.producers.complete(staged.staged, info.firstOffset, info.lastOffset);
    this.producerStore.appended(records.length);
    if (this.log.maybeIncrementHighWatermark(info.lastOffset + 1n)) this.wake(records.length);
    return info;
  }

  /** Writes a COMMIT or ABORT marker for the producer's transaction (WriteTxnMarkers). Throws ProducerStateError. */
  async appendTxnMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean): Promise<LogAppendInfo> {
    this.producers.checkMarker(producerId, producerEpoch, coordinatorEpoch);
    const timestamp = Date.now();
    const batch = buildEndTxnMarkerBatch({ producerId, producerEpoch, coordinatorEpoch, commit, timestamp });
    this.producerStore.inFlight++;
    let info: LogAppendInfo;
    try {
      info = await this.log.append(batch, this.leaderEpoch);
      const aborted = this.producers.applyMarker(producerId, producerEpoch, coordinatorEpoch, commit, info.firstOffset, BigInt(timestamp));
      if (aborted) await this.producerStore.indexAborted(aborted);
    } finally {
      this.producerStore.inFlight--;
    }
    this.producerStore.appended(batch.length);
    if (this.log.maybeIncrementHighWatermark(info.lastOffset + 1n)) this.wake(batch.length);
    else this.wake(0);
    return info;
  }

  /**
   * Appends validated batches as leader. Resolves once the records are acknowledged (written,
   * and synced in durable mode); the high watermark then covers them and waiting fetches wake.
   */
  async appendAsLeader(records: Buffer): Promise<LogAppendInfo> {
    const info = await this.log.append(records, this.leaderEpoch);
    if (this.log.maybeIncrementHighWatermark(info.lastOffset + 1n)) this.wake(records.length);
    return info;
  }

  onData(waiter: DataWaiter): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  private wake(bytes: number): void {
    for (const w of [...this.waiters]) w(bytes);
  }
}
