import type { EpochEntry, LeaderEpochCheckpointFile } from './checkpoint.js';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

/**
 * Kafka's LeaderEpochFileCache: for each leader epoch, the first offset written in it.
 *
 * Invariants: epochs strictly increase and start offsets strictly increase along the list; every
 * start offset is in [logStartOffset, logEndOffset] (the leader's epoch may start at the log end, as
 * Kafka assigns it on becoming leader, before anything is written in it). Every change is written to
 * `leader-epoch-checkpoint` (atomically, in order); `flushed()` resolves once the file matches.
 * After an unclean shutdown the entries for recovered segments are re-assigned from the batches'
 * partitionLeaderEpoch, so a lost write is repaired by recovery.
 */
export class LeaderEpochCache {
  private epochs: EpochEntry[];
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private writeError: unknown;

  constructor(
    private readonly checkpoint: LeaderEpochCheckpointFile | undefined,
    entries: readonly EpochEntry[] = [],
  ) {
    this.epochs = entries.map((e) => ({ ...e }));
  }

  get entries(): readonly EpochEntry[] {
    return this.epochs;
  }

  get latestEpoch(): number {
    return this.epochs.length === 0 ? UNDEFINED_EPOCH : this.epochs[this.epochs.length - 1]!.epoch;
  }

  get earliestEntry(): EpochEntry | undefined {
    return this.epochs[0];
  }

  /**
   * Records that `epoch` starts at `startOffset` if it is newer than the latest epoch; entries that
   * contradict it (epoch >= or start offset >=) are removed, as Kafka does, so both stay strictly
   * ascending. Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: bigint): boolean {
    if (epoch < 0) return false;
    const latest = this.epochs[this.epochs.length - 1];
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    if (latest && epoch < latest.epoch && startOffset >= latest.startOffset) return false; // stale epoch in newer data: ignore
    this.epochs = this.epochs.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.epochs.push({ epoch, startOffset });
    this.persist();
    return true;
  }

  /**
   * Kafka's endOffsetFor (OffsetsForLeaderEpoch): the largest epoch <= requested and the end offset
   * of that epoch (start offset of the next epoch, or the log end offset for the latest); an epoch
   * older than all known ones ends at the first known start offset, a newer one is undefined.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const latest = this.latestEpoch;
    if (requestedEpoch === UNDEFINED_EPOCH || this.epochs.length === 0) {
      return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    }
    if (requestedEpoch === latest) return { epoch: latest, endOffset: logEndOffset };
    const higher = this.epochs.findIndex((e) => e.epoch > requestedEpoch);
    // Newer than any epoch this log knows: undefined (Kafka's higherEntry == null).
    if (higher < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    // Older than any known epoch: the requested epoch ends where the first known one starts.
    if (higher === 0) return { epoch: requestedEpoch, endOffset: this.epochs[0]!.startOffset };
    return { epoch: this.epochs[higher - 1]!.epoch, endOffset: this.epochs[higher]!.startOffset };
  }

  /** Drops entries starting at or after `endOffset` (log truncated to endOffset). */
  truncateFromEnd(endOffset: bigint): void {
    const kept = this.epochs.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.epochs.length) return;
    this.epochs = kept;
    this.persist();
  }

  /** Log start moved to `startOffset`: the epoch covering it now starts there; older ones go. */
  truncateFromStart(startOffset: bigint): void {
    let covering = -1;
    for (let i = 0; i < this.epochs.length && this.epochs[i]!.startOffset <= startOffset; i++) covering = i;
    if (covering < 0 || (covering === 0 && this.epochs[0]!.startOffset === startOffset)) return;
    const kept = this.epochs.slice(covering);
    kept[0] = { epoch: kept[0]!.epoch, startOffset };
    this.epochs = kept;
    this.persist();
  }

  clear(): void {
    if (this.epochs.length === 0) return;
    this.epochs = [];
    this.persist();
  }

  /** Coalesces writes: at most one in flight and one queued, the queued one writes the latest state. */
  private persist(): void {
    if (!this.checkpoint || this.dirty) return;
    this.dirty = true;
    const file = this.checkpoint;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      try {
        await file.write(this.epochs);
      } catch (e) {
        this.writeError = e;
      }
    });
  }

  /** Resolves when the checkpoint file holds every change made so far; rejects if a write failed. */
  async flushed(): Promise<void> {
    await this.writing;
    if (this.writeError !== undefined) {
      const e = this.writeError;
      this.writeError = undefined;
      throw e;
    }
  }
}
