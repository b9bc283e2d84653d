/**
 * The controller's decisions when brokers come and go (Kafka's PartitionChangeBuilder, reduced):
 * a dead broker leaves every ISR, a partition whose leader died gets the first live ISR member
 * as leader, and one with no live ISR member goes offline (leader -1) keeping its last ISR
 * member, since unclean leader election is off: only a replica that was in sync may lead, and it
 * does again when its broker returns. The leader epoch is bumped on every leader change and the
 * partition epoch on every change.
 */
import type { MetadataImage, PartitionRegistration } from '../metadata/image.js';

export interface PartitionChange {
  readonly topic: string;
  readonly index: number;
  readonly registration: PartitionRegistration;
}

/** The registration of `p` once only the brokers in `live` are alive, or undefined when unchanged. */
export function afterLivenessChange(p: PartitionRegistration, live: ReadonlySet<number>): PartitionRegistration | undefined {
  const liveIsr = p.isr.filter((id) => live.has(id));
  let leader = p.leader;
  if (leader === -1 || !live.has(leader)) leader = liveIsr[0] ?? -1;
  // Kafka never empties the ISR: an offline partition keeps the replica that was last in sync.
  const isr = liveIsr.length > 0 ? liveIsr : p.isr.includes(p.leader) ? [p.leader] : p.isr.slice(0, 1);
  const same = leader === p.leader && isr.length === p.isr.length && isr.every((id, i) => id === p.isr[i]);
  if (same) return undefined;
  return { ...p, isr, leader, leaderEpoch: leader === p.leader ? p.leaderEpoch : p.leaderEpoch + 1, partitionEpoch: p.partitionEpoch + 1 };
}

/** Every partition of `image` whose leader or ISR must change for the registered brokers alone to be alive. */
export function livenessChanges(image: MetadataImage): PartitionChange[] {
  const live = new Set(image.brokers.keys());
  const out: PartitionChange[] = [];
  for (const t of image.topics.values()) {
    t.partitions.forEach((p, index) => {
      const registration = afterLivenessChange(p, live);
      if (registration) out.push({ topic: t.name, index, registration });
    });
  }
  return out;
}
