/**
 * The transaction coordinator service (Kafka's TransactionCoordinator, the transaction protocol
 * of Kafka 3.x without KIP-890 part 2): what the broker's handlers call. It validates what needs
 * no state, routes a transactional id to the shard of its `__transaction_state` partition
 * (creating the topic on first use) and runs the operation there on the coordinator runtime,
 * turning "loading" / "not here" into each API's error answer. The state and its transitions
 * live in the shard (shard.ts), the record format in records.ts.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Logger } from '../../util/logger.js';
import { SYSTEM_TIME, type Time } from '../../util/time.js';
import { CoordinatorError } from '../runtime/errors.js';
import { CoordinatorService } from '../runtime/service.js';
import type { InternalTopic } from '../runtime/topic.js';
import type { Write } from '../runtime/shard.js';
import { TRANSACTION_STATE_TOPIC, TXN_RECORD_SERDE, TXN_STATE_NAMES, TxnState, tpKey, type TopicPartition, type TxnMetadata, type TxnRecord } from './records.js';
import { TransactionStateShard, type DescribedTransaction, type InitProducerIdResult } from './shard.js';

export { TRANSACTION_STATE_TOPIC, TXN_STATE_NAMES, TxnState, decodeTxnRecord, encodeTxnRecord, partitionForTransactionalId, type TopicPartition, type TxnMetadata, type TxnRecord } from './records.js';
export type { DescribedTransaction, InitProducerIdResult } from './shard.js';

/** The Kafka error codes the transaction coordinator answers with: the protocol's own table. */
export const TxnErrors = ErrorCode;

export type TxnStateTopic = InternalTopic;

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
  writeMarkers(producerId: bigint, producerEpoch: number, commit: boolean, partitions: TopicPartition[], coordinatorEpoch: number): Promise<void>;
  /** Whether a topic partition exists (AddPartitionsToTxn of an unknown one fails). */
  partitionExists(topic: string, partition: number): boolean;
  errorCode(e: unknown): number;
  /**
   * KIP-890 verification of an id coordinated by another broker: asked of that broker (Kafka's
   * AddPartitionsToTxnManager); undefined when it is coordinated here (or nowhere), answered here.
   */
  verifyElsewhere?(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<Map<string, number>> | undefined;
  /** Called as the coordinator stops, before its in-flight work settles (the broker stops sending markers). */
  onShutdown?(): void;
}

type Shard = TransactionStateShard;

export class TransactionCoordinator extends CoordinatorService<Shard, TxnRecord> {
  readonly time: Time;

  constructor(private readonly opts: TransactionCoordinatorOptions) {
    const time = opts.time ?? SYSTEM_TIME;
    const config = { abortCheckIntervalMs: opts.abortCheckIntervalMs ?? 10_000, transactionalIdExpirationMs: opts.transactionalIdExpirationMs ?? 7 * 24 * 3600_000 };
    super(
      {
        time,
        serde: TXN_RECORD_SERDE,
        errorCode: opts.errorCode,
        createShard: (init) =>
          new TransactionStateShard({
            ...init,
            config,
            now: () => time.now(),
            logger: opts.logger.child({ partition: init.partition }),
            generateProducerId: () => opts.generateProducerId(),
            writeMarkers: (...args) => opts.writeMarkers(...args),
          }),
      },
      { name: TRANSACTION_STATE_TOPIC, numPartitions: opts.numPartitions, topic: opts.topic },
      opts.logger,
    );
    this.time = time;
  }

  override shutdown(): Promise<void> {
    this.opts.onShutdown?.();
    return super.shutdown();
  }

  /** Runs an operation on the id's shard; `absent` answers when the topic does not exist (and `create` is false). */
  private async execute<T>(transactionalId: string, create: boolean, what: string, op: (s: Shard, write: Write<TxnRecord>) => Promise<T>, absent: () => T, failed: (code: number) => T): Promise<T> {
    try {
      const p = await this.topic.route(transactionalId, create);
      if (p === undefined) return absent();
      return await this.runtime.execute(p, op);
    } catch (e) {
      if (e instanceof CoordinatorError) return failed(e.code);
      this.opts.logger.warn(`${what} failed`, { transactionalId, error: e });
      return failed(this.opts.errorCode(e));
    }
  }

  /** Reads the id's shard at once; `absent` answers when the topic does not exist. */
  private async read<T>(transactionalId: string, fn: (s: Shard) => T, absent: () => T, failed: (code: number) => T): Promise<T> {
    try {
      const p = await this.topic.route(transactionalId, false);
      return p === undefined ? absent() : this.runtime.read(p, fn);
    } catch (e) {
      if (e instanceof CoordinatorError) return failed(e.code);
      throw e;
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
    const op = (s: Shard, write: Write<TxnRecord>) => s.initProducerId(write, transactionalId, timeoutMs, expected);
    return this.execute(transactionalId, true, 'InitProducerId', op, () => fail(TxnErrors.NOT_COORDINATOR), fail);
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn, with the group's `__consumer_offsets` partition).
   * Returns an error per partition (all the same, or UNKNOWN_TOPIC_OR_PARTITION for unknown ones
   * with OPERATION_NOT_ATTEMPTED for the rest).
   */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[]): Promise<Map<string, number>> {
    const all = (code: number) => new Map(partitions.map((tp) => [tpKey(tp.topic, tp.partition), code]));
    const unknown = partitions.filter((tp) => !this.opts.partitionExists(tp.topic, tp.partition));
    if (unknown.length > 0) {
      const out = all(TxnErrors.OPERATION_NOT_ATTEMPTED);
      for (const tp of unknown) out.set(tpKey(tp.topic, tp.partition), TxnErrors.UNKNOWN_TOPIC_OR_PARTITION);
      return out;
    }
    const op = (s: Shard, write: Write<TxnRecord>) => s.addPartitions(write, transactionalId, producerId, producerEpoch, partitions);
    return all(await this.execute(transactionalId, false, 'AddPartitionsToTxn', op, () => TxnErrors.INVALID_PRODUCER_ID_MAPPING, (code) => code));
  }

  /**
   * KIP-890 verification: is each partition part of this producer's ongoing transaction? Asked of
   * the id's coordinator when that is another broker, unless `localOnly` (a verification another
   * broker sent here is answered from here, never forwarded again).
   */
  async verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: TopicPartition[], localOnly = false): Promise<Map<string, number>> {
    const elsewhere = localOnly ? undefined : this.opts.verifyElsewhere?.(transactionalId, producerId, producerEpoch, partitions);
    if (elsewhere) return elsewhere;
    const all = (code: number) => new Map(partitions.map((tp) => [tpKey(tp.topic, tp.partition), code]));
    const result = await this.read(transactionalId, (s) => s.verifyPartitions(transactionalId, producerId, producerEpoch, partitions), () => TxnErrors.INVALID_PRODUCER_ID_MAPPING, (code) => code);
    return typeof result === 'number' ? all(result) : result;
  }

  /** EndTxn: answers once the markers are written and the transaction is complete. */
  endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    const op = (s: Shard, write: Write<TxnRecord>) => s.endTxn(write, transactionalId, producerId, producerEpoch, commit);
    return this.execute(transactionalId, false, 'EndTxn', op, () => TxnErrors.INVALID_PRODUCER_ID_MAPPING, (code) => code);
  }

  describe(transactionalIds: readonly string[]): Promise<DescribedTransaction[]> {
    return Promise.all(
      transactionalIds.map((transactionalId): Promise<DescribedTransaction> => {
        // Kafka leaves the other fields at their schema defaults (0) for an error.
        const none = (errorCode: number): DescribedTransaction => ({ errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: 0n, producerId: 0n, producerEpoch: 0, topics: [] });
        if (transactionalId === '') return Promise.resolve(none(TxnErrors.INVALID_REQUEST)); // as Kafka
        const notFound = () => none(TxnErrors.TRANSACTIONAL_ID_NOT_FOUND);
        return this.read(transactionalId, (s) => s.describe(transactionalId) ?? notFound(), notFound, none);
      }),
    );
  }

  list(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs: bigint): { errorCode: number; transactionStates: { transactionalId: string; producerId: bigint; transactionState: string }[] } {
    const now = BigInt(this.time.now());
    const out: { transactionalId: string; producerId: bigint; transactionState: string }[] = [];
    let errorCode: number = TxnErrors.NONE;
    for (const p of this.runtime.partitions()) {
      if (this.runtime.status(p) === 'loading') errorCode = TxnErrors.COORDINATOR_LOAD_IN_PROGRESS;
      for (const m of this.runtime.shard(p)?.txns.values() ?? []) {
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
    return this.runtime.shard(this.partitionFor(transactionalId))?.txns.get(transactionalId);
  }
}
