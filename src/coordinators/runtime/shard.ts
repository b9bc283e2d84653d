/**
 * What the coordinator runtime runs, whatever the coordinator: a shard owns the state of one
 * partition of an internal topic and changes it only by replaying that partition's records;
 * operations produce records (and a response), the runtime appends and then replays them.
 */

/** One partition of a coordinator's topic, as the runtime uses it. */
export interface CoordinatorLog {
  /** Appends one record batch (offsets assigned by the log); resolves once it is acknowledged. */
  append(batch: Buffer): Promise<void>;
  /** The first offset in the log. */
  startOffset(): bigint;
  /** Whole batches from `offset` on (at most about `maxBytes`); empty at the end of the log. */
  read(offset: bigint, maxBytes: number): Promise<Buffer>;
}

/** A coordinator's records as key and value bytes (value null: a tombstone). */
export interface RecordSerde<R> {
  encode(record: R): { key: Buffer; value: Buffer | null };
  /** The record, or undefined for a kind this coordinator does not keep. Throws on malformed bytes. */
  decode(key: Buffer, value: Buffer | null): R | undefined;
}

/** The producer whose transaction a batch belongs to (TxnOffsetCommit): pending until its marker. */
export interface TxnBatchOwner {
  producerId: bigint;
  producerEpoch: number;
}

/** Appends records as one batch and, once acknowledged, replays them into the shard. Throws when the append fails or the shard was unloaded meanwhile. */
export type Write<R> = (records: readonly R[], txn?: TxnBatchOwner) => Promise<void>;

/** Work a timer or the shard itself queues: records to write, or steps that write themselves. */
export type ShardOperation<R> = (write: Write<R>) => R[] | void | Promise<void>;

/** Timers keyed by name (scheduling a key replaces its timer) and queued work; both run as operations of the shard. */
export interface ShardScheduler<R> {
  schedule(key: string, delayMs: number, op: ShardOperation<R>): void;
  cancel(key: string): void;
  /** Runs `op` after the operations already queued. */
  submit(op: ShardOperation<R>): void;
}

export interface CoordinatorShard<R> {
  /** Applies one record: after its append, and when loading. `producerId` is set for a transactional batch. */
  replay(record: R, producerId?: bigint): void;
  /** A COMMIT/ABORT marker met while loading the partition. */
  replayEndTxnMarker?(producerId: bigint, commit: boolean): void;
  /** The partition is loaded: records to write at once (sessions, recovery may need some). */
  onLoaded(): R[] | void;
  /** The partition is going away (resignation, shutdown): whoever waits is told to find the coordinator again. */
  onUnloaded(): void;
}

/** What the shard's context gives it at creation. */
export interface ShardInit<R> {
  partition: number;
  /** The coordinator epoch: the partition's leader epoch when it was loaded. */
  epoch: number;
  scheduler: ShardScheduler<R>;
}

/** An operation's outcome in the runtime's `run` form: records to append, the response, and what to do once appended. */
export interface CoordinatorResult<T, R> {
  records: R[];
  /** The response: a value, or a promise that a later operation or timer settles (JoinGroup, SyncGroup). */
  response: T | Promise<T>;
  /** Runs once the records are appended and replayed (also when there were none); may ask for more records. */
  onAppended?: () => R[] | void;
  /** Runs instead of onAppended when the append failed; `errorCode` is Kafka's code of the failure. */
  onAppendFailed?: (errorCode: number) => R[] | void;
  /** The records belong to this producer's transaction: a transactional batch. */
  txn?: TxnBatchOwner;
}
