/**
 * The transaction state of one `__transaction_state` partition (Kafka's TransactionStateManager
 * and the transitions of TransactionCoordinator), as the coordinator runtime runs it. The
 * metadata of each transactional id changes only by replaying the TransactionLog records its
 * operations write (after the append, and when the partition loads); what is never stored —
 * an operation under way (`pending`), the timers — lives in memory.
 *
 * Transitions: Empty/CompleteCommit/CompleteAbort → Ongoing (AddPartitionsToTxn,
 * AddOffsetsToTxn) → PrepareCommit/PrepareAbort (EndTxn, timeout) → markers written to every
 * partition → CompleteCommit/CompleteAbort. InitProducerId bumps the epoch (a new producer id
 * when the epoch is exhausted), fencing the previous holder; an ongoing transaction is aborted
 * first with the bumped epoch. A transaction older than its timeout is aborted the same way.
 * After a load, transactions found in PrepareCommit/PrepareAbort are completed (markers
 * rewritten) and ongoing ones abort when they time out.
 */
import { ErrorCode as E } from '../../protocol/error-codes.js';
import type { Logger } from '../../util/logger.js';
import { CoordinatorError } from '../runtime/errors.js';
import type { CoordinatorShard, ShardInit, ShardScheduler, Write } from '../runtime/shard.js';
import { TXN_STATE_NAMES, TxnState, tpKey, type TopicPartition, type TxnMetadata, type TxnRecord } from './records.js';

export interface TxnShardConfig {
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms (Kafka: 10 s). */
  abortCheckIntervalMs: number;
  /** transactional.id.expiration.ms (Kafka: 7 days): ids idle that long with no transaction are removed. */
  transactionalIdExpirationMs: number;
}

export interface TxnShardDeps extends ShardInit<TxnRecord> {
  config: TxnShardConfig;
  now: () => number;
  logger: Logger;
  generateProducerId(): Promise<bigint>;
  /** Writes COMMIT/ABORT markers (with this shard's coordinator epoch) to every partition; throws when one cannot be written. */
  writeMarkers(producerId: bigint, producerEpoch: number, commit: boolean, partitions: TopicPartition[], coordinatorEpoch: number): Promise<void>;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

const MAX_EPOCH = 32767;
const CLEANUP_KEY = 'txn-cleanup';
const RECOVERY_ATTEMPTS = 50;

export class TransactionStateShard implements CoordinatorShard<TxnRecord> {
  readonly txns = new Map<string, TxnMetadata>();
  private readonly scheduler: ShardScheduler<TxnRecord>;

  constructor(private readonly deps: TxnShardDeps) {
    this.scheduler = deps.scheduler;
  }

  // -------------------------------------------------------------------------------------------
  // Replay: the only way a transactional id's metadata changes.

  replay(record: TxnRecord): void {
    if (record.value === null) {
      this.txns.delete(record.transactionalId);
      return;
    }
    const current = this.txns.get(record.transactionalId);
    // Operations hold the metadata object: it is updated in place, its in-memory `pending` kept.
    if (current) Object.assign(current, record.value, { pending: current.pending });
    else this.txns.set(record.transactionalId, { ...record.value, pending: false });
  }

  /** Transactions caught between prepare and complete are finished; timeouts and expiry are checked from now on. */
  onLoaded(): void {
    for (const m of this.txns.values()) {
      if (m.state !== TxnState.PrepareCommit && m.state !== TxnState.PrepareAbort) continue;
      m.pending = true;
      const commit = m.state === TxnState.PrepareCommit;
      this.scheduler.submit((write) => this.recover(write, m, commit, 0));
    }
    if (this.txns.size > 0) this.deps.logger.info('transaction state partition loaded', { transactions: this.txns.size });
    this.scheduleCleanup();
  }

  onUnloaded(): void {}

  // -------------------------------------------------------------------------------------------
  // Operations: each runs alone in the shard's turn and writes through `write`.

  async initProducerId(write: Write<TxnRecord>, transactionalId: string, timeoutMs: number, expected?: { producerId: bigint; producerEpoch: number }): Promise<InitProducerIdResult> {
    const now = this.deps.now();
    const m = this.txns.get(transactionalId);
    const failed = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (!m) {
      const producerId = await this.deps.generateProducerId();
      await this.persist(write, { transactionalId, producerId, producerEpoch: 0, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now, pending: false });
      return { errorCode: E.NONE, producerId, producerEpoch: 0 };
    }
    if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort || m.state === TxnState.PrepareEpochFence) return failed(E.CONCURRENT_TRANSACTIONS);
    const kip360 = expected !== undefined && expected.producerId >= 0n;
    if (kip360 && expected.producerId !== m.producerId) return failed(E.PRODUCER_FENCED);
    if (m.state === TxnState.Ongoing) {
      // As Kafka: fence the current holder, abort its transaction with the bumped epoch, and
      // answer CONCURRENT_TRANSACTIONS; the retry bumps the epoch a second time.
      await this.abortOngoing(write, m, now);
      return failed(E.CONCURRENT_TRANSACTIONS);
    }
    let producerId = m.producerId;
    let epoch = m.producerEpoch + 1;
    let lastProducerEpoch = -1;
    if (kip360) {
      if (expected.producerEpoch === m.producerEpoch) lastProducerEpoch = m.producerEpoch;
      else if (expected.producerEpoch === (m.lastProducerEpoch ?? -1)) {
        // The producer was fenced by a timeout (or retries a bump it did not hear of): it gets
        // the current epoch, not bumped again (Kafka's prepareIncrementProducerEpoch).
        epoch = m.producerEpoch;
        lastProducerEpoch = expected.producerEpoch;
      } else return failed(E.PRODUCER_FENCED);
    }
    if (epoch >= MAX_EPOCH - 1) {
      producerId = await this.deps.generateProducerId();
      epoch = 0;
      lastProducerEpoch = -1;
    }
    await this.persist(write, { ...m, producerId, producerEpoch: epoch, lastProducerEpoch, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now });
    return { errorCode: E.NONE, producerId, producerEpoch: epoch };
  }

  /** AddPartitionsToTxn (and AddOffsetsToTxn): one error code for all the partitions. */
  async addPartitions(write: Write<TxnRecord>, transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<number> {
    const m = this.check(transactionalId, producerId, producerEpoch);
    const now = this.deps.now();
    const added = partitions.filter((tp) => !m.partitions.has(tpKey(tp.topic, tp.partition)));
    if (m.state === TxnState.Ongoing && added.length === 0) return E.NONE;
    const next = new Map(m.partitions);
    for (const tp of added) next.set(tpKey(tp.topic, tp.partition), tp);
    const starting = m.state !== TxnState.Ongoing;
    await this.persist(write, { ...m, state: TxnState.Ongoing, partitions: next, startTimestamp: starting ? now : m.startTimestamp, lastUpdateTimestamp: now });
    return E.NONE;
  }

  /** EndTxn: answers once the markers are written and the transaction is complete. */
  async endTxn(write: Write<TxnRecord>, transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return E.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return E.PRODUCER_FENCED;
    if (m.pending) return E.CONCURRENT_TRANSACTIONS;
    switch (m.state) {
      case TxnState.Ongoing:
        await this.persist(write, { ...m, state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, lastUpdateTimestamp: this.deps.now(), partitions: new Map(m.partitions) });
        await this.writeMarkersAndComplete(write, m, commit);
        return E.NONE;
      case TxnState.CompleteCommit:
        return commit ? E.NONE : E.INVALID_TXN_STATE; // a retry of the commit
      case TxnState.CompleteAbort:
        return commit ? E.INVALID_TXN_STATE : E.NONE;
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return E.CONCURRENT_TRANSACTIONS;
      default:
        return E.INVALID_TXN_STATE;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reads: the current state, outside the queue (an operation under way shows as `pending`).

  /** KIP-890 verification: is each partition part of this producer's ongoing transaction? */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Map<string, number> | number {
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) return E.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producerEpoch) return E.PRODUCER_FENCED;
    if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return E.CONCURRENT_TRANSACTIONS;
    // Kafka 3.8+ (KAFKA-16314): a partition outside the transaction is TRANSACTION_ABORTABLE;
    // callers translate it for clients that predate it.
    const out = new Map<string, number>();
    for (const tp of partitions) out.set(tpKey(tp.topic, tp.partition), m.state === TxnState.Ongoing && m.partitions.has(tpKey(tp.topic, tp.partition)) ? E.NONE : E.TRANSACTION_ABORTABLE);
    return out;
  }

  describe(transactionalId: string): DescribedTransaction | undefined {
    const m = this.txns.get(transactionalId);
    if (!m) return undefined;
    const byTopic = new Map<string, number[]>();
    for (const tp of m.partitions.values()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    return {
      errorCode: E.NONE,
      transactionalId,
      transactionState: TXN_STATE_NAMES[m.state] ?? 'Dead',
      transactionTimeoutMs: m.timeoutMs,
      transactionStartTimeMs: BigInt(m.startTimestamp),
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  // -------------------------------------------------------------------------------------------

  /** Checks the producer against the transaction; returns the metadata or throws CoordinatorError. */
  private check(transactionalId: string, producerId: bigint, producerEpoch: number): TxnMetadata {
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) throw new CoordinatorError(E.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerEpoch !== producerEpoch) throw new CoordinatorError(E.PRODUCER_FENCED);
    if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) throw new CoordinatorError(E.CONCURRENT_TRANSACTIONS);
    if (m.state === TxnState.PrepareEpochFence || m.state === TxnState.Dead) throw new CoordinatorError(E.CONCURRENT_TRANSACTIONS);
    return m;
  }

  /** Writes the metadata's record; the state changes when it is replayed, once stored. */
  private persist(write: Write<TxnRecord>, next: TxnMetadata): Promise<void> {
    return write([{ transactionalId: next.transactionalId, value: next }]);
  }

  /** Bumps the epoch of an ongoing transaction and aborts it (InitProducerId of a new holder, timeout); the markers are written before it returns. */
  private async abortOngoing(write: Write<TxnRecord>, m: TxnMetadata, now: number): Promise<void> {
    let epoch = m.producerEpoch;
    if (epoch < MAX_EPOCH - 1) epoch++;
    // The fenced epoch stays known: its producer may recover with InitProducerId (KIP-360).
    await this.persist(write, { ...m, producerEpoch: epoch, lastProducerEpoch: m.producerEpoch, state: TxnState.PrepareAbort, lastUpdateTimestamp: now, partitions: new Map(m.partitions) });
    await this.writeMarkersAndComplete(write, m, false);
  }

  private async writeMarkersAndComplete(write: Write<TxnRecord>, m: TxnMetadata, commit: boolean): Promise<void> {
    m.pending = true;
    try {
      await this.deps.writeMarkers(m.producerId, m.producerEpoch, commit, [...m.partitions.values()], this.deps.epoch);
      await this.persist(write, { ...m, state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), lastUpdateTimestamp: this.deps.now() });
    } finally {
      m.pending = false;
    }
  }

  /** Completes a prepared transaction found when loading: retried, with a growing delay, until it succeeds. */
  private async recover(write: Write<TxnRecord>, m: TxnMetadata, commit: boolean, attempt: number): Promise<void> {
    try {
      await this.writeMarkersAndComplete(write, m, commit);
    } catch (e) {
      if (e instanceof CoordinatorError || attempt >= RECOVERY_ATTEMPTS) {
        this.deps.logger.warn('completing a recovered transaction failed', { transactionalId: m.transactionalId, error: e });
        return;
      }
      this.scheduler.schedule(`recover:${m.transactionalId}`, Math.min(5000, 100 * (attempt + 1)), (w) => this.recover(w, m, commit, attempt + 1));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Every abortCheckIntervalMs: timed-out transactions are aborted, then idle ids expired.

  private scheduleCleanup(): void {
    this.scheduler.schedule(CLEANUP_KEY, this.deps.config.abortCheckIntervalMs, () => {
      for (const m of this.txns.values()) if (this.timedOut(m)) this.scheduler.submit((write) => this.abortTimedOut(write, m));
      for (const m of this.txns.values()) if (this.expired(m)) this.scheduler.submit((write) => this.expire(write, m));
      this.scheduleCleanup();
    });
  }

  private timedOut(m: TxnMetadata): boolean {
    return m.state === TxnState.Ongoing && !m.pending && m.startTimestamp + m.timeoutMs <= this.deps.now();
  }

  /** Idle for transactional.id.expiration.ms with no transaction. */
  private expired(m: TxnMetadata): boolean {
    const idle = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
    return !m.pending && idle && m.lastUpdateTimestamp + this.deps.config.transactionalIdExpirationMs <= this.deps.now();
  }

  /** Aborts a transaction older than its timeout (epoch bumped: the producer is fenced). */
  private async abortTimedOut(write: Write<TxnRecord>, m: TxnMetadata): Promise<void> {
    if (this.txns.get(m.transactionalId) !== m || !this.timedOut(m)) return;
    this.deps.logger.info('aborting timed out transaction', { transactionalId: m.transactionalId, producerId: m.producerId });
    try {
      await this.abortOngoing(write, m, this.deps.now());
    } catch (e) {
      this.deps.logger.warn('aborting a timed out transaction failed', { transactionalId: m.transactionalId, error: e });
    }
  }

  /** Removes an idle transactional id with a tombstone. */
  private async expire(write: Write<TxnRecord>, m: TxnMetadata): Promise<void> {
    if (this.txns.get(m.transactionalId) !== m || !this.expired(m)) return;
    try {
      await write([{ transactionalId: m.transactionalId, value: null }]);
    } catch (e) {
      this.deps.logger.warn('expiring a transactional id failed', { transactionalId: m.transactionalId, error: e });
    }
  }
}
