/**
 * What both coordinator services share: a runtime running their shards and the internal topic
 * those shards live in, with the entry points the broker calls — start, stop, and the
 * elections and resignations of the topic's partitions (as the broker's coordinator publisher
 * sees leadership move in the metadata).
 */
import type { Logger } from '../../util/logger.js';
import { CoordinatorRuntime, type RuntimeOptions } from './runtime.js';
import type { CoordinatorShard } from './shard.js';
import { CoordinatorTopic, type InternalTopic } from './topic.js';

export interface ServiceTopic {
  /** The topic's name. */
  name: string;
  /** Partitions it is created with (an existing topic's own count wins). */
  numPartitions: number;
  topic: InternalTopic;
}

export abstract class CoordinatorService<S extends CoordinatorShard<R>, R> {
  readonly runtime: CoordinatorRuntime<S, R>;
  protected readonly topic: CoordinatorTopic<S, R>;

  constructor(runtime: Omit<RuntimeOptions<S, R>, 'topic' | 'logger'>, topic: ServiceTopic, logger: Logger) {
    this.runtime = new CoordinatorRuntime({ ...runtime, topic: topic.name, logger });
    this.topic = new CoordinatorTopic(topic.name, topic.numPartitions, topic.topic, this.runtime, logger);
  }

  /** Starts loading every partition of an existing topic (in the background). */
  startup(): void {
    this.topic.startup();
  }

  /** Resolves when every partition served has loaded. */
  loaded(): Promise<void> {
    return this.topic.loaded();
  }

  /** Resolves when every queued operation (timers' included) has run. */
  idle(): Promise<void> {
    return this.runtime.idle();
  }

  shutdown(): Promise<void> {
    return this.topic.shutdown();
  }

  /** The partition is led here from `epoch` on (its leader epoch, the coordinator epoch): load it. */
  onElection(partition: number, epoch: number): void {
    this.topic.onElection(partition, epoch);
  }

  /** Leadership of the partition moved to `epoch`: whoever waits is told NOT_COORDINATOR, its operations are refused, its state dropped. */
  onResignation(partition: number, epoch?: number): Promise<void> {
    return this.topic.onResignation(partition, epoch);
  }

  /** The partition of the topic that owns `key`. */
  partitionFor(key: string): number {
    return this.topic.partitionFor(key);
  }

  /** FindCoordinator: NONE when this node serves the key (the topic created on first use), else the error code. */
  findCoordinator(key: string): Promise<number> {
    return this.topic.findCoordinator(key);
  }
}
