/**
 * Runs a coordinator's shards, one per partition of its internal topic (Kafka's
 * CoordinatorRuntime), generic over the shard and its records:
 *
 * - load: on election (with the coordinator epoch, the partition's leader epoch) a shard
 *   replays its partition from the start before it takes requests; meanwhile callers get
 *   COORDINATOR_LOAD_IN_PROGRESS.
 * - unload: on resignation its timers are cancelled, whoever waits is told NOT_COORDINATOR,
 *   queued operations fail with NOT_COORDINATOR and the state is dropped. An election or a
 *   resignation older than the loaded epoch is ignored (Kafka's rule).
 * - operations: one at a time per shard, in arrival order. Records are appended as one batch;
 *   once the append is acknowledged they are replayed into the shard (the only way its state
 *   changes), and only then does the next operation run. So the state an operation sees always
 *   matches the log, and a response is released only after what it reports is stored. An
 *   operation of an unloaded shard (a stale epoch) is refused, its late appends not replayed.
 * - timers: keyed, one-shot; a due timer runs as an operation of its shard (unless it was
 *   rescheduled or cancelled while it waited in the queue).
 */
import { buildRecordBatch, iterateBatches, iterateRecords, readEndTxnMarker } from '../../protocol/records/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Logger } from '../../util/logger.js';
import type { Time, TimerHandle } from '../../util/time.js';
import { CoordinatorError } from './errors.js';
import type { CoordinatorLog, CoordinatorResult, CoordinatorShard, RecordSerde, ShardInit, ShardOperation, ShardScheduler, TxnBatchOwner, Write } from './shard.js';

export type ShardStatus = 'loading' | 'active' | 'failed' | 'closed';

interface TimerEntry {
  handle: TimerHandle | undefined;
}

interface ShardContext<S> {
  partition: number;
  epoch: number;
  status: ShardStatus;
  log: CoordinatorLog;
  shard: S;
  queue: Promise<void>;
  timers: Map<string, TimerEntry>;
  loaded: Promise<void>;
}

export interface RuntimeOptions<S, R> {
  time: Time;
  logger: Logger;
  /** The internal topic, for messages. */
  topic: string;
  serde: RecordSerde<R>;
  /** Kafka's error code for a failed append (storage errors carry theirs). */
  errorCode(e: unknown): number;
  createShard(init: ShardInit<R>): S;
}

const LOAD_READ_BYTES = 1 << 20;
const noop = () => undefined;

export class CoordinatorRuntime<S extends CoordinatorShard<R>, R> {
  private readonly shards = new Map<number, ShardContext<S>>();
  private closed = false;

  constructor(private readonly opts: RuntimeOptions<S, R>) {}

  /** This node leads the partition from `epoch` on: its state is loaded from `log` in the background. */
  onElection(partition: number, epoch: number, log: CoordinatorLog): void {
    const previous = this.shards.get(partition);
    if (this.closed || (previous && previous.epoch >= epoch)) return;
    if (previous && previous.status !== 'closed') this.unload(previous);
    const ctx: ShardContext<S> = { partition, epoch, status: 'loading', log, timers: new Map(), queue: Promise.resolve(), loaded: Promise.resolve(), shard: undefined as unknown as S };
    ctx.shard = this.opts.createShard({ partition, epoch, scheduler: this.schedulerFor(ctx) });
    this.shards.set(partition, ctx);
    // A reload waits for what the previous epoch still had in flight.
    ctx.loaded = (previous?.queue ?? Promise.resolve()).then(() => this.load(ctx));
  }

  /**
   * Leadership moved to `epoch` (undefined: the partition is gone): the shard is unloaded unless
   * it was loaded with that epoch or a later one. Resolves once its in-flight work has settled.
   */
  async onResignation(partition: number, epoch?: number): Promise<void> {
    const ctx = this.shards.get(partition);
    if (!ctx || ctx.status === 'closed' || (epoch !== undefined && ctx.epoch >= epoch)) return;
    this.unload(ctx);
    await ctx.queue;
  }

  status(partition: number): ShardStatus | undefined {
    return this.shards.get(partition)?.status;
  }

  /** The coordinator epoch the partition was loaded with. */
  epoch(partition: number): number | undefined {
    return this.shards.get(partition)?.epoch;
  }

  /** Partitions served here (loading, active or failed to load). */
  partitions(): number[] {
    return [...this.shards.values()].filter((c) => c.status !== 'closed').map((c) => c.partition);
  }

  /** Resolves when the partition has finished loading (or failed to). */
  loaded(partition: number): Promise<void> {
    return this.shards.get(partition)?.loaded ?? Promise.resolve();
  }

  /** The shard of a partition loading, loaded or failed to load (diagnostics and tests); undefined once unloaded: its state is gone. */
  shard(partition: number): S | undefined {
    const ctx = this.shards.get(partition);
    return ctx && ctx.status !== 'closed' ? ctx.shard : undefined;
  }

  /**
   * Runs `op` on the partition's shard after the operations queued before it, appends and
   * replays its records, runs its hooks and resolves to its response. Throws CoordinatorError
   * when the shard is loading (COORDINATOR_LOAD_IN_PROGRESS) or not served here (NOT_COORDINATOR).
   */
  async run<T>(partition: number, op: (shard: S) => CoordinatorResult<T, R>): Promise<T> {
    const { response } = await this.enqueue(this.active(partition), async (ctx, write) => {
      const result = op(ctx.shard);
      await this.apply(ctx, write, result);
      // Wrapped: the queue moves on without waiting for a response another operation settles.
      return { response: result.response };
    });
    return response;
  }

  /** Runs `op` in the shard's turn; it appends (and replays) through `write`, as many times as its steps need. */
  execute<T>(partition: number, op: (shard: S, write: Write<R>) => T | Promise<T>): Promise<T> {
    return this.enqueue(this.active(partition), (ctx, write) => op(ctx.shard, write));
  }

  /** Reads the shard's current state at once, outside the queue. */
  read<T>(partition: number, fn: (shard: S) => T): T {
    return fn(this.active(partition).shard);
  }

  /** Resolves when every queued operation (timers' included) has run. */
  async idle(): Promise<void> {
    for (;;) {
      const queues = [...this.shards.values()].map((c) => c.queue);
      await Promise.all(queues);
      if ([...this.shards.values()].every((c, i) => c.queue === queues[i])) return;
    }
  }

  /**
   * Stops: timers are cancelled, the work already queued (or in flight) finishes, then every
   * shard is unloaded (whoever still waits is told NOT_COORDINATOR).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.shards.values()];
    for (const ctx of all) this.cancelTimers(ctx);
    await Promise.all(all.map((c) => c.loaded));
    // Unloaded before the queues drain, as Kafka's runtime fails its pending events: what is
    // queued is refused NOT_COORDINATOR (the client finds the coordinator again) instead of
    // stretching the shutdown while the listeners still accept requests.
    for (const ctx of all) if (ctx.status !== 'closed') this.unload(ctx);
    await this.idle();
  }

  private active(partition: number): ShardContext<S> {
    const ctx = this.shards.get(partition);
    if (!ctx || ctx.status === 'closed' || ctx.status === 'failed') throw this.notCoordinator(partition);
    if (ctx.status === 'loading') throw new CoordinatorError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `${this.opts.topic}-${partition} is loading`);
    return ctx;
  }

  private notCoordinator(partition: number): CoordinatorError {
    return new CoordinatorError(ErrorCode.NOT_COORDINATOR, `${this.opts.topic}-${partition} is not served here`);
  }

  private unload(ctx: ShardContext<S>): void {
    const wasActive = ctx.status === 'active';
    ctx.status = 'closed';
    this.cancelTimers(ctx);
    if (wasActive) ctx.shard.onUnloaded();
  }

  private cancelTimers(ctx: ShardContext<S>): void {
    for (const t of ctx.timers.values()) if (t.handle !== undefined) this.opts.time.clearTimeout(t.handle);
    ctx.timers.clear();
  }

  private enqueue<T>(ctx: ShardContext<S>, op: (ctx: ShardContext<S>, write: Write<R>) => T | Promise<T>): Promise<T> {
    const run = ctx.queue.then(() => {
      if (ctx.status !== 'active') throw this.notCoordinator(ctx.partition);
      return op(ctx, this.writerFor(ctx));
    });
    ctx.queue = run.then(noop, noop);
    return run;
  }

  private writerFor(ctx: ShardContext<S>): Write<R> {
    return async (records, txn) => {
      if (records.length === 0) return;
      if (ctx.status !== 'active') throw this.notCoordinator(ctx.partition);
      await ctx.log.append(this.batchOf(records, txn));
      // Unloaded while appending: the state is gone, and the write did not happen for the caller.
      if (ctx.status !== 'active') throw this.notCoordinator(ctx.partition);
      for (const r of records) ctx.shard.replay(r, txn?.producerId);
    };
  }

  /** Writes a result's records, then runs its hook; records a hook asks for are applied the same way. */
  private async apply(ctx: ShardContext<S>, write: Write<R>, result: Omit<CoordinatorResult<unknown, R>, 'response'>): Promise<void> {
    if (result.records.length > 0) {
      try {
        await write(result.records, result.txn);
      } catch (e) {
        const code = e instanceof CoordinatorError ? e.code : this.opts.errorCode(e);
        this.opts.logger.warn('coordinator append failed', { partition: ctx.partition, records: result.records.length, errorCode: code, error: e });
        const more = result.onAppendFailed?.(code);
        if (more && more.length > 0) await this.apply(ctx, write, { records: more });
        return;
      }
    }
    const more = result.onAppended?.();
    if (more && more.length > 0) await this.apply(ctx, write, { records: more });
  }

  private batchOf(records: readonly R[], txn?: TxnBatchOwner): Buffer {
    const now = this.opts.time.now();
    return buildRecordBatch(
      records.map((r) => ({ ...this.opts.serde.encode(r), timestamp: now })),
      txn ? { timestamp: now, producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1, transactional: true } : { timestamp: now },
    );
  }

  /** Runs queued work as an operation: records it returns are written, failures logged. */
  private submit(ctx: ShardContext<S>, op: ShardOperation<R>, guard: () => boolean = () => true, key?: string): void {
    this.enqueue(ctx, async (c, write) => {
      if (!guard()) return;
      const records = await op(write);
      if (records && records.length > 0) await this.apply(c, write, { records });
    }).catch((e: unknown) => {
      if (!(e instanceof CoordinatorError)) this.opts.logger.error('coordinator operation failed', { partition: ctx.partition, key, error: e });
    });
  }

  private schedulerFor(ctx: ShardContext<S>): ShardScheduler<R> {
    const { time } = this.opts;
    const cancel = (key: string) => {
      const t = ctx.timers.get(key);
      if (t?.handle !== undefined) time.clearTimeout(t.handle);
      ctx.timers.delete(key);
    };
    return {
      schedule: (key, delayMs, op) => {
        if (ctx.status === 'closed' || this.closed) return;
        cancel(key);
        const entry: TimerEntry = { handle: undefined };
        ctx.timers.set(key, entry);
        entry.handle = time.setTimeout(() => {
          entry.handle = undefined;
          // Rescheduled or cancelled while it waited for its turn: not due any more.
          const due = () => {
            if (ctx.timers.get(key) !== entry) return false;
            ctx.timers.delete(key);
            return true;
          };
          this.submit(ctx, op, due, key);
        }, delayMs);
      },
      cancel,
      submit: (op) => this.submit(ctx, op),
    };
  }

  private async load(ctx: ShardContext<S>): Promise<void> {
    const started = Date.now();
    let records = 0;
    let bytes = 0;
    try {
      let offset = ctx.log.startOffset();
      for (;;) {
        // Unloaded or stopping meanwhile: the rest is not read.
        if (ctx.status !== 'loading' || this.closed) return;
        const data = await ctx.log.read(offset, LOAD_READ_BYTES);
        if (data.length === 0) break;
        bytes += data.length;
        for (const batch of iterateBatches(data)) {
          offset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (batch.isControl) {
            const marker = readEndTxnMarker(batch);
            if (marker) ctx.shard.replayEndTxnMarker?.(batch.producerId, marker.commit);
            continue;
          }
          const producerId = batch.isTransactional ? batch.producerId : undefined;
          for (const rec of iterateRecords(batch)) {
            if (rec.key === null) {
              this.opts.logger.warn('record without a key skipped', { partition: ctx.partition, offset: rec.offset });
              continue;
            }
            const decoded = this.opts.serde.decode(rec.key, rec.value);
            if (decoded === undefined) continue;
            ctx.shard.replay(decoded, producerId);
            records++;
          }
        }
      }
      if (ctx.status !== 'loading' || this.closed) return;
      ctx.status = 'active';
      const more = ctx.shard.onLoaded();
      if (more && more.length > 0) this.submit(ctx, () => more);
      if (records > 0) this.opts.logger.info('coordinator partition loaded', { topic: this.opts.topic, partition: ctx.partition, epoch: ctx.epoch, records, bytes, ms: Date.now() - started });
    } catch (e) {
      if (ctx.status === 'loading') ctx.status = 'failed';
      this.opts.logger.error('coordinator partition failed to load', { topic: this.opts.topic, partition: ctx.partition, error: e });
    }
  }
}
