/**
 * A coordinator's internal topic (`__consumer_offsets`, `__transaction_state`) and which of its
 * partitions this node serves: created on first use, every partition led here loaded on start and
 * on creation, keys routed to their partition. Elections and resignations reach the runtime
 * through here, so that a partition that resigned is not served again until it is re-elected.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Logger } from '../../util/logger.js';
import { CoordinatorError } from './errors.js';
import { partitionForKey } from './partitioning.js';
import type { CoordinatorRuntime } from './runtime.js';
import type { CoordinatorLog, CoordinatorShard } from './shard.js';

/** The internal topic as the broker provides it. */
export interface InternalTopic {
  /** Its partition count, or undefined while it does not exist. */
  partitions(): number | undefined;
  /** Creates it (internal, compacted) with this many partitions; fine if it exists already. */
  create(partitions: number): Promise<void>;
  /** The partition's log while this node leads it, else undefined (a follower serves nothing). */
  log(partition: number): CoordinatorLog | undefined;
  /** The partition's leader epoch: the coordinator epoch of a load (0 when not given, as on one node). */
  leaderEpoch?(partition: number): number;
}

export class CoordinatorTopic<S extends CoordinatorShard<R>, R> {
  private creating: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    /** The partition count used when the topic is created (an existing topic's own count wins). */
    private readonly numPartitions: number,
    private readonly topic: InternalTopic,
    private readonly runtime: CoordinatorRuntime<S, R>,
    private readonly logger: Logger,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Starts loading every partition of an existing topic (in the background). */
  startup(): void {
    if (this.topic.partitions() !== undefined) this.serveAll();
  }

  /** Resolves when every partition served has loaded. */
  async loaded(): Promise<void> {
    await Promise.all(this.runtime.partitions().map((p) => this.runtime.loaded(p)));
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.creating?.catch(() => undefined);
    await this.runtime.close();
  }

  partitionFor(key: string): number {
    return partitionForKey(key, this.topic.partitions() ?? this.numPartitions);
  }

  /** The partition became led here at `epoch`: load it. */
  onElection(partition: number, epoch: number): void {
    const log = this.topic.log(partition);
    if (log) this.runtime.onElection(partition, epoch, log);
  }

  /** Leadership of the partition moved away (to `epoch`): unload it. */
  onResignation(partition: number, epoch?: number): Promise<void> {
    return this.runtime.onResignation(partition, epoch);
  }

  /** The partition serving `key`; undefined when the topic does not exist and `create` is false. */
  async route(key: string, create: boolean): Promise<number | undefined> {
    if (this.stopped) throw this.stopping();
    if (this.topic.partitions() === undefined || this.creating) {
      if (!create && !this.creating) return undefined;
      await this.ensureTopic();
      if (this.stopped) throw this.stopping();
    }
    const p = this.partitionFor(key);
    if (this.runtime.status(p) === undefined) {
      // Created by someone else (a Metadata request): serve it; its partitions are new, so empty.
      this.serveAll();
      await this.runtime.loaded(p);
    }
    return p;
  }

  /** FindCoordinator: NONE when this node serves the key (creating the topic when needed), else the error code. */
  async findCoordinator(key: string): Promise<number> {
    try {
      await this.route(key, true);
      return ErrorCode.NONE;
    } catch (e) {
      if (e instanceof CoordinatorError) return e.code;
      throw e;
    }
  }

  private stopping(): CoordinatorError {
    return new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the coordinator is shutting down');
  }

  /** Every partition led here and never loaded: partitions that resigned wait for their election. */
  private serveAll(): void {
    const n = this.topic.partitions() ?? 0;
    for (let p = 0; p < n; p++) if (this.runtime.status(p) === undefined) this.onElection(p, this.topic.leaderEpoch?.(p) ?? 0);
  }

  /** Creates the topic and serves its (empty, so at once loaded) partitions. */
  private async ensureTopic(): Promise<void> {
    this.creating ??= (async () => {
      try {
        await this.topic.create(this.numPartitions);
      } catch (e) {
        this.logger.warn(`cannot create ${this.name}`, { error: e });
        throw new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${this.name} could not be created`);
      }
      this.serveAll();
      await this.loaded();
    })().finally(() => (this.creating = undefined));
    await this.creating;
  }
}
