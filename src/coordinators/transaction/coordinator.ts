/**
 * The transaction coordinator (Kafka's TransactionCoordinator + TransactionStateManager, the
 * transaction protocol of Kafka 3.x without KIP-890 part 2), on one node.
 *
 * State of every transactional id lives in `__transaction_state` (partitioned by
 * Utils.abs(transactionalId.hashCode()) % partitions), as Kafka's TransactionLogKey/Value
 * records; a partition's state is rebuilt by replaying it on start. Operations on one partition
 * run one at a time: each writes its record, and only once the append is acknowledged is the
 * state changed and the answer sent.
 *
 * Transitions: Empty/CompleteCommit/CompleteAbort → Ongoing (AddPartitionsToTxn,
 * AddOffsetsToTxn) → PrepareCommit/PrepareAbort (EndTxn, timeout) → markers written to every
 * partition → CompleteCommit/CompleteAbort. InitProducerId bumps the epoch (a new producer id
 * when the epoch is exhausted), fencing the previous holder; an ongoing transaction is aborted
 * first with the bumped epoch. A transaction older than its timeout is aborted the same way.
 * After a restart, transactions found in PrepareCommit/PrepareAbort are completed (markers
 * rewritten) and ongoing ones abort when they time out.
 */
import { buildRecordBatch, iterateBatches, iterateRecords } from '../../protocol/records/index.js';
import { TransactionLogKeyCodec } from '../../protocol/generated/internal/transaction-log-key.js';
import { TransactionLogValueCodec, type TransactionLogValue } from '../../protocol/generated/internal/transaction-log-value.js';
import { Reader, Writer, decodeMessage } from '../../protocol/runtime/index.js';
import type { Logger } from '../../util/logger.js';
import { javaStringHashCode, javaUtilsAbs } from '../group/records.js';
import { SYSTEM_TIME, type Time, type TimerHandle } from '../../util/time.js';
import type { CoordinatorLog } from '../group/runtime.js';
import { ErrorCode } from '../../protocol/error-codes.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** The Kafka error codes the transaction coordinator answers with: the protocol's own table. */
export const TxnErrors = ErrorCode;

/** TransactionState ids as stored in TransactionLogValue.transactionStatus. */
export const enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export const TXN_STATE_NAMES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TxnMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, TopicPartition>;
  startTimestamp: number;
  lastUpdateTimestamp: number;
  /** An operation (markers being written) is under way: others get CONCURRENT_TRANSACTIONS. */
  pending: boolean;
  /**
   * Kafka's lastProducerEpoch (KIP-360): the epoch before the last bump that a producer may still
   * name to recover (fenced by a timeout, or a retried InitProducerId), -1 when none. In memory
   * only: after a restart such a producer is fenced, as with a Kafka coordinator that moved.
   */
  lastProducerEpoch?: number;
}

export interface TxnStateTopic {
  partitions(): number | undefined;
  create(partitions: number): Promise<void>;
  log(partition: number): CoordinatorLog | undefined;
}

export interface TransactionCoordinatorOptions {
  time?: Time;
  logger: Logger;
  /** transaction.state.log.num.partitions */
  numPartitions: number;
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms (Kafka: 10 s). */
  abortCheckIntervalMs?: number;
  /** transactional.id.expiration.ms (Kafka: 7 days): ids idle that long with no transaction are removed. */
  transactionalIdExpirationMs?: number;
  topic: TxnStateTopic;
  generateProducerId(): Promise<bigint>;
  /** Writes COMMIT/ABORT markers to every partition (throws when one cannot be written). */
  writeMarkers(producerId: bigint, producerEpoch: number, commit: boolean, partitions: TopicPartition[]): Promise<void>;
  /** Whether a topic partition exists (AddPartitionsToTxn of an unknown one fails). */
  partitionExists(topic: string, partition: number): boolean;
  errorCode(e: unknown): number;
}

class TxnError extends Error {
  constructor(readonly code: number, message?: string) {
    super(message ?? `transaction error ${code}`);
  }
}

interface Shard {
  status: 'loading' | 'active' | 'failed';
  log: CoordinatorLog;
  txns: Map<string, TxnMetadata>;
  queue: Promise<void>;
  loaded: Promise<void>;
}

const MAX_EPOCH = 32767;
const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function partitionForTransactionalId(transactionalId: string, partitions: number): number {
  return javaUtilsAbs(javaStringHashCode(transactionalId)) % partitions;
}

export function encodeTxnRecord(m: TxnMetadata): { key: Buffer; value: Buffer } {
  const k = new Writer(2 + TransactionLogKeyCodec.size({ transactionalId: m.transactionalId }, 0));
  k.int16(0);
  TransactionLogKeyCodec.write(k, { transactionalId: m.transactionalId }, 0);
  const byTopic = new Map<string, number[]>();
  for (const tp of m.partitions.values()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const value: TransactionLogValue = {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.timeoutMs,
    transactionStatus: m.state,
    transactionPartitions: m.state === TxnState.Empty ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: BigInt(m.lastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(m.startTimestamp),
  };
  const v = new Writer(2 + TransactionLogValueCodec.size(value, 0));
  v.int16(0);
  TransactionLogValueCodec.write(v, value, 0);
  return { key: k.finish(), value: v.finish() };
}

export function decodeTxnRecord(keyBytes: Buffer, valueBytes: Buffer | null): { transactionalId: string; value: TxnMetadata | null } | undefined {
  const kv = new Reader(keyBytes).int16('key.version');
  if (kv !== 0) return undefined;
  const k = decodeMessage(TransactionLogKeyCodec, keyBytes, 0, 2);
  if (valueBytes === null) return { transactionalId: k.transactionalId, value: null };
  const vv = new Reader(valueBytes).int16('value.version');
  const v = vv > 1 ? TransactionLogValueCodec.read(new Reader(valueBytes, 2), 1) : decodeMessage(TransactionLogValueCodec, valueBytes, vv, 2);
  const partitions = new Map<string, TopicPartition>();
  for (const t of v.transactionPartitions ?? []) for (const p of t.partitionIds) partitions.set(key(t.topic, p), { topic: t.topic, partition: p });
  return {
    transactionalId: k.transactionalId,
    value: {
      transactionalId: k.transactionalId,
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      timeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      startTimestamp: Number(v.transactionStartTimestampMs),
      lastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
      pending: false,
    },
  };
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

export class TransactionCoordinator {
  readonly time: Time;
  private readonly shards = new Map<number, Shard>();
  private creating: Promise<void> | undefined;
  private stopped = false;
  private abortTimer: TimerHandle | undefined;

  constructor(private readonly opts: TransactionCoordinatorOptions) {
    this.time = opts.time ?? SYSTEM_TIME;
  }

  startup(): void {
    if (this.opts.topic.partitions() !== undefined) this.serveAll();
    this.scheduleAbortCheck();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.abortTimer) this.time.clearTimeout(this.abortTimer);
    await this.creating?.catch(() => undefined);
    await Promise.all([...this.shards.values()].map((s) => s.loaded));
    await Promise.all([...this.shards.values()].map((s) => s.queue));
  }

  async loaded(): Promise<void> {
    await Promise.all([...this.shards.values()].map((s) => s.loaded));
  }

  /** Resolves when every queued operation has run. */
  async idle(): Promise<void> {
    for (;;) {
      const qs = [...this.shards.values()].map((s) => s.queue);
      await Promise.all(qs);
      if ([...this.shards.values()].every((s, i) => s.queue === qs[i])) return;
    }
  }

  partitionFor(transactionalId: string): number {
    return partitionForTransactionalId(transactionalId, this.opts.topic.partitions() ?? this.opts.numPartitions);
  }

  private serveAll(): void {
    const n = this.opts.topic.partitions() ?? 0;
    for (let p = 0; p < n; p++) {
      if (this.shards.has(p)) continue;
      const log = this.opts.topic.log(p);
      if (!log) continue;
      const shard: Shard = { status: 'loading', log, txns: new Map(), queue: Promise.resolve(), loaded: Promise.resolve() };
      this.shards.set(p, shard);
      shard.loaded = this.load(p, shard);
    }
  }

  private async ensureTopic(): Promise<void> {
    this.creating ??= (async () => {
      try {
        await this.opts.topic.create(this.opts.numPartitions);
      } catch (e) {
        this.opts.logger.warn('cannot create __transaction_state', { error: e });
        throw new TxnError(TxnErrors.COORDINATOR_NOT_AVAILABLE);
      }
      this.serveAll();
      await this.loaded();
    })().finally(() => (this.creating = undefined));
    await this.creating;
  }

  /** The shard of a transactional id (creating the topic on first use when `create`). */
  private async route(transactionalId: string, create: boolean): Promise<Shard | undefined> {
    if (this.stopped) throw new TxnError(TxnErrors.COORDINATOR_NOT_AVAILABLE);
    if (this.opts.topic.partitions() === undefined || this.creating) {
      if (!create && !this.creating) return undefined;
      await this.ensureTopic();
    }
    const p = this.partitionFor(transactionalId);
    if (!this.shards.has(p)) this.serveAll();
    const shard = this.shards.get(p);
    if (!shard || shard.status === 'failed') throw new TxnError(TxnErrors.NOT_COORDINATOR);
    if (shard.status === 'loading') throw new TxnError(TxnErrors.COORDINATOR_LOAD_IN_PROGRESS);
    return shard;
  }

  /** FindCoordinator (key type 1): an error code, NONE when this node serves the id. */
  async findCoordinator(transactionalId: string): Promise<number> {
    try {
      await this.route(transactionalId, true);
      return TxnErrors.NONE;
    } catch (e) {
      if (e instanceof TxnError) return e.code;
      throw e;
    }
  }

  private enqueue<T>(shard: Shard, op: () => Promise<T>): Promise<T> {
    const run = shard.queue.then(op);
    shard.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Appends the metadata's record; the in-memory state is replaced only once it is stored. */
  private async persist(shard: Shard, next: TxnMetadata): Promise<void> {
    const now = this.time.now();
    const { key: k, value } = encodeTxnRecord(next);
    await shard.log.append(buildRecordBatch([{ key: k, value, timestamp: now }], { timestamp: now }));
    const current = shard.txns.get(next.transactionalId);
    if (current) Object.assign(current, next, { pending: current.pending });
    else shard.txns.set(next.transactionalId, next);
  }

  private async load(p: number, shard: Shard): Promise<void> {
    try {
      let offset = shard.log.startOffset();
      for (;;) {
        const data = await shard.log.read(offset, 1 << 20);
        if (data.length === 0 || this.stopped) break;
        for (const batch of iterateBatches(data)) {
          offset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (batch.isControl) continue;
          for (const rec of iterateRecords(batch)) {
            if (rec.key === null) continue;
            const d = decodeTxnRecord(rec.key, rec.value);
            if (!d) continue;
            if (d.value === null) shard.txns.delete(d.transactionalId);
            else shard.txns.set(d.transactionalId, d.value);
          }
        }
      }
      shard.status = 'active';
      // Transactions caught between prepare and complete: finish them.
      for (const m of shard.txns.values()) {
        if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) {
          m.pending = true;
          void this.completeTransaction(shard, m, m.state === TxnState.PrepareCommit).catch((e: unknown) => this.opts.logger.warn('completing a recovered transaction failed', { transactionalId: m.transactionalId, error: e }));
        }
      }
      if (shard.txns.size > 0) this.opts.logger.info('transaction state partition loaded', { partition: p, transactions: shard.txns.size });
    } catch (e) {
      shard.status = 'failed';
      this.opts.logger.error('transaction state partition failed to load', { partition: p, error: e });
    }
  }

  // -------------------------------------------------------------------------------------------

  async initProducerId(transactionalId: string | null, timeoutMs: number, expected?: { producerId: bigint; producerEpoch: number }): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionalId === null) {
      try {
        return { errorCode: TxnErrors.NONE, producerId: await this.opts.generateProducerId(), producerEpoch: 0 };
      } catch (e) {
        this.opts.logger.warn('producer id allocation failed', { error: e });
        return fail(TxnErrors.COORDINATOR_NOT_AVAILABLE);
      }
    }
    if (transactionalId === '') return fail(TxnErrors.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.opts.maxTimeoutMs) return fail(TxnErrors.INVALID_TRANSACTION_TIMEOUT);
    try {
      const shard = (await this.route(transactionalId, true))!;
      return await this.enqueue(shard, () => this.initInQueue(shard, transactionalId, timeoutMs, expected));
    } catch (e) {
      if (e instanceof TxnError) return fail(e.code);
      this.opts.logger.warn('InitProducerId failed', { transactionalId, error: e });
      return fail(this.opts.errorCode(e));
    }
  }

  private async initInQueue(shard: Shard, transactionalId: string, timeoutMs: number, expected?: { producerId: bigint; producerEpoch: number }): Promise<InitProducerIdResult> {
    const now = this.time.now();
    let m = shard.txns.get(transactionalId);
    if (!m) {
      const producerId = await this.opts.generateProducerId();
      const fresh: TxnMetadata = { transactionalId, producerId, producerEpoch: 0, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now, pending: false };
      await this.persist(shard, fresh);
      return { errorCode: TxnErrors.NONE, producerId, producerEpoch: 0 };
    }
    if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort || m.state === TxnState.PrepareEpochFence) {
      return { errorCode: TxnErrors.CONCURRENT_TRANSACTIONS, producerId: -1n, producerEpoch: -1 };
    }
    const fenced = { errorCode: TxnErrors.PRODUCER_FENCED, producerId: -1n, producerEpoch: -1 };
    const kip360 = expected !== undefined && expected.producerId >= 0n;
    if (kip360 && expected.producerId !== m.producerId) return fenced;
    if (m.state === TxnState.Ongoing) {
      // As Kafka: fence the current holder, abort its transaction with the bumped epoch, and
      // answer CONCURRENT_TRANSACTIONS; the retry bumps the epoch a second time.
      await this.abortOngoing(shard, m, now);
      return { errorCode: TxnErrors.CONCURRENT_TRANSACTIONS, producerId: -1n, producerEpoch: -1 };
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
      } else return fenced;
    }
    if (epoch >= MAX_EPOCH - 1) {
      producerId = await this.opts.generateProducerId();
      epoch = 0;
      lastProducerEpoch = -1;
    }
    await this.persist(shard, { ...m, producerId, producerEpoch: epoch, lastProducerEpoch, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now });
    return { errorCode: TxnErrors.NONE, producerId, producerEpoch: epoch };
  }

  /**
   * Bumps the epoch of an ongoing transaction and aborts it (InitProducerId of a new holder,
   * timeout). Runs in the shard's queue; the markers are written before it returns.
   */
  private async abortOngoing(shard: Shard, m: TxnMetadata, now: number): Promise<void> {
    let epoch = m.producerEpoch;
    if (epoch < MAX_EPOCH - 1) epoch++;
    // The fenced epoch stays known: its producer may recover with InitProducerId (KIP-360).
    await this.persist(shard, { ...m, producerEpoch: epoch, lastProducerEpoch: m.producerEpoch, state: TxnState.PrepareAbort, lastUpdateTimestamp: now, partitions: new Map(m.partitions) });
    await this.writeMarkersAndComplete(shard, m, false);
  }

  private async writeMarkersAndComplete(shard: Shard, m: TxnMetadata, commit: boolean): Promise<void> {
    m.pending = true;
    try {
      await this.opts.writeMarkers(m.producerId, m.producerEpoch, commit, [...m.partitions.values()]);
      await this.persist(shard, { ...m, state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), lastUpdateTimestamp: this.time.now() });
    } finally {
      m.pending = false;
    }
  }

  /** Completes a prepared transaction outside an operation (recovery): retried until it succeeds. */
  private async completeTransaction(shard: Shard, m: TxnMetadata, commit: boolean): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.enqueue(shard, () => this.writeMarkersAndComplete(shard, m, commit));
        return;
      } catch (e) {
        if (attempt >= 50) throw e;
        await new Promise<void>((r) => this.time.setTimeout(r, Math.min(5000, 100 * (attempt + 1))));
      }
    }
  }

  /** Checks the producer against the transaction; returns the metadata or throws TxnError. */
  private check(shard: Shard, transactionalId: string, producerId: bigint, producerEpoch: number): TxnMetadata {
    const m = shard.txns.get(transactionalId);
    if (!m) throw new TxnError(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerId !== producerId) throw new TxnError(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerEpoch !== producerEpoch) throw new TxnError(TxnErrors.PRODUCER_FENCED);
    if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) throw new TxnError(TxnErrors.CONCURRENT_TRANSACTIONS);
    if (m.state === TxnState.PrepareEpochFence || m.state === TxnState.Dead) throw new TxnError(TxnErrors.CONCURRENT_TRANSACTIONS);
    return m;
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn, with the group's `__consumer_offsets` partition).
   * Returns an error per partition (all the same, or UNKNOWN_TOPIC_OR_PARTITION for unknown ones
   * with OPERATION_NOT_ATTEMPTED for the rest).
   */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const all = (code: number) => {
      for (const tp of partitions) out.set(key(tp.topic, tp.partition), code);
      return out;
    };
    const unknown = partitions.filter((tp) => !this.opts.partitionExists(tp.topic, tp.partition));
    if (unknown.length > 0) {
      all(TxnErrors.OPERATION_NOT_ATTEMPTED);
      for (const tp of unknown) out.set(key(tp.topic, tp.partition), TxnErrors.UNKNOWN_TOPIC_OR_PARTITION);
      return out;
    }
    try {
      const shard = await this.route(transactionalId, false);
      if (!shard) return all(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
      return await this.enqueue(shard, async () => {
        const m = this.check(shard, transactionalId, producerId, producerEpoch);
        const now = this.time.now();
        const added = partitions.filter((tp) => !m.partitions.has(key(tp.topic, tp.partition)));
        if (m.state === TxnState.Ongoing && added.length === 0) return all(TxnErrors.NONE);
        const next = new Map(m.partitions);
        for (const tp of added) next.set(key(tp.topic, tp.partition), tp);
        const starting = m.state !== TxnState.Ongoing;
        await this.persist(shard, { ...m, state: TxnState.Ongoing, partitions: next, startTimestamp: starting ? now : m.startTimestamp, lastUpdateTimestamp: now });
        return all(TxnErrors.NONE);
      });
    } catch (e) {
      if (e instanceof TxnError) return all(e.code);
      this.opts.logger.warn('AddPartitionsToTxn failed', { transactionalId, error: e });
      return all(this.opts.errorCode(e));
    }
  }

  /** KIP-890 verification: is each partition part of this producer's ongoing transaction? */
  async verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const all = (code: number) => {
      for (const tp of partitions) out.set(key(tp.topic, tp.partition), code);
      return out;
    };
    try {
      const shard = await this.route(transactionalId, false);
      if (!shard) return all(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
      const m = shard.txns.get(transactionalId);
      if (!m || m.producerId !== producerId) return all(TxnErrors.INVALID_PRODUCER_ID_MAPPING);
      if (m.producerEpoch !== producerEpoch) return all(TxnErrors.PRODUCER_FENCED);
      if (m.pending || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return all(TxnErrors.CONCURRENT_TRANSACTIONS);
      // Kafka 3.8+ (KAFKA-16314): a partition outside the transaction is TRANSACTION_ABORTABLE;
      // callers translate it for clients that predate it.
      for (const tp of partitions) out.set(key(tp.topic, tp.partition), m.state === TxnState.Ongoing && m.partitions.has(key(tp.topic, tp.partition)) ? TxnErrors.NONE : TxnErrors.TRANSACTION_ABORTABLE);
      return out;
    } catch (e) {
      if (e instanceof TxnError) return all(e.code);
      throw e;
    }
  }

  /** EndTxn: answers once the markers are written and the transaction is complete. */
  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    try {
      const shard = await this.route(transactionalId, false);
      if (!shard) return TxnErrors.INVALID_PRODUCER_ID_MAPPING;
      return await this.enqueue(shard, async () => {
        const m = shard.txns.get(transactionalId);
        if (!m || m.producerId !== producerId) return TxnErrors.INVALID_PRODUCER_ID_MAPPING;
        if (m.producerEpoch !== producerEpoch) return TxnErrors.PRODUCER_FENCED;
        if (m.pending) return TxnErrors.CONCURRENT_TRANSACTIONS;
        switch (m.state) {
          case TxnState.Ongoing: {
            const now = this.time.now();
            await this.persist(shard, { ...m, state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, lastUpdateTimestamp: now, partitions: new Map(m.partitions) });
            await this.writeMarkersAndComplete(shard, m, commit);
            return TxnErrors.NONE;
          }
          case TxnState.CompleteCommit:
            return commit ? TxnErrors.NONE : TxnErrors.INVALID_TXN_STATE; // a retry of the commit
          case TxnState.CompleteAbort:
            return commit ? TxnErrors.INVALID_TXN_STATE : TxnErrors.NONE;
          case TxnState.PrepareCommit:
          case TxnState.PrepareAbort:
            return TxnErrors.CONCURRENT_TRANSACTIONS;
          default:
            return TxnErrors.INVALID_TXN_STATE;
        }
      });
    } catch (e) {
      if (e instanceof TxnError) return e.code;
      this.opts.logger.warn('EndTxn failed', { transactionalId, error: e });
      return this.opts.errorCode(e);
    }
  }

  /** Removes transactional ids idle for transactional.id.expiration.ms with no transaction (a tombstone each). */
  async expireTransactionalIds(): Promise<number> {
    const expiration = this.opts.transactionalIdExpirationMs ?? 7 * 24 * 3600_000;
    let n = 0;
    await Promise.all(
      [...this.shards.values()].map(async (shard) => {
        if (shard.status !== 'active') return;
        const idle = (m: TxnMetadata) =>
          !m.pending && (m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort) && m.lastUpdateTimestamp + expiration <= this.time.now();
        for (const m of [...shard.txns.values()]) {
          if (!idle(m)) continue;
          await this.enqueue(shard, async () => {
            if (shard.txns.get(m.transactionalId) !== m || !idle(m)) return;
            const now = this.time.now();
            const { key: k } = encodeTxnRecord(m);
            await shard.log.append(buildRecordBatch([{ key: k, value: null, timestamp: now }], { timestamp: now }));
            shard.txns.delete(m.transactionalId);
            n++;
          }).catch((e: unknown) => this.opts.logger.warn('expiring a transactional id failed', { transactionalId: m.transactionalId, error: e }));
        }
      }),
    );
    return n;
  }

  /** Aborts ongoing transactions older than their timeout (epoch bumped: the producer is fenced). */
  async abortTimedOut(): Promise<number> {
    const now = this.time.now();
    let n = 0;
    await Promise.all(
      [...this.shards.values()].map(async (shard) => {
        if (shard.status !== 'active') return;
        for (const m of [...shard.txns.values()]) {
          if (m.state !== TxnState.Ongoing || m.pending || m.startTimestamp + m.timeoutMs > now) continue;
          await this.enqueue(shard, async () => {
            if (m.state !== TxnState.Ongoing || m.pending || m.startTimestamp + m.timeoutMs > this.time.now()) return;
            this.opts.logger.info('aborting timed out transaction', { transactionalId: m.transactionalId, producerId: m.producerId });
            await this.abortOngoing(shard, m, this.time.now());
            n++;
          }).catch((e: unknown) => this.opts.logger.warn('aborting a timed out transaction failed', { transactionalId: m.transactionalId, error: e }));
        }
      }),
    );
    return n;
  }

  private scheduleAbortCheck(): void {
    if (this.stopped) return;
    this.abortTimer = this.time.setTimeout(() => {
      void this.abortTimedOut()
        .then(() => this.expireTransactionalIds())
        .finally(() => this.scheduleAbortCheck());
    }, this.opts.abortCheckIntervalMs ?? 10_000);
  }

  describe(transactionalIds: readonly string[]): Promise<DescribedTransaction[]> {
    return Promise.all(
      transactionalIds.map(async (transactionalId): Promise<DescribedTransaction> => {
        // Kafka leaves the other fields at their schema defaults (0) for an error.
        const none = (errorCode: number): DescribedTransaction => ({ errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: 0n, producerId: 0n, producerEpoch: 0, topics: [] });
        if (transactionalId === '') return none(TxnErrors.INVALID_REQUEST); // as Kafka
        try {
          const shard = await this.route(transactionalId, false);
          const m = shard?.txns.get(transactionalId);
          if (!m) return none(TxnErrors.TRANSACTIONAL_ID_NOT_FOUND);
          const byTopic = new Map<string, number[]>();
          for (const tp of m.partitions.values()) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
          return {
            errorCode: TxnErrors.NONE,
            transactionalId,
            transactionState: TXN_STATE_NAMES[m.state] ?? 'Dead',
            transactionTimeoutMs: m.timeoutMs,
            transactionStartTimeMs: BigInt(m.startTimestamp),
            producerId: m.producerId,
            producerEpoch: m.producerEpoch,
            topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
          };
        } catch (e) {
          if (e instanceof TxnError) return none(e.code);
          throw e;
        }
      }),
    );
  }

  list(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs: bigint): { errorCode: number; transactionStates: { transactionalId: string; producerId: bigint; transactionState: string }[] } {
    const now = BigInt(this.time.now());
    const out: { transactionalId: string; producerId: bigint; transactionState: string }[] = [];
    let errorCode: number = TxnErrors.NONE;
    for (const shard of this.shards.values()) {
      if (shard.status === 'loading') errorCode = TxnErrors.COORDINATOR_LOAD_IN_PROGRESS;
      for (const m of shard.txns.values()) {
        const state = TXN_STATE_NAMES[m.state] ?? 'Dead';
        if (stateFilters.length > 0 && !stateFilters.includes(state)) continue;
        if (producerIdFilters.length > 0 && !producerIdFilters.includes(m.producerId)) continue;
        // KIP-994, as Kafka: longer than the filter since the (last) transaction started, in any state but Dead.
        if (m.state === TxnState.Dead) continue;
        if (durationFilterMs >= 0n && now - BigInt(m.startTimestamp) <= durationFilterMs) continue;
        out.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: state });
      }
    }
    return { errorCode, transactionStates: out };
  }

  /** The metadata of a transactional id (tests, DescribeTransactions). */
  metadata(transactionalId: string): TxnMetadata | undefined {
    return this.shards.get(this.partitionFor(transactionalId))?.txns.get(transactionalId);
  }
}
