/**
 * Runs the coordinator shards, one per `__consumer_offsets` partition (Kafka's
 * CoordinatorRuntime, reduced to one node):
 *
 * - loading: a shard replays its partition from the start before it takes requests; meanwhile
 *   callers get COORDINATOR_LOAD_IN_PROGRESS.
 * - operations: one at a time per shard, in arrival order. An operation's records are appended
 *   to the partition as one batch; once the append is acknowledged (durable, in durable mode)
 *   they are replayed into the shard, and only then does the next operation run. So the state
 *   an operation sees always matches the log, and a response is released only after what it
 *   reports is stored.
 * - timers: keyed, one-shot; a due timer runs as an operation of its shard (unless it was
 *   rescheduled or cancelled while it waited in the queue).
 */
import { buildRecordBatch, iterateBatches, iterateRecords, readEndTxnMarker } from '../../protocol/records/index.js';
import type { Logger } from '../../util/logger.js';
import { CoordinatorError, GroupErrors as E } from './errors.js';
import { decodeRecord, encodeRecord } from './records.js';
import type { CoordinatorResult, GroupCoordinatorShard, Records, ShardTimer } from './shard.js';
import type { Time, TimerHandle } from '../../util/time.js';

/** One partition of the coordinator's topic, as the runtime uses it. */
export interface CoordinatorLog {
  /** Appends one record batch (offsets assigned by the log); resolves once it is acknowledged. */
  append(batch: Buffer): Promise<void>;
  /** The first offset in the log. */
  startOffset(): bigint;
  /** Whole batches from `offset` on (at most about `maxBytes`); empty at the end of the log. */
  read(offset: bigint, maxBytes: number): Promise<Buffer>;
}

export type ShardStatus = 'loading' | 'active' | 'failed' | 'closed';

interface TimerEntry {
  handle: TimerHandle | undefined;
}

interface ShardContext {
  partition: number;
  status: ShardStatus;
  log: CoordinatorLog;
  shard: GroupCoordinatorShard;
  queue: Promise<void>;
  timers: Map<string, TimerEntry>;
  loaded: Promise<void>;
  loadStats?: { records: number; bytes: number; ms: number };
}

export interface RuntimeOptions {
  time: Time;
  logger: Logger;
  /** Kafka's error code for a failed append (storage errors carry theirs). */
  errorCode(e: unknown): number;
  createShard(partition: number, timer: ShardTimer): GroupCoordinatorShard;
}

const LOAD_READ_BYTES = 1 << 20;

export class CoordinatorRuntime {
  private readonly shards = new Map<number, ShardContext>();
  private closed = false;

  constructor(private readonly opts: RuntimeOptions) {}

  /** Starts serving a partition: its state is loaded from `log` in the background. */
  addPartition(partition: number, log: CoordinatorLog): void {
    if (this.closed || this.shards.has(partition)) return;
    const timers = new Map<string, TimerEntry>();
    const ctx: ShardContext = { partition, status: 'loading', log, timers, queue: Promise.resolve(), loaded: Promise.resolve(), shard: undefined as unknown as GroupCoordinatorShard };
    ctx.shard = this.opts.createShard(partition, this.timerFor(ctx));
    this.shards.set(partition, ctx);
    ctx.loaded = this.load(ctx);
  }

  status(partition: number): ShardStatus | undefined {
    return this.shards.get(partition)?.status;
  }

  partitions(): number[] {
    return [...this.shards.keys()];
  }

  /** Resolves when the partition has finished loading (or failed to). */
  loaded(partition: number): Promise<void> {
    return this.shards.get(partition)?.loaded ?? Promise.resolve();
  }

  /**
   * Runs `op` on the partition's shard after the operations queued before it, appends and
   * replays its records, and resolves to its response. Throws CoordinatorError when the shard
   * is loading (COORDINATOR_LOAD_IN_PROGRESS) or not served here (NOT_COORDINATOR).
   */
  async run<T>(partition: number, op: (shard: GroupCoordinatorShard) => CoordinatorResult<T>): Promise<T> {
    const ctx = this.shards.get(partition);
    if (!ctx || ctx.status === 'closed' || ctx.status === 'failed') throw new CoordinatorError(E.NOT_COORDINATOR, `__consumer_offsets-${partition} is not served here`);
    if (ctx.status === 'loading') throw new CoordinatorError(E.COORDINATOR_LOAD_IN_PROGRESS, `__consumer_offsets-${partition} is loading`);
    const { response } = await this.enqueue(ctx, op);
    return response;
  }

  /** Resolves when every queued operation (timers' included) has run. */
  async idle(): Promise<void> {
    for (;;) {
      const queues = [...this.shards.values()].map((c) => c.queue);
      await Promise.all(queues);
      if ([...this.shards.values()].every((c, i) => c.queue === queues[i])) return;
    }
  }

  /** Stops: pending JoinGroup/SyncGroup are answered NOT_COORDINATOR, timers cancelled, queued work finished. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.shards.values()];
    for (const ctx of all) {
      for (const t of ctx.timers.values()) if (t.handle !== undefined) this.opts.time.clearTimeout(t.handle);
      ctx.timers.clear();
    }
    await Promise.all(all.map((c) => c.loaded));
    for (const ctx of all) {
      if (ctx.status === 'active') ctx.shard.close();
      ctx.status = 'closed';
    }
    await Promise.all(all.map((c) => c.queue));
  }

  private enqueue<T>(ctx: ShardContext, op: (shard: GroupCoordinatorShard) => CoordinatorResult<T>): Promise<{ response: T | Promise<T> }> {
    const run = ctx.queue.then(async () => {
      if (ctx.status !== 'active') throw new CoordinatorError(E.NOT_COORDINATOR, `__consumer_offsets-${ctx.partition} is not served here`);
      const result = op(ctx.shard);
      await this.apply(ctx, result.records, result.onAppended, result.onAppendFailed, result.txn);
      // Wrapped: the queue moves on without waiting for a response another operation settles.
      return { response: result.response };
    });
    ctx.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Appends, replays, then runs the hook; records a hook asks for are applied the same way. */
  private async apply(ctx: ShardContext, records: Records, onAppended?: () => Records | void, onAppendFailed?: (errorCode: number) => Records | void, txn?: { producerId: bigint; producerEpoch: number }): Promise<void> {
    if (records.length > 0) {
      try {
        await ctx.log.append(this.batchOf(records, txn));
      } catch (e) {
        const code = this.opts.errorCode(e);
        this.opts.logger.warn('coordinator append failed', { partition: ctx.partition, records: records.length, errorCode: code, error: e });
        const more = onAppendFailed?.(code);
        if (more && more.length > 0) await this.apply(ctx, more);
        return;
      }
      for (const r of records) ctx.shard.replay(r, txn?.producerId);
    }
    const more = onAppended?.();
    if (more && more.length > 0) await this.apply(ctx, more);
  }

  private batchOf(records: Records, txn?: { producerId: bigint; producerEpoch: number }): Buffer {
    const now = this.opts.time.now();
    return buildRecordBatch(
      records.map((r) => ({ ...encodeRecord(r), timestamp: now })),
      txn ? { timestamp: now, producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: -1, transactional: true } : { timestamp: now },
    );
  }

  private timerFor(ctx: ShardContext): ShardTimer {
    const { time, logger } = this.opts;
    const cancel = (key: string) => {
      const t = ctx.timers.get(key);
      if (t?.handle !== undefined) time.clearTimeout(t.handle);
      ctx.timers.delete(key);
    };
    return {
      schedule: (key, delayMs, op) => {
        if (this.closed) return;
        cancel(key);
        const entry: TimerEntry = { handle: undefined };
        ctx.timers.set(key, entry);
        entry.handle = time.setTimeout(() => {
          entry.handle = undefined;
          this.enqueue(ctx, () => {
            // Rescheduled or cancelled while it waited for its turn: not due any more.
            if (ctx.timers.get(key) !== entry) return { records: [], response: undefined };
            ctx.timers.delete(key);
            return { records: op(), response: undefined };
          }).catch((e: unknown) => {
            if (!(e instanceof CoordinatorError)) logger.error('coordinator timer failed', { partition: ctx.partition, key, error: e });
          });
        }, delayMs);
      },
      cancel,
    };
  }

  private async load(ctx: ShardContext): Promise<void> {
    const started = Date.now();
    let records = 0;
    let bytes = 0;
    try {
      let offset = ctx.log.startOffset();
      for (;;) {
        const data = await ctx.log.read(offset, LOAD_READ_BYTES);
        if (data.length === 0 || this.closed) break;
        bytes += data.length;
        for (const batch of iterateBatches(data)) {
          offset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
          if (batch.isControl) {
            const marker = readEndTxnMarker(batch);
            if (marker) ctx.shard.replayTxnMarker(batch.producerId, marker.commit);
            continue;
          }
          const producerId = batch.isTransactional ? batch.producerId : undefined;
          for (const rec of iterateRecords(batch)) {
            if (rec.key === null) {
              this.opts.logger.warn('record without a key skipped', { partition: ctx.partition, offset: rec.offset });
              continue;
            }
            const decoded = decodeRecord(rec.key, rec.value);
            if (decoded) {
              ctx.shard.replay(decoded, producerId);
              records++;
            }
          }
        }
      }
      if (this.closed) return;
      ctx.status = 'active';
      ctx.loadStats = { records, bytes, ms: Date.now() - started };
      const more = ctx.shard.onLoaded();
      if (more.length > 0) void this.enqueue(ctx, () => ({ records: more, response: undefined })).catch(() => undefined);
      if (records > 0) this.opts.logger.info('coordinator partition loaded', { partition: ctx.partition, ...ctx.loadStats });
    } catch (e) {
      ctx.status = 'failed';
      this.opts.logger.error('coordinator partition failed to load', { partition: ctx.partition, error: e });
    }
  }
}
