/** Committed offsets of one coordinator shard: group → topic → partition → offset and metadata. */

export interface OffsetAndMetadata {
  offset: bigint;
  /** -1 when the committer did not give one. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set by OffsetCommit v2-4 (retention time) only: the old per-offset expiry. */
  expireTimestamp: number | undefined;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, OffsetAndMetadata>>>();

  get(group: string, topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  put(group: string, topic: string, partition: number, value: OffsetAndMetadata): void {
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, value);
  }

  delete(group: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(group);
    const partitions = topics?.get(topic);
    if (!topics || !partitions) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(group);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** Topics of a group with their partitions' offsets (live views: copy before mutating the store). */
  topics(group: string): ReadonlyMap<string, ReadonlyMap<number, OffsetAndMetadata>> {
    return this.byGroup.get(group) ?? new Map();
  }

  /** Every (topic, partition) a group has an offset for. */
  partitions(group: string): { topic: string; partition: number; offset: OffsetAndMetadata }[] {
    const out: { topic: string; partition: number; offset: OffsetAndMetadata }[] = [];
    for (const [topic, partitions] of this.topics(group)) for (const [partition, offset] of partitions) out.push({ topic, partition, offset });
    return out;
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }
}
