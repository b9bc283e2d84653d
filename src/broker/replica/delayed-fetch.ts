/**
 * Kafka's DelayedFetch: a fetch that found fewer than minBytes waits until that many bytes
 * became readable in its partitions, maxWaitMs passes, the broker stops, or one of its partitions
 * goes away (an error to answer). Woken by high-watermark moves of its partitions (appends,
 * followers' fetches); a follower's fetch (reading to the log end) counts appended bytes
 * instead. The replica manager reads again once it completes.
 */
import type { Partition } from './partition.js';
import { DelayedOperation } from './purgatory.js';

export class DelayedFetch extends DelayedOperation {
  private readonly visibleAtStart: number[];

  constructor(
    maxWaitMs: number,
    private readonly partitions: readonly Partition[],
    /** Bytes still missing to minBytes when the fetch started waiting. */
    private readonly missingBytes: number,
    private readonly isStopping: () => boolean,
    private readonly respond: () => void,
    /** How many bytes a partition has made readable to this fetch so far. */
    private readonly readable: (p: Partition) => number = (p) => p.visibleBytes,
  ) {
    super(maxWaitMs);
    this.visibleAtStart = partitions.map(readable);
  }

  /** Bytes that became readable in the fetch's partitions since it started waiting. */
  get arrivedBytes(): number {
    let arrived = 0;
    for (let i = 0; i < this.partitions.length; i++) arrived += this.readable(this.partitions[i]!) - this.visibleAtStart[i]!;
    return arrived;
  }

  tryComplete(): boolean {
    if (this.isStopping() || this.partitions.some((p) => p.isDeleted) || this.arrivedBytes >= this.missingBytes) return this.forceComplete();
    return false;
  }

  protected onComplete(): void {
    this.respond();
  }
}
