/**
 * The controller's decisions when brokers come and go (Kafka's PartitionChangeBuilder, reduced):
 * a dead broker leaves every ISR, a partition whose leader died gets the first live ISR member
 * as leader, and one with no live ISR member goes offline (leader -1) keeping its last ISR
 * member, since unclean leader election is off: only a replica that was in sync may lead, and it
 * does again when its broker returns. The leader epoch is bumped on every leader change and the
 * partition epoch on every change.
 *
 * A broker in controlled shutdown is alive but not eligible (KRaft's handleBrokerInControlledShutdown):
 * it hands its leaderships to another eligible ISR member and leaves every ISR, except where it
 * is the only ISR member: there it keeps leading (nothing can take over without losing records).
 */
import type { MetadataImage, PartitionRegistration } from '../metadata/image.js';

export interface PartitionChange {
  readonly topic: string;
  readonly index: number;
  readonly registration: PartitionRegistration;
}

/**
 * The registration of `p` once only the brokers in `live` are alive and only those in `eligible`
 * (a subset: live and not in controlled shutdown) may lead or be in sync; undefined when unchanged.
 */
export function afterLivenessChange(p: PartitionRegistration, live: ReadonlySet<number>, eligible: ReadonlySet<number> = live): PartitionRegistration | undefined {
  const eligibleIsr = p.isr.filter((id) => eligible.has(id));
  let leader = p.leader;
  if (leader === -1 || !eligible.has(leader)) {
    // A live leader in controlled shutdown with no eligible ISR member to take over keeps leading.
    leader = eligibleIsr[0] ?? (leader !== -1 && live.has(leader) ? leader : -1);
  }
  const inSync = p.isr.filter((id) => eligible.has(id) || id === leader);
  // Kafka never empties the ISR: an offline partition keeps the replica that was last in sync.
  const isr = inSync.length > 0 ? inSync : p.isr.includes(p.leader) ? [p.leader] : p.isr.slice(0, 1);
  const same = leader === p.leader && isr.length === p.isr.length && isr.every((id, i) => id === p.isr[i]);
  if (same) return undefined;
  return { ...p, isr, leader, leaderEpoch: leader === p.leader ? p.leaderEpoch : p.leaderEpoch + 1, partitionEpoch: p.partitionEpoch + 1 };
}

/** Every partition of `image` whose leader or ISR must change for the registered brokers alone to be alive, and the usable ones alone eligible. */
export function livenessChanges(image: MetadataImage): PartitionChange[] {
  const live = new Set(image.brokers.keys());
  const eligible = new Set(image.usableBrokers().map((b) => b.id));
  const out: PartitionChange[] = [];
  for (const t of image.topics.values()) {
    t.partitions.forEach((p, index) => {
      const registration = afterLivenessChange(p, live, eligible);
      if (registration) out.push({ topic: t.name, index, registration });
    });
  }
  return out;
}

/** `image` with `changes` applied to its topics' partitions. */
export function withPartitionChanges(image: MetadataImage, changes: readonly PartitionChange[]): MetadataImage {
  if (changes.length === 0) return image;
  const topics = [...image.topics.values()].map((t) => {
    const mine = changes.filter((c) => c.topic === t.name);
    if (mine.length === 0) return t;
    const partitions = [...t.partitions];
    for (const c of mine) partitions[c.index] = c.registration;
    return { ...t, partitions };
  });
  return image.with({ topics });
}

/**
 * Partitions broker `id` still leads that another broker could take over (or ISRs it is still
 * in that it could leave): its controlled shutdown is complete once there are none and the
 * controller has marked it. Partitions where it is the only ISR member do not count.
 */
export function controlledShutdownRemaining(image: MetadataImage, id: number): number {
  if (image.broker(id)?.inControlledShutdown !== true) return Number.POSITIVE_INFINITY;
  return livenessChanges(image).filter((c) => {
    const before = image.partition(c.topic, c.index)!;
    return before.leader === id || before.isr.includes(id);
  }).length;
}
